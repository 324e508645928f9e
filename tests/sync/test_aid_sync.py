"""学生资助 standards and the calendar travel from the hub; devices cannot change them."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
import support
from network import Network

from wushan_desk.services import aid

D = dt.date
YEAR = "2026-2027"


def test_a_centre_laptop_shows_the_standards_but_cannot_change_them(net: Network) -> None:
    """Standards come from the hub with the packages; a device changes none of them."""
    with net.open("hub") as hub:  # the demo county has the defaults: the county edits one
        aid.set_amount(hub, aid.standards(hub, YEAR)[0].id, 1300)
        aid.set_day(hub, D(2027, 2, 8), "放假", "春节")
        at_hub = aid.standards(hub, YEAR)
    net.exchange(rounds=1)
    with net.open("dev0") as dev:
        rows = aid.standards(dev, YEAR)
        assert rows == at_hub and rows[0].amount == 1300
        assert [d["date"] for d in aid.calendar(dev, 2027)] == ["2027-02-08"]
        assert aid.count_working_days(dev, D(2026, 9, 28), D(2026, 10, 9)).count == len(
            chinese_calendar.get_workdays(D(2026, 9, 28), D(2026, 10, 9)))
        digest = support.file_digest(net.path("dev0"))
        with pytest.raises(aid.NotAtHub, match="县教委在县级中心库维护"):
            aid.set_amount(dev, rows[0].id, 1)
        with pytest.raises(aid.NotAtHub):
            aid.set_day(dev, D(2027, 2, 8), "放假")
    assert support.file_digest(net.path("dev0")) == digest

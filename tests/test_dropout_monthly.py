"""控辍保学月报: figures of a month from the dated events, in the service, CLI and documents."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import new_workspace
from test_dropout import a_student, pdf_text

from wushan_desk import cli
from wushan_desk.domain import dropout as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import dropout
from wushan_desk.services.dropout_monthly import Month, monthly, tally

D = dt.date


def _hand_checked(ws) -> dict[str, str]:
    """Seven cases of 骡坪镇 whose October and November figures are worked out by hand
    in the test below."""
    case = lambda name, status, opened: dropout.open_case(  # noqa: E731
        ws, {"student_id": a_student(ws, name=name), "status": status, "opened_on": opened})
    a = case("甲", "疑似辍学", "2026-09-01")
    dropout.change_status(ws, a, "已复学", D(2026, 10, 10), placement="插班")
    dropout.change_status(ws, a, "已销号", D(2026, 11, 1))
    b = case("乙", "辍学", "2026-09-15")
    dropout.change_status(ws, b, "特殊教育学校", D(2026, 11, 10))
    c = case("丙", "劝返中", "2026-10-01")
    dropout.add_visit(ws, c, D(2026, 10, 15), "家访", "谭老师", "家长不在家")
    dropout.add_visit(ws, c, D(2026, 11, 25), "家访", "谭老师", "答应送回")
    dropout.change_status(ws, c, "已复学", D(2026, 11, 29), placement="单独编班")
    case("丁", "疑似辍学", "2026-11-05")
    f = case("戊", "失学", "2026-10-20")
    dropout.change_status(ws, f, "劝返中", D(2026, 11, 3))  # open to open: no count
    g = case("己", "疑似辍学", "2026-08-01")
    dropout.change_status(ws, g, "已复学", D(2026, 9, 1), placement="插班")
    dropout.change_status(ws, g, "疑似辍学", D(2026, 11, 15), note="又不来了")  # 反复
    return {"a": a, "c": c}


def _line(ws, month: str):
    return {t.township: t for t in monthly(ws, Month.parse(month))}["骡坪镇"]


def test_monthly_figures_on_a_hand_checked_data_set(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "w.wsdb")
    try:
        _hand_checked(ws)
        october, november = _line(ws, "2026-10"), _line(ws, "2026-11")
        # October: 甲 and 乙 open on 9-30; 丙 and 戊 new; 甲 placed
        assert (october.open_start, october.new, october.relapsed, october.placed,
                october.closed, october.open_end, october.visits) == (2, 2, 0, 1, 0, 3, 1)
        # November: 乙 丙 戊 open on 10-31; 丁 new; 己 back; 乙 丙 placed; 甲 closed
        assert (november.open_start, november.new, november.relapsed, november.placed,
                november.closed, november.open_end, november.visits) == (3, 1, 1, 2, 1, 3, 1)
        assert not november.dynamic_zero
        others = [t for t in monthly(ws, Month(2026, 11)) if t.township != "骡坪镇"]
        assert len(others) == 25 and all(t.dynamic_zero and t.new == 0 for t in others)
        # the board of the month's last day says the same
        board = {t.township: t for t in dropout.board(ws, D(2026, 11, 30))}["骡坪镇"]
        assert board.open == november.open_end
    finally:
        ws.close()


def test_months_are_parsed_with_a_clear_message() -> None:
    assert Month.parse("2026-11") == Month(2026, 11) and Month.parse("2026-02-14").last == D(
        2026, 2, 28)
    assert Month(2026, 12).due == D(2027, 1, 15) and Month(2026, 1).previous() == Month(2025, 12)
    for bad in ("2026", "2026-13", "十一月", ""):
        with pytest.raises(ValidationError, match="YYYY-MM"):
            Month.parse(bad)


def test_cli_monthly_and_the_report(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.wsdb"
    ws = new_workspace(db)
    try:
        _hand_checked(ws)
    finally:
        ws.close()
    assert cli.main(["dropout", "monthly", "--month", "2026-11", "--json", "--db", str(db)]) == 0
    row = {r["township"]: r for r in json.loads(capsys.readouterr().out)}["骡坪镇"]
    assert (row["open_start"], row["new"], row["relapsed"], row["placed"], row["closed"],
            row["open_end"], row["visits"]) == (3, 1, 1, 2, 1, 3, 1)
    xlsx = tmp_path / "月报.xlsx"
    assert cli.main(["report", "dropout-monthly", "--month", "2026-11", "--out", str(xlsx),
                     "--db", str(db)]) == 0
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r, strict=True))
            for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["骡坪镇"]["月末在册"] == 3 and rows["骡坪镇"]["本月安置"] == 2
    assert rows["合计"]["本月新增"] == 1 and len(rows) == 27  # 26 townships and the total
    pdf = tmp_path / "月报.pdf"
    assert cli.main(["report", "dropout-monthly", "--month", "2026-11", "--out", str(pdf),
                     "--db", str(db)]) == 0
    text = pdf_text(pdf)
    assert "控辍保学月报（2026年11月）" in text and "2026年12月15日" in text
    assert cli.main(["dropout", "monthly", "--month", "2026-13", "--db", str(db)]) == 3
    assert "YYYY-MM" in capsys.readouterr().err


_STEP = st.tuples(st.integers(0, 120), st.sampled_from(rules.STATUSES), st.integers(0, 2))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_STEP, min_size=1, max_size=6), min_size=1, max_size=8))
def test_every_month_reconciles(histories) -> None:
    """For any allowed histories of cases in three townships: each month's end equals its
    start plus new and relapsed minus placed, and the next month starts where it ended."""
    events, township_of = [], {}
    start = D(2026, 6, 1)
    for n, steps in enumerate(histories):
        case, day, status = f"case-{n}", start, None
        for offset, target, township in steps:
            if status is not None and not rules.allowed(status, target):
                continue
            day += dt.timedelta(days=offset)
            township_of.setdefault(case, f"t{township}")
            events.append({"case_id": case, "date": day.isoformat(), "status": target,
                           "created_hlc": f"{len(events):06d}"})
            status = target
    events.sort(key=lambda e: (e["date"], e["created_hlc"]))
    month, ended = Month(2026, 6), None
    for _ in range(14):
        lines = tally(events, township_of, month)
        for line in lines.values():
            assert line["open_end"] == (line["open_start"] + line["new"] + line["relapsed"]
                                        - line["placed"])
        total_start = sum(line["open_start"] for line in lines.values())
        if ended is not None:
            assert total_start == ended
        ended = sum(line["open_end"] for line in lines.values())
        month = Month.of(month.last + dt.timedelta(days=1))

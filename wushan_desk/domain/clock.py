"""The one source of "today" and "now": the county's calendar, whatever the laptop's zone.

Deadlines, overdue marks, terms and document dates are dates in Wushan (Asia/Shanghai).
A laptop set to another time zone (a reinstalled Windows left on UTC, a county script on
a server) would otherwise see yesterday's date for part of every day. Every date the app
shows or stores as "today" comes from here; nothing else calls `date.today()`.

The zone is Asia/Shanghai unless the environment sets `WUSHAN_DESK_TZ` (a county in
another zone, or tests). The `tzdata` package supplies the zone database on Windows.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable
from functools import cache
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def county_zone() -> ZoneInfo:
    """The county's time zone (Asia/Shanghai unless WUSHAN_DESK_TZ names another)."""
    return _zone(os.environ.get("WUSHAN_DESK_TZ") or DEFAULT_ZONE)


def now() -> dt.datetime:
    """The current moment as an aware datetime in the county's zone.

    Read through `time.time()` so that tests can move the clock.
    """
    return dt.datetime.fromtimestamp(time.time(), county_zone())


def today() -> dt.date:
    """Today's date in the county (worked out once a second: an import's rules ask
    for it a few times for each of a hundred thousand records)."""
    global _today
    second, zone = int(time.time()), county_zone()
    if _today[:2] != (second, zone):
        _today = (second, zone, dt.datetime.fromtimestamp(second, zone).date())
    return _today[2]


_today: tuple[int, ZoneInfo, dt.date] = (-1, ZoneInfo("UTC"), dt.date.min)


def now_iso() -> str:
    """Now as ISO 8601 with the county's offset, to the second: 2026-11-28T14:30:05+08:00."""
    return now().isoformat(timespec="seconds")


def utc_iso() -> str:
    """Now in UTC, ISO 8601 with a Z: what package headers carry."""
    return dt.datetime.fromtimestamp(time.time(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp_text() -> str:
    """Now as 20261128-143005, for file names that must sort by time."""
    return now().strftime("%Y%m%d-%H%M%S")


def parse(moment: str | None) -> dt.datetime | None:
    """A stored ISO moment as an aware time (naive text read as county time): moments
    written with different offsets compare correctly only this way, never as text."""
    if not moment:
        return None
    try:
        parsed = dt.datetime.fromisoformat(moment)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=county_zone())


def latest(moments: Iterable[str | None]) -> str | None:
    """The latest of some stored moments (by time, not by text)."""
    known = [(when, m) for m in moments if m and (when := parse(m)) is not None]
    return max(known)[1] if known else None


def minutes(moment: str | dt.datetime | None, empty: str = "—") -> str:
    """A stored moment as the screens show it, in the county's zone: 2026-11-28 14:30.

    Naive ISO text is read as county time; text that is not ISO comes back unchanged.
    """
    if not moment:
        return empty
    if isinstance(moment, str):
        try:
            parsed = dt.datetime.fromisoformat(moment)
        except ValueError:
            return moment
    else:
        parsed = moment
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=county_zone())
    return parsed.astimezone(county_zone()).strftime("%Y-%m-%d %H:%M")


def from_epoch_ms(ms: int) -> dt.datetime:
    """A millisecond epoch time (an HLC stamp's wall part) in the county's zone."""
    return dt.datetime.fromtimestamp(ms / 1000, county_zone())

"""The callbacks every long job takes, so the GUI and CLI can show and stop it.

A job calls `progress(done, total, message)` now and then and checks `cancelled()`
between units of work; on cancellation it raises `Cancelled` from inside its
transaction, so the rollback leaves the workspace exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressFn = Callable[[int, int, str], None]
CancelledFn = Callable[[], bool]


class Cancelled(Exception):
    """The user stopped the job; nothing it was doing has been kept."""


def no_progress(done: int, total: int, message: str) -> None:
    """Default `progress` callback: report nothing."""


def never_cancelled() -> bool:
    """Default `cancelled` callback: run to the end."""
    return False

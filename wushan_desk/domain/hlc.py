"""Hybrid logical clock (HLC): version stamps that never run backwards.

Village laptops often have clocks that are hours or days off, and they jump when a
battery dies or someone "fixes" the time. Ordering changes by wall time alone would let
an old edit overwrite a new one. An HLC keeps the wall time when it moves forward and
otherwise bumps a logical counter, so every stamp a device issues is greater than every
stamp it issued or received before (Kulkarni et al., 2014).

A stamp is a string ``MMMMMMMMMMMMM-CCCCC-DEVICE`` (milliseconds since the epoch and
logical counter, both fixed width, then the device id, a UUID) so that plain string
comparison, in Python and in SQL, is the clock's total order, and ties between devices
break deterministically.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MS_DIGITS = 13
COUNTER_DIGITS = 5
MAX_COUNTER = 10**COUNTER_DIGITS - 1


@dataclass(frozen=True, order=True)
class Stamp:
    """One HLC reading: compared by (ms, counter, device)."""

    ms: int
    counter: int
    device: str

    def __str__(self) -> str:
        return f"{self.ms:0{MS_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}-{self.device}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        """Read a stamp written by ``str(stamp)``; raises ValueError on anything else."""
        ms, counter, device = text.split("-", 2)
        if len(ms) != MS_DIGITS or len(counter) != COUNTER_DIGITS or not device:
            raise ValueError(f"not an HLC stamp: {text!r}")
        return cls(int(ms), int(counter), device)


def wall_clock_ms() -> int:
    """The system clock in milliseconds; the default physical time source."""
    return time.time_ns() // 1_000_000


class HybridClock:
    """Issues monotonic stamps for one device.

    ``last`` is the greatest stamp issued or received so far; persist it (the store
    keeps it in the workspace) and pass it back on the next start so that the clock
    stays monotonic across restarts as well as across wall-clock jumps.
    """

    def __init__(
        self,
        device: str,
        last: Stamp | None = None,
        wall: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.device = device
        self.last = last or Stamp(0, 0, device)
        self._wall = wall

    def now(self) -> Stamp:
        """A new stamp greater than every stamp seen so far."""
        return self._advance(self._wall(), self.last.ms, self.last.counter)

    def observe(self, seen: Stamp | str) -> None:
        """Note a stamp issued elsewhere (another device, or another connection to this
        workspace) so that every later local stamp sorts after it. Issues nothing."""
        if isinstance(seen, str):
            seen = Stamp.parse(seen)
        if (seen.ms, seen.counter) > (self.last.ms, self.last.counter):
            self.last = Stamp(seen.ms, seen.counter, self.device)

    def receive(self, remote: Stamp | str) -> Stamp:
        """Merge a stamp from another device so later local stamps sort after it."""
        self.observe(remote)
        return self.now()

    def _advance(self, wall_ms: int, last_ms: int, last_counter: int) -> Stamp:
        if wall_ms > last_ms:
            ms, counter = wall_ms, 0
        elif last_counter < MAX_COUNTER:
            ms, counter = last_ms, last_counter + 1
        else:  # counter exhausted: borrow one millisecond from the future
            ms, counter = last_ms + 1, 0
        self.last = Stamp(ms, counter, self.device)
        return self.last

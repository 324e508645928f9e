"""The hybrid logical clock never runs backwards, whatever the wall clock does."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from wushan_desk.domain.hlc import HybridClock, Stamp

DEVICE = "a7d1c3e2-0000-4000-8000-000000000001"
HOUR = 3_600_000


class FakeWall:
    def __init__(self, times: list[int]) -> None:
        self.times = iter(times)

    def __call__(self) -> int:
        return next(self.times)


@given(st.lists(st.integers(min_value=0, max_value=2_000_000_000_000), min_size=2, max_size=200))
def test_stamps_strictly_increase_whatever_the_wall_clock_does(times: list[int]) -> None:
    clock = HybridClock(DEVICE, wall=FakeWall(times))
    stamps = [clock.now() for _ in times]
    assert all(a < b for a, b in pairwise(stamps))
    # the text form sorts the same way, so SQL ORDER BY hlc is the clock's order
    texts = [str(s) for s in stamps]
    assert texts == sorted(texts) and len(set(texts)) == len(texts)


def test_wall_clock_jumping_back_by_hours_keeps_order() -> None:
    base = 1_790_000_000_000
    clock = HybridClock(DEVICE, wall=FakeWall([base, base - 5 * HOUR, base - 5 * HOUR, base + 1]))
    first, second, third, fourth = (clock.now() for _ in range(4))
    assert first < second < third < fourth
    assert second.ms == base and second.counter == 1  # held at the latest time seen
    assert fourth.ms == base + 1 and fourth.counter == 0  # resumes once wall time passes


def test_receive_moves_the_clock_past_a_remote_stamp() -> None:
    base = 1_790_000_000_000
    clock = HybridClock(DEVICE, wall=lambda: base)
    remote = Stamp(base + 10 * HOUR, 7, "ffffffff-0000-4000-8000-000000000002")
    local = clock.receive(str(remote))
    assert (local.ms, local.counter) > (remote.ms, remote.counter)
    assert clock.now() > local


def test_stamp_text_round_trip_with_uuid_device() -> None:
    stamp = Stamp(1_790_000_000_123, 42, DEVICE)
    assert Stamp.parse(str(stamp)) == stamp


def test_counter_overflow_borrows_a_millisecond() -> None:
    clock = HybridClock(DEVICE, last=Stamp(1000, 99_999, DEVICE), wall=lambda: 5)
    nxt = clock.now()
    assert (nxt.ms, nxt.counter) == (1001, 0)
    assert str(nxt) > str(Stamp(1000, 99_999, DEVICE))


def test_moments_written_with_different_offsets_compare_by_time() -> None:
    """A laptop set to UTC and one set to Beijing time write the same instant differently:
    the later moment is the later time, not the larger text."""
    from wushan_desk.domain import clock

    utc_later = "2026-11-30T02:00:00+00:00"  # 10:00 in Wushan
    beijing_earlier = "2026-11-30T09:30:00+08:00"
    assert beijing_earlier > utc_later  # as text, the wrong way round
    assert clock.latest([beijing_earlier, utc_later, None]) == utc_later
    assert clock.latest([]) is None


def test_the_ledger_lists_packages_by_time_whatever_their_offset(tmp_path) -> None:
    import support

    from wushan_desk.store import sync_state

    ws = support.new_workspace(tmp_path / "w.wsdb")
    try:
        with ws.transaction():
            for package_id, processed in (("a", "2026-11-30T09:30:00+08:00"),
                                          ("b", "2026-11-30T02:00:00+00:00")):
                sync_state.record_package(
                    ws, package_id=package_id, direction="in", kind="sync", peer="p",
                    created=processed, processed=processed, from_seq=1, to_seq=1, changes=0,
                    files=0, status="applied", summary={}, file_name="x")
        assert [r["package_id"] for r in sync_state.ledger(ws)] == ["b", "a"]
    finally:
        ws.close()

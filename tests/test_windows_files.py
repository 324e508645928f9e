"""Windows' rules for files, applied on Linux: names, sharing violations, open copies,
and the county's dates whatever the laptop's time zone."""

from __future__ import annotations

import datetime as dt
import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import support
from hypothesis import given
from hypothesis import strategies as st
from pathvalidate import is_valid_filename

from wushan_desk import files
from wushan_desk.domain import clock
from wushan_desk.domain import inspection as rules
from wushan_desk.services import attachments, inspection, records


@given(st.text(max_size=120), st.sampled_from(["", ".pdf", ".wspkg", ".png"]))
def test_names_from_user_text_are_valid_on_windows(text: str, suffix: str) -> None:
    name = files.safe_name(text, suffix)
    assert is_valid_filename(name, platform="windows")
    assert name.endswith(suffix) and len(name) <= files.MAX_NAME


@pytest.mark.parametrize("text", ["王/芳", 'a:b*c?"<>|', "CON", "报告.", " 空格 ", "a\\b", "\x00"])
def test_awkward_names(text: str) -> None:
    name = files.safe_name(text, ".pdf")
    assert is_valid_filename(name, platform="windows"), name


def test_a_signature_of_a_person_with_a_slash_in_the_name(fresh_ws) -> None:
    ws = fresh_ws
    visit = inspection.start_visit(
        ws, school_id=support.add_school(ws), template_id=support.make_template(ws),
        inspector_ids=[support.inspector(ws)], date=clock.today())
    png = (Path(__file__).parent / "fixtures" / "signature.png").read_bytes()
    signature = inspection.sign(ws, visit, role="督学", name='向/堃:*?"<>|', png=png)
    record = records.get(ws, "visit_signature", signature)
    attachment = records.get(ws, "attachment", record["attachment_id"])
    assert is_valid_filename(attachment["filename"], platform="windows")
    assert attachments.read(ws, attachment["id"]) == png


def test_a_replace_refused_by_a_scanner_is_retried(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real, refusals = os.replace, []

    def scanner_holds_it(src: object, dst: object) -> None:
        if len(refusals) < 3:
            error = PermissionError(errno.EACCES, "Access is denied")
            error.winerror = 32  # type: ignore[attr-defined]  # ERROR_SHARING_VIOLATION
            refusals.append(error)
            raise error
        real(src, dst)

    monkeypatch.setattr(os, "replace", scanner_holds_it)
    monkeypatch.setattr(files, "REPLACE_PAUSE_S", 0.01)
    target = tmp_path / "报告.pdf"
    files.write_atomic(target, lambda fh: fh.write(b"%PDF"))
    assert target.read_bytes() == b"%PDF" and len(refusals) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["报告.pdf"]


def test_a_file_held_for_long_is_reported_and_nothing_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always_held(src: object, dst: object) -> None:
        error = PermissionError(errno.EACCES, "Access is denied")
        error.winerror = 32  # type: ignore[attr-defined]
        raise error

    monkeypatch.setattr(os, "replace", always_held)
    monkeypatch.setattr(files, "REPLACE_PAUSE_S", 0.001)
    with pytest.raises(PermissionError):
        files.write_atomic(tmp_path / "a.pdf", lambda fh: fh.write(b"x"))
    assert list(tmp_path.iterdir()) == []


def test_a_reprint_does_not_collide_with_a_copy_open_in_a_viewer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = files.free_path(tmp_path, "学校-督导意见书-2026-11-28.pdf")
    first.write_bytes(b"%PDF old")
    assert files.free_path(tmp_path, first.name) == first  # replaceable: same name
    monkeypatch.setattr(files, "_replaceable", lambda path: path.name != first.name)
    second = files.free_path(tmp_path, first.name)
    assert second.name == "学校-督导意见书-2026-11-28 (2).pdf"


def test_an_attachment_opens_as_a_copy_with_its_extension(fresh_ws, tmp_path: Path) -> None:
    photo = tmp_path / "食堂.jpg"
    photo.write_bytes(b"\xff\xd8\xff fake jpeg")
    attachment = attachments.add(fresh_ws, photo)
    copy = attachments.open_copy(fresh_ws, attachment, tmp_path / "view")
    assert copy.suffix == ".jpg" and copy.read_bytes() == photo.read_bytes()
    (stored,) = [p for p in fresh_ws.files_dir.rglob("*") if p.is_file()]
    assert (copy != stored and not os.access(stored, os.W_OK)) or os.geteuid() == 0
    os.chmod(copy, 0o644)
    copy.write_bytes(b"edited in an image editor")
    assert attachments.read(fresh_ws, attachment) == photo.read_bytes()


# --- the county's calendar -------------------------------------------------------------

#: 2026-11-28 16:30 UTC is 2026-11-29 00:30 in Wushan and still the 28th in New York.
JUST_AFTER_MIDNIGHT_IN_WUSHAN = dt.datetime(2026, 11, 28, 16, 30, tzinfo=dt.UTC).timestamp()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Shanghai"])
def test_today_is_the_countys_date_whatever_the_laptops_zone(zone: str, tmp_path: Path) -> None:
    """Run in a process whose TZ is `zone`: deadlines and overdue marks follow Wushan."""
    code = (
        "import time, datetime as dt\n"
        f"time.time = lambda: {JUST_AFTER_MIDNIGHT_IN_WUSHAN}\n"
        "from wushan_desk.domain import clock, inspection\n"
        "print(clock.today().isoformat())\n"
        "print(inspection.is_overdue({'deadline': '2026-11-28', 'status': '待整改'},"
        " clock.today()))\n"
        "print(clock.minutes('2026-11-28T16:30:00+00:00'))\n"
    )
    env = os.environ | {"TZ": zone}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["2026-11-29", "True", "2026-11-29 00:30"]


def test_a_default_deadline_counts_from_the_countys_today(
    fresh_ws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        monkeypatch.setattr(time, "time", lambda: JUST_AFTER_MIDNIGHT_IN_WUSHAN)
        assert dt.date.today() != clock.today() == dt.date(2026, 11, 29)
        ws = fresh_ws
        visit = inspection.start_visit(
            ws, school_id=support.add_school(ws), template_id=support.make_template(ws),
            inspector_ids=[support.inspector(ws)], date=clock.today())
        finding = inspection.add_finding(ws, visit, description="缺陪餐记录", requirement="补齐")
        assert records.get(ws, "finding", finding)["deadline"] == "2026-12-29"
        assert rules.term_of(clock.today()) == "2026-2027学年第一学期"
    finally:
        monkeypatch.undo()
        time.tzset()

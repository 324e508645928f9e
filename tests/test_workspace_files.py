"""The workspace file is never read or written as an ordinary file, and the one atomic
writer holds up when two programs write the same target, or the target is a folder, a
pipe or an odd name. Every refusal: exit 3, a Chinese message, the workspace untouched.

Why the workspace matters: on POSIX, opening and closing a database file with plain
open() drops every lock SQLite holds on it in this process; a report or an export
written over it destroys it outright.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
import support
from support import open_workspace

from wushan_desk import cli, files
from wushan_desk.services import attachments, records
from wushan_desk.store.errors import WorkspaceError


@pytest.fixture
def demo(demo_copy: Path) -> Path:
    return demo_copy


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def a_visit(db: Path) -> str:
    ws = open_workspace(db, create=False)
    try:
        return next(records.iter_records(ws, "visit"))["id"]
    finally:
        ws.close()


@pytest.mark.parametrize("target", ["workspace", "wal-name", "folder"])
def test_a_report_is_never_written_over_the_workspace(demo: Path, capsys, target: str) -> None:
    visit = a_visit(demo)
    out = {"workspace": demo, "wal-name": Path(f"{demo}-wal"), "folder": demo.parent}[target]
    before = support.file_digest(demo)
    code, _, err = run(capsys, "report", "inspection", visit, "--out", str(out),
                       "--db", str(demo))
    assert code == 3 and "[unexpected]" not in err, err
    assert ("工作区" in err) if target != "folder" else ("文件夹" in err)
    assert support.file_digest(demo) == before


@pytest.fixture
def hub(tmp_path: Path, capsys) -> Path:
    path = tmp_path / "hub.wsdb"
    assert run(capsys, "hub", "init", "--db", str(path), "--name", "县级中心库")[0] == 0
    return path


def test_the_workspace_is_not_imported_as_a_package(hub: Path, capsys) -> None:
    before = support.file_digest(hub)
    code, out, _ = run(capsys, "sync", "import", str(hub), "--db", str(hub))
    assert code == 3
    (summary,) = json.loads(out)["packages"]
    assert summary["code"] == "not-a-package" and "工作区" in summary["rejected"]
    assert support.file_digest(hub) == before


def test_the_open_workspace_is_not_read_under_another_name(demo: Path, tmp_path: Path) -> None:
    """A link with an innocent name still points at the open database: refused."""
    alias = tmp_path / "名单.jsonl"
    alias.symlink_to(demo)
    ws = open_workspace(demo, create=False)
    try:
        assert files.is_database(alias)
        with pytest.raises(Exception, match="工作区"):
            records.read_jsonl(alias)
        with pytest.raises(WorkspaceError, match="工作区"):
            attachments.add(ws, alias)
    finally:
        ws.close()


# POSIX only: on ALLOWED_SKIPS in tests/conftest.py (CI fails on any other skip)
@pytest.mark.skipif(os.name != "posix", reason="named pipes as files are a POSIX thing")
def test_a_pipe_is_refused_at_once_not_waited_on(hub: Path, tmp_path: Path, capsys) -> None:
    pipe = tmp_path / "包.wspkg"
    os.mkfifo(pipe)
    code, out, _ = run(capsys, "sync", "import", str(pipe), "--db", str(hub))
    assert code == 3 and json.loads(out)["packages"][0]["code"] == "unreadable"
    device = tmp_path / "dev.wsdb"
    assert run(capsys, "device", "init", "--db", str(device), "--name", "设备",
               "--out", str(tmp_path / "req"))[0] == 0
    code, _, err = run(capsys, "device", "join", str(pipe), "--db", str(device))
    assert code == 3 and "不是普通文件" in err
    with pytest.raises(Exception, match="不是普通文件"):
        files.read_limited(pipe, 1000, "太大")


def test_two_writers_of_one_target_never_mix(tmp_path: Path) -> None:
    """Each writer has its own temporary file: the target ends as one whole version."""
    target = tmp_path / "清单.json"
    versions = [bytes([65 + n]) * 2_000_000 for n in range(2)]
    errors: list[BaseException] = []

    def write(data: bytes) -> None:
        try:
            for _ in range(10):
                files.write_atomic(target, lambda fh: fh.write(data))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert target.read_bytes() in versions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["清单.json"]


def test_a_name_that_is_not_utf8_is_checked_not_crashed(tmp_path: Path, capsys) -> None:
    if os.name != "posix":  # on ALLOWED_SKIPS in tests/conftest.py
        pytest.skip("only POSIX allows such names")
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/bad\xff.wsdb"))
    assert run(capsys, "demo", "--db", str(odd), "--scale", "0.01")[0] == 0
    code, out, err = run(capsys, "check", "--db", str(odd))
    assert code == 0 and json.loads(out)["ok"], err


def test_two_hub_inits_on_one_new_file(tmp_path: Path) -> None:
    """Both start at once: exactly one makes the hub, the other is refused plainly."""
    import subprocess
    import sys

    db = tmp_path / "hub.wsdb"
    command = [sys.executable, "-m", "wushan_desk", "hub", "init", "--db", str(db),
               "--name", "县级中心库"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outcomes = sorted((p.wait(120), p.stderr.read()) for p in runs)  # type: ignore[union-attr]
    (first, _), (second, message) = outcomes
    assert first == 0 and second in (3, 4), outcomes
    assert "[unexpected]" not in message


def test_an_empty_file_is_claimed_only_when_abandoned(tmp_path: Path, capsys) -> None:
    db = tmp_path / "hub.wsdb"
    db.touch()  # another program's creation, just begun
    assert run(capsys, "hub", "init", "--db", str(db), "--name", "县级中心库")[0] == 3
    old = os.stat(db).st_mtime - 3600
    os.utime(db, (old, old))  # left by a crash an hour ago
    assert run(capsys, "hub", "init", "--db", str(db), "--name", "县级中心库")[0] == 0


@pytest.mark.parametrize("name", ["", "   ", "中心\x07库", "名" * 41])
def test_a_bad_name_makes_no_workspace(tmp_path: Path, capsys, name: str) -> None:
    db = tmp_path / "hub.wsdb"
    code, _, err = run(capsys, "hub", "init", "--db", str(db), "--name", name)
    assert code == 3 and "名称" in err and "[unexpected]" not in err
    assert not db.exists()


def test_a_device_that_could_not_write_its_request_leaves_nothing(tmp_path: Path,
                                                                 capsys) -> None:
    db, blocked = tmp_path / "dev.wsdb", tmp_path / "不是文件夹"
    blocked.write_text("占位")
    code, _, err = run(capsys, "device", "init", "--db", str(db), "--name", "设备",
                       "--out", str(blocked))
    assert code in (1, 3) and "[unexpected]" not in err
    assert not db.exists()


@pytest.mark.parametrize("name", ["照片.exe", "说明.bat", "报告.pdf.js", "通知.lnk", "无扩展名"])
def test_an_attachment_that_could_run_is_never_opened(fresh_ws, tmp_path: Path,
                                                      name: str) -> None:
    """Windows opens a file with the program its extension names: a package from another
    laptop could carry 照片.exe. Only pictures, PDF, recordings and documents open."""
    from wushan_desk.domain.errors import ValidationError

    photo = attachments.add_bytes(fresh_ws, b"MZ\x90\x00", name)
    with pytest.raises(ValidationError, match="不能直接打开"):
        attachments.open_copy(fresh_ws, photo, tmp_path / "view")
    view = tmp_path / "view"
    assert not view.exists() or not any(view.iterdir())  # nothing left to double-click
    ok = attachments.add_bytes(fresh_ws, b"\x89PNG", "现场.PNG")
    assert attachments.open_copy(fresh_ws, ok, tmp_path / "view").suffix == ".PNG"

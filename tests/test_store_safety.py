"""The store against a bad day: other programs on the same file, locks, busy workspaces.

Each test reproduces what broke on a user's machine (issue 7) through the public
interfaces: services, the CLI, and other processes on the same workspace file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from pathlib import Path, PureWindowsPath

import pytest
import support
from support import open_workspace

from wushan_desk import cli
from wushan_desk.domain import entities
from wushan_desk.domain import inspection as rules
from wushan_desk.services import inspection, records, workspace
from wushan_desk.store.errors import WorkspaceBusy, WorkspaceError
from wushan_desk.store.workspace import sqlite_uri


def interleave_after_validating(monkeypatch, kind: str, other_program, args: tuple
                                ) -> list[threading.Thread]:
    """Once a `kind` record has been validated, run `other_program(*args)` in another
    thread and give it 1.5 s: with validation outside the write transaction it changes
    the workspace in between (the bug); correctly it waits for our write lock."""
    real = entities.validate_record
    started: list[threading.Thread] = []

    def validate_then_let_the_other_program_run(name: str, *more: object) -> object:
        clean = real(name, *more)  # type: ignore[arg-type]
        if name == kind and not started:
            other = threading.Thread(target=other_program, args=args)
            started.append(other)
            other.start()
            other.join(timeout=1.5)
        return clean

    monkeypatch.setattr(entities, "validate_record", validate_then_let_the_other_program_run)
    return started

def other_process(db: Path, code: str) -> str:
    """Run `code` in a separate Python with `ws` open on `db`; returns its stdout."""
    script = (
        "from wushan_desk.services.session import open_workspace\n"
        f"ws = open_workspace({str(db)!r}, create=False)\n{code}\nws.close()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def school_names(db: Path) -> list[str]:
    rows = "[r[0] for r in ws.conn.execute('SELECT name FROM schools')]"
    out = other_process(db, f"import json; print(json.dumps({rows}))")
    return sorted(json.loads(out))


def test_a_second_open_in_one_process_keeps_sqlites_locks(tmp_path: Path) -> None:
    """Opening the workspace again in the same process (a print job, a sync job) must not
    drop the locks of the connection already open: else another program checkpoints,
    deletes the WAL, and what this process writes next is seen by nobody."""
    db = tmp_path / "w.wsdb"
    ws = workspace.create(db, "demo", "测试")
    try:
        support.add_school(ws, "甲校")
        open_workspace(db, create=False).close()  # the second open of this process
        other_process(db, "print(ws.conn.execute('SELECT count(*) FROM schools').fetchone())")
        support.add_school(ws, "乙校")
        assert school_names(db) == ["乙校", "甲校"]
        assert Path(f"{db}-wal").exists()  # still ours: nobody deleted it under us
    finally:
        ws.close()
    assert school_names(db) == ["乙校", "甲校"]


def test_worker_connections_share_the_clock_without_repeating_a_stamp(tmp_path: Path) -> None:
    ws = workspace.create(tmp_path / "w.wsdb", "demo", "测试")
    worker = ws.worker()
    try:
        for n in range(20):  # alternate connections within the same milliseconds
            support.add_school(ws if n % 2 else worker, f"学校{n}")
        stamps = [r[0] for r in ws.conn.execute("SELECT hlc FROM change_log")]
        assert len(stamps) == len(set(stamps))
    finally:
        worker.close()
        ws.close()


def finalize_elsewhere(db: Path, visit_id: str, result: list[object]) -> None:
    """Another connection (another program) finalizes the visit; it may have to wait."""
    other = open_workspace(db, create=False, busy_ms=20_000)
    try:
        inspection.finalize(other, visit_id)
        result.append("finalized")
    except Exception as exc:  # pragma: no cover - reported through the assertion
        result.append(exc)
    finally:
        other.close()


def test_a_rule_is_checked_against_what_is_stored_when_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer is validated while another program finalizes the same visit: the answer
    must land before the finalization (it waits for our lock), never in a locked visit."""
    db = tmp_path / "w.wsdb"
    ws = support.new_workspace(db)
    template = support.make_template(ws)
    school = support.add_school(ws)
    visit = inspection.start_visit(
        ws, school_id=school, template_id=template,
        inspector_ids=[support.inspector(ws)], date=rules.term_range("2026-2027学年第一学期")[0],
    )
    records.put(ws, "visit", {"id": visit, "signed_on_paper": True})
    support.answer_all(ws, visit)
    item = inspection.detail(ws, visit).items[0]
    result: list[object] = []
    started = interleave_after_validating(monkeypatch, "visit_answer", finalize_elsewhere,
                                          (db, visit, result))
    inspection.answer(ws, visit, item["id"], "8")
    started[0].join(timeout=30)
    assert result == ["finalized"]
    answer_seq, final_seq = (
        ws.conn.execute(
            "SELECT max(seq) FROM change_log WHERE tbl = ? AND row_id = ?", (table, row)
        ).fetchone()[0]
        for table, row in (("visit_answers", rules.answer_id(visit, item["id"])), ("visits", visit))
    )
    assert answer_seq < final_seq  # the answer was written into the draft, then it was locked
    ws.close()


@pytest.fixture
def locked_db(tmp_path: Path):
    """A workspace whose write lock another program holds (BEGIN IMMEDIATE, not released)."""
    db = tmp_path / "w.wsdb"
    support.new_workspace(db).close()
    holder = support.raw_connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield db
    holder.execute("ROLLBACK")
    holder.close()


def test_a_busy_workspace_is_a_clear_message_and_its_own_exit_code(
    locked_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WUSHAN_DESK_WAIT", "0.2")
    lines = tmp_path / "s.jsonl"
    school = {"name": "新学校", "type": "小学", "township_id": support.township()}
    lines.write_text(json.dumps(school, ensure_ascii=False) + "\n", encoding="utf-8")
    code = cli.main(["records", "put", "school", str(lines), "--db", str(locked_db)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_BUSY == 4
    assert "正被另一个程序" in err and "[busy]" in err and "unexpected" not in err


def test_a_service_write_on_a_busy_workspace_raises_workspace_busy(locked_db: Path) -> None:
    ws = open_workspace(locked_db, create=False, busy_ms=50)
    try:
        with pytest.raises(WorkspaceBusy):
            support.add_school(ws)
        assert not ws.in_transaction and not ws.conn.in_transaction
    finally:
        ws.close()


def test_two_demo_runs_on_one_new_file(tmp_path: Path) -> None:
    """Both start at once: one builds the county, the other is refused in plain words."""
    db = tmp_path / "demo.wsdb"
    command = [sys.executable, "-m", "wushan_desk", "demo", "--db", str(db), "--scale", "0.01"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outcomes = sorted((p.wait(120), p.stderr.read()) for p in runs)  # type: ignore[union-attr]
    # the other is refused: "already holds data" (3), or, when the build outlasts its
    # wait for the write lock on a loaded machine, "busy" (4); never a crash
    (first, _), (second, message) = outcomes
    assert first == 0 and second in (3, 4), outcomes
    assert "[unexpected]" not in message
    assert ("已" in message) if second == 3 else ("正被另一个程序" in message)
    ws = open_workspace(db, create=False)
    try:
        assert workspace.check(ws).ok
        students = ws.conn.execute("SELECT count(*) FROM students").fetchone()[0]
        ids = ws.conn.execute("SELECT count(DISTINCT id) FROM students").fetchone()[0]
        assert students == ids > 0
    finally:
        ws.close()


def test_a_new_workspace_is_never_made_over_an_existing_one(tmp_path: Path) -> None:
    db = tmp_path / "w.wsdb"
    support.new_workspace(db).close()
    before = support.file_digest(db)
    with pytest.raises(WorkspaceError, match="已存在"):
        workspace.create(db, "demo", "另一个")
    assert support.file_digest(db) == before


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        (PureWindowsPath(r"C:\Users\督学\AppData\Local\wushan-desk\workspace.wsdb"),
         "file:///C:/Users/%E7%9D%A3%E5%AD%A6/AppData/Local/wushan-desk/workspace.wsdb"),
        # a mapped drive Z: resolves to its share; SQLite accepts no URI authority
        (PureWindowsPath(r"\\jiaowei-nas\督导\骡坪.wsdb"),
         "file:////jiaowei-nas/%E7%9D%A3%E5%AF%BC/%E9%AA%A1%E5%9D%AA.wsdb"),
        (PureWindowsPath(r"Z:\督导 2026\#1?.wsdb"),
         "file:///Z:/%E7%9D%A3%E5%AF%BC%202026/%231%3F.wsdb"),
    ],
)
def test_sqlite_uris_for_windows_paths(path: PureWindowsPath, uri: str) -> None:
    assert sqlite_uri(path, mode="ro") == uri + "?mode=ro"


def test_folders_with_uri_characters_open(tmp_path: Path) -> None:
    folder = tmp_path / "督导 100% #1?"
    folder.mkdir()
    db = folder / "w.wsdb"
    support.new_workspace(db).close()
    ws = open_workspace(db, create=False)  # inspected through its file: URI first
    try:
        assert workspace.info(ws).schema_version > 0
    finally:
        ws.close()


def test_a_device_file_is_refused_not_read(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="不是普通文件"):
        open_workspace(Path("/dev/zero"), create=False)


def delete_school_elsewhere(db: Path, school: str, result: list[object]) -> None:
    other = open_workspace(db, create=False, busy_ms=20_000)
    try:
        records.delete(other, "school", school)
        result.append("deleted")
    except Exception as exc:
        result.append(exc)
    finally:
        other.close()


def test_a_reference_is_checked_against_what_is_stored_when_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`records put` of a student is validated while another program deletes the school:
    the deletion waits for our write lock, so the student never lands in a school that
    was deleted after the check."""
    db = tmp_path / "w.wsdb"
    ws = support.new_workspace(db)
    school = support.add_school(ws)
    result: list[object] = []
    started = interleave_after_validating(monkeypatch, "student", delete_school_elsewhere,
                                          (db, school, result))
    student = records.put(ws, "student", support.student_record(school)).id
    started[0].join(timeout=30)
    assert result == ["deleted"]
    student_seq, school_seq = (
        ws.conn.execute("SELECT max(seq) FROM change_log WHERE tbl = ? AND row_id = ?",
                        (table, row)).fetchone()[0]
        for table, row in (("students", student), ("schools", school))
    )
    assert student_seq < school_seq  # written while the school existed, then it went
    ws.close()


def test_a_joined_unit_is_atomic_alone_and_undone_with_its_caller(tmp_path: Path) -> None:
    """`transaction(join=True)` (the bulk writes of an import or a demo) is a transaction
    of its own when nothing else is open, and inside another one it is rolled back with
    it: what it wrote never outlives a failure of the work around it."""
    from wushan_desk.store import changes

    db = tmp_path / "w.wsdb"
    ws = workspace.create(db, "demo", "测试")
    township = next(iter(workspace.township_ids().values()))

    def school(name: str) -> dict[str, str]:
        return {"id": str(uuid.uuid4()), "name": name, "type": "小学", "township_id": township}

    try:
        support.add_school(ws, "甲校")
        with pytest.raises(RuntimeError), ws.transaction(join=True):
            changes.insert_many(ws, "schools", [school("乙校")])
            raise RuntimeError("alone")
        with pytest.raises(RuntimeError), ws.transaction():
            changes.insert_many(ws, "schools", [school("丙校")])  # joins
            raise RuntimeError("the caller fails after the joined unit")
        assert not ws.conn.in_transaction
        assert school_names(db) == ["甲校"]
        changes.insert_many(ws, "schools", [school("丁校")])  # alone: committed
        assert school_names(db) == ["丁校", "甲校"]
    finally:
        ws.close()

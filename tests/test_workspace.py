"""Opening workspaces: migrations, backups, and refusing files that are not ours."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import support
from support import file_digest, new_workspace, open_workspace

from wushan_desk import paths
from wushan_desk.services import workspace
from wushan_desk.store import migrations
from wushan_desk.store.backup import backups_dir
from wushan_desk.store.driver import sqlite3
from wushan_desk.store.errors import WorkspaceError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def extra_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of db/ plus one more migration whose SQL the test chooses."""
    db_dir = tmp_path / "db"
    shutil.copytree(paths.migrations_dir(), db_dir)
    monkeypatch.setattr(paths, "migrations_dir", lambda: db_dir)
    migrations.available.cache_clear()

    def add(text: str, suffix: str = "sql") -> int:
        version = migrations.latest_version() + 1
        (db_dir / f"{version:04d}_test_step.{suffix}").write_text(text, encoding="utf-8")
        migrations.available.cache_clear()
        return version

    yield add
    migrations.available.cache_clear()


def test_new_workspace_gets_every_migration_wal_and_foreign_keys(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "new.wsdb")
    conn = ws.conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.latest_version()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM townships").fetchone()[0] == 26
    assert workspace.check(ws).ok
    assert not backups_dir(ws.path).exists()  # nothing to back up for a new file
    ws.close()


def test_backup_is_taken_before_a_migration(tmp_path: Path, extra_migration) -> None:
    path = tmp_path / "old.wsdb"
    new_workspace(path).close()
    version = extra_migration("CREATE TABLE later_feature (id TEXT PRIMARY KEY);")
    ws = open_workspace(path)
    assert ws.conn.execute("PRAGMA user_version").fetchone()[0] == version
    ws.close()
    backups = list(backups_dir(path).glob("old-before-v*.wsdb"))
    assert len(backups) == 1
    old = support.raw_connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == version - 1
    assert old.execute("SELECT count(*) FROM townships").fetchone()[0] == 26
    old.close()


def test_failing_migration_leaves_previous_version(tmp_path: Path, extra_migration) -> None:
    path = tmp_path / "old.wsdb"
    new_workspace(path).close()
    extra_migration("CREATE TABLE half_done (id TEXT);\nTHIS IS NOT SQL;")
    with pytest.raises(sqlite3.OperationalError):
        open_workspace(path)
    conn = support.raw_connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.latest_version() - 1
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchone()
    conn.close()


def test_a_migration_that_leaves_an_orphan_is_rolled_back(tmp_path: Path,
                                                           extra_migration) -> None:
    """Migrations run with foreign keys off (to rebuild a table others refer to) and
    check them all before committing: one that leaves a row without its parent fails
    whole and the workspace stays at the previous version."""
    path = tmp_path / "old.wsdb"
    new_workspace(path).close()
    extra_migration("CREATE TABLE notes (id TEXT PRIMARY KEY, "
                    "school_id TEXT REFERENCES schools (id));\n"
                    "INSERT INTO notes VALUES ('n1', 'no-such-school');")
    with pytest.raises(sqlite3.IntegrityError, match="without their parent"):
        open_workspace(path)
    conn = support.raw_connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.latest_version() - 1
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'notes'").fetchone()
    conn.close()


TRANSFORM = """
def upgrade(db):
    # what ALTER TABLE cannot do: make sync_packages.file_name NOT NULL with a default
    db["sync_packages"].transform(not_null={"file_name"}, defaults={"file_name": ""})
"""


def test_a_python_migration_transforms_a_table_with_sqlite_utils(
    tmp_path: Path, extra_migration
) -> None:
    path = tmp_path / "old.wsdb"
    new_workspace(path).close()
    version = extra_migration(TRANSFORM, "py")
    ws = open_workspace(path)
    try:
        assert ws.schema_version == version
        column = next(c for c in ws.db["sync_packages"].columns if c.name == "file_name")
        assert column.notnull and column.default_value == "''"
        assert workspace.check(ws).ok
    finally:
        ws.close()


def test_a_failing_python_migration_leaves_the_previous_version(
    tmp_path: Path, extra_migration
) -> None:
    path = tmp_path / "old.wsdb"
    new_workspace(path).close()
    extra_migration(TRANSFORM + "    raise RuntimeError('half way')\n", "py")
    with pytest.raises(RuntimeError):
        open_workspace(path)
    conn = support.raw_connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.latest_version() - 1
        notnull = [r[3] for r in conn.execute("PRAGMA table_info(sync_packages)")
                   if r[1] == "file_name"]
        assert notnull == [0]  # the transform was rolled back with the version bump
    finally:
        conn.close()


def test_check_finds_a_table_that_drifted_from_its_kind(fresh_ws) -> None:
    fresh_ws.conn.execute("DROP TRIGGER staff_guard_update")
    fresh_ws.conn.execute("ALTER TABLE staff DROP COLUMN certificate_no")
    report = workspace.check(fresh_ws)
    assert not report.ok
    assert any("certificate_no" in p for p in report.schema)
    assert any("staff_guard_update" in p for p in report.schema)


def test_workspace_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.wsdb"
    new_workspace(path).close()
    conn = support.raw_connect(path)
    conn.execute(f"PRAGMA user_version = {migrations.latest_version() + 5}")
    conn.close()
    before = file_digest(path)
    with pytest.raises(WorkspaceError, match="更新版本"):
        open_workspace(path)
    assert file_digest(path) == before


@pytest.mark.parametrize(
    "content",
    [b"this is a spreadsheet, not a workspace\n" * 50, b"SQLite format 3\x00" + b"\xff" * 4000],
    ids=["not-sqlite", "corrupt-sqlite"],
)
def test_wrong_or_corrupt_file_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "wrong.wsdb"
    path.write_bytes(content)
    with pytest.raises(WorkspaceError, match="文件未作任何改动"):
        open_workspace(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wrong.wsdb"]


def test_other_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = support.raw_connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.close()
    before = file_digest(path)
    with pytest.raises(WorkspaceError, match="其他程序"):
        open_workspace(path)
    assert file_digest(path) == before


def test_missing_file_is_not_created_when_create_is_false(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="找不到工作区文件"):
        open_workspace(tmp_path / "absent.wsdb", create=False)
    assert not (tmp_path / "absent.wsdb").exists()


def test_version_1_fixture_file_still_opens(tmp_path: Path) -> None:
    """A workspace written by release 0.1 (schema 1) opens and migrates in later versions."""
    path = tmp_path / "v1.wsdb"
    shutil.copy(FIXTURES / "workspace-v1.wsdb", path)
    ws = open_workspace(path)
    assert ws.conn.execute("PRAGMA user_version").fetchone()[0] == migrations.latest_version()
    assert ws.conn.execute("SELECT count(*) FROM students WHERE deleted = 0").fetchone()[0] == 1
    assert workspace.check(ws).ok
    ws.close()


def test_clock_resumes_after_reopen_even_if_wall_clock_went_back(tmp_path: Path) -> None:
    path = tmp_path / "clock.wsdb"
    ws = new_workspace(path)
    last = str(ws.clock.last)
    ws.close()
    ws = open_workspace(path, wall=lambda: 1_000)  # a laptop whose battery died: 1970
    assert str(ws.clock.now()) > last
    ws.close()


def test_empty_database_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = support.raw_connect(path)
    conn.execute("PRAGMA application_id = 42")
    conn.close()
    with pytest.raises(WorkspaceError, match="其他程序"):
        open_workspace(path)


def test_a_failed_commit_leaves_no_open_transaction(tmp_path: Path) -> None:
    """A deferred foreign key failing at COMMIT must not wedge the GUI's one connection."""
    from wushan_desk.store import changes

    ws = new_workspace(tmp_path / "w.wsdb")
    nowhere = "00000000-0000-4000-8000-000000000000"
    record = {"name": "孤儿学校", "type": "小学", "township_id": nowhere}
    with pytest.raises(sqlite3.IntegrityError):
        changes.write_local(ws, "schools", "11111111-1111-4111-8111-111111111111", record)
    assert not ws.conn.in_transaction
    changes.write_local(ws, "schools", "22222222-2222-4222-8222-222222222222",
                        record | {"township_id": workspace.township_ids()["骡坪镇"]})
    ws.close()

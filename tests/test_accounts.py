"""Accounts, roles, the audit trail and the encrypted workspace, through the CLI and services."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import support
from support import file_digest

from wushan_desk import cli
from wushan_desk.services import accounts, audit, records
from wushan_desk.store import keyslots

ADMIN = accounts.credentials_from_env()


def run(capsys, *argv: str, env: dict[str, str] | None = None, monkeypatch=None) -> tuple:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def as_user(monkeypatch, login: str, password: str = "wushan-demo") -> None:
    """The next commands log in as `login` (a fresh process would; forget this one's)."""
    monkeypatch.setenv("WUSHAN_DESK_USER", login)
    monkeypatch.setenv("WUSHAN_DESK_PASSWORD", password)
    accounts._ACTORS.clear()


@pytest.fixture
def demo(demo_copy: Path, monkeypatch) -> Path:
    accounts._ACTORS.clear()
    return demo_copy


def plain_sqlite_reads(path: Path) -> str:
    """What the standard library's sqlite3 (no key) makes of a file, in its own process."""
    code = ("import sqlite3,sys\n"
            "try:\n"
            "    print(sqlite3.connect(sys.argv[1]).execute('select count(*) from sqlite_master')"
            ".fetchone()[0])\n"
            "except sqlite3.DatabaseError as e:\n"
            "    print('refused:', e)\n")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=True).stdout.strip()


def a_student(path: Path) -> dict:
    ws = support.open_workspace(path)
    try:
        return next(records.iter_records(ws, "student"))
    finally:
        ws.close()


def test_the_workspace_and_its_backups_are_unreadable_without_a_login(demo: Path, capsys) -> None:
    student = a_student(demo)
    assert run(capsys, "backup", "now", "--db", str(demo))[0] == 0
    (backup,) = (demo.parent / "backups").glob("demo-manual-*.wsdb")
    for path in (demo, backup):
        assert plain_sqlite_reads(path) == "refused: file is not a database"
        raw = path.read_bytes()
        assert student["resident_id"].encode() not in raw
        assert student["name"].encode("utf-8") not in raw
        assert b"SQLite format 3" not in raw[:16]
    keys = (demo.parent / "demo.wsdb.keys").read_text()
    assert "slots" in keys and student["resident_id"] not in keys
    # the key file travels with the backups, so a backup can be opened after a loss
    assert (demo.parent / "backups" / "demo.wsdb.keys").exists()


def test_private_sync_keys_are_not_in_clear_anywhere(tmp_path: Path, capsys) -> None:
    hub = tmp_path / "hub.wsdb"
    assert run(capsys, "hub", "init", "--db", str(hub), "--name", "县级中心库")[0] == 0
    ws = support.open_workspace(hub)
    try:
        from wushan_desk.sync import identity

        secret = identity.keystore(ws).load()
    finally:
        ws.close()
    assert secret is not None
    blob = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    import base64

    needles = [secret.sign.encode(), secret.encrypt.encode(), base64.b64decode(secret.sign)]
    assert all(len(n) >= 32 for n in needles)
    for needle in needles:
        assert needle not in blob


def test_a_wrong_password_changes_nothing_and_backs_off(demo: Path, capsys, monkeypatch) -> None:
    before = file_digest(demo)
    as_user(monkeypatch, ADMIN.login, "not-the-password")
    for _ in range(keyslots.FREE_ATTEMPTS):
        code, _, err = run(capsys, "records", "list", "school", "--db", str(demo))
        assert code == cli.EXIT_LOGIN and "用户名或密码不正确" in err
    code, _, err = run(capsys, "records", "list", "school", "--db", str(demo))
    assert code == cli.EXIT_LOGIN and "后再试" in err
    # even the right password waits out the back-off
    as_user(monkeypatch, ADMIN.login, ADMIN.password)
    code, _, err = run(capsys, "records", "list", "school", "--db", str(demo))
    assert code == cli.EXIT_LOGIN and "后再试" in err
    assert file_digest(demo) == before


def test_back_off_grows_and_a_good_login_resets_it(tmp_path: Path) -> None:
    keys = keyslots.KeyFile.new(tmp_path / "w.wsdb")
    key = keyslots.new_data_key()
    keys.wrap("zhang", "right-password", key)
    now = 1_000_000.0
    for _ in range(keyslots.FREE_ATTEMPTS):
        with pytest.raises(keyslots.LoginFailed):
            keys.unwrap("zhang", "wrong", now=now)
    assert keys.wait_s("zhang", now) == keyslots.FIRST_WAIT_S
    with pytest.raises(keyslots.LoginFailed, match="后再试"):
        keys.unwrap("zhang", "right-password", now=now + 1)
    assert keys.unwrap("zhang", "right-password", now=now + keyslots.FIRST_WAIT_S) == key
    assert keys.wait_s("zhang", now) == 0
    # a slot belongs to its login: copied to another name it does not open
    keys.slots["li"] = dict(keys.slots["zhang"], login="li")
    with pytest.raises(keyslots.LoginFailed):
        keys.unwrap("li", "right-password", now=now)


def test_passwords_are_argon2id_with_real_cost() -> None:
    assert keyslots.KDF["name"] == "argon2id" and keyslots.KDF["memory_kib"] >= 19_456


def test_password_change_rewraps_without_reencrypting(demo: Path, capsys, monkeypatch) -> None:
    key_before = support.workspace_key(demo)
    slots_before = json.loads((demo.parent / "demo.wsdb.keys").read_text())["slots"]
    monkeypatch.setenv("WUSHAN_DESK_NEW_PASSWORD", "a-new-password")
    code, _, err = run(capsys, "account", "passwd", "--db", str(demo))
    assert code == 0, err
    slots = json.loads((demo.parent / "demo.wsdb.keys").read_text())["slots"]
    # one slot re-wrapped, the others and the data key (so every page) unchanged
    changed = [login for login in slots if slots[login] != slots_before[login]]
    assert changed == [ADMIN.login]
    accounts.forget(demo)
    assert keyslots.KeyFile.load(demo).unwrap(ADMIN.login, "a-new-password") == key_before
    as_user(monkeypatch, ADMIN.login, ADMIN.password)
    assert run(capsys, "records", "list", "school", "--db", str(demo))[0] == cli.EXIT_LOGIN
    as_user(monkeypatch, ADMIN.login, "a-new-password")
    assert run(capsys, "records", "list", "school", "--db", str(demo))[0] == 0


def test_demo_prints_one_account_per_role_and_a_supervisor_per_centre(
        tmp_path: Path, capsys) -> None:
    code, out, err = run(capsys, "demo", "--scale", "0.01", "--db", str(tmp_path / "d.wsdb"))
    assert code == 0, err
    listed = json.loads(out)["accounts"]
    roles = {row[1] for row in listed}
    assert roles == set(accounts.ROLES.values())
    supervisors = [row for row in listed if row[1] == "督导员"]
    assert len(supervisors) == len({row[2] for row in supervisors}) >= 2
    assert "duxue-01" in err and "wushan-demo" in err


def test_read_only_changes_nothing(demo: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    student = a_student(demo)
    line = tmp_path / "s.jsonl"
    line.write_text(json.dumps(student | {"name": "改名"}, ensure_ascii=False) + "\n")
    before = file_digest(demo)
    as_user(monkeypatch, "chakan")
    code, _, err = run(capsys, "records", "put", "student", str(line), "--db", str(demo))
    assert code == cli.EXIT_FORBIDDEN and "只读" in err and "无权修改数据" in err
    code, _, err = run(capsys, "records", "list", "student", "--full", "--purpose", "看看",
                       "--db", str(demo))
    assert code == cli.EXIT_FORBIDDEN
    assert file_digest(demo) == before


def test_supervisors_change_only_their_zone(demo: Path, tmp_path: Path, capsys,
                                             monkeypatch) -> None:
    ws = support.open_workspace(demo)
    try:
        actor = next(a for a in accounts.list_accounts(ws) if a.login == "duxue-01")
        from wushan_desk.sync import scope

        zone = scope.centre_scope(ws, actor.centre_id)
        inside = outside = None
        for s in records.iter_records(ws, "student"):
            if scope.in_zone(ws, zone, "students", s):
                inside = inside or s
            else:
                outside = outside or s
    finally:
        ws.close()
    assert inside and outside
    as_user(monkeypatch, "duxue-01")
    for student, code_wanted in ((outside, cli.EXIT_FORBIDDEN), (inside, 0)):
        line = tmp_path / "s.jsonl"
        line.write_text(json.dumps(student | {"class_name": "家访班"}, ensure_ascii=False) + "\n")
        before = file_digest(demo)
        code, _, err = run(capsys, "records", "put", "student", str(line), "--db", str(demo))
        assert code == code_wanted, err
        if code_wanted:
            assert "责任区" in err and file_digest(demo) == before


def test_county_staff_cannot_manage_accounts(demo: Path, capsys, monkeypatch) -> None:
    as_user(monkeypatch, "yewu")
    monkeypatch.setenv("WUSHAN_DESK_NEW_PASSWORD", "another-password")
    code, _, err = run(capsys, "account", "add", "newbie", "--role", "read_only",
                       "--db", str(demo))
    assert code == cli.EXIT_FORBIDDEN and "管理账号" in err
    as_user(monkeypatch, ADMIN.login, ADMIN.password)
    code, _, err = run(capsys, "account", "add", "newbie", "--role", "read_only",
                       "--db", str(demo))
    assert code == 0, err
    as_user(monkeypatch, "newbie", "another-password")
    code, _, err = run(capsys, "records", "list", "school", "--db", str(demo))
    assert code == cli.EXIT_LOGIN and "临时密码" in err  # set by the county: change it first
    monkeypatch.setenv("WUSHAN_DESK_NEW_PASSWORD", "newbies-own-password")
    assert run(capsys, "account", "passwd", "--db", str(demo))[0] == 0
    as_user(monkeypatch, "newbie", "newbies-own-password")
    assert run(capsys, "records", "list", "school", "--db", str(demo))[0] == 0


def test_full_values_need_a_purpose_and_are_audited(demo: Path, capsys, monkeypatch) -> None:
    student = a_student(demo)
    code, out, _ = run(capsys, "records", "list", "student", "--db", str(demo))
    assert student["resident_id"] not in out and "********" in out
    code, _, err = run(capsys, "records", "list", "student", "--full", "--db", str(demo))
    assert code == 3 and "用途" in err
    code, out, _ = run(capsys, "records", "get", "student", student["id"], "--full",
                       "--purpose", "核对资助名单", "--db", str(demo))
    assert code == 0 and json.loads(out)["resident_id"] == student["resident_id"]
    code, out, _ = run(capsys, "account", "audit", "--json", "--db", str(demo))
    entries = json.loads(out)
    viewed = [e for e in entries if e["action"] == "view-full"]
    assert viewed and viewed[0]["detail"]["purpose"] == "核对资助名单"
    assert viewed[0]["login"] == ADMIN.login and viewed[0]["record_id"] == student["id"]
    assert any(e["action"] == "login" for e in entries)


def test_failed_logins_reach_the_audit_trail(demo: Path, capsys, monkeypatch) -> None:
    as_user(monkeypatch, ADMIN.login, "wrong-password")
    run(capsys, "records", "list", "school", "--db", str(demo))
    as_user(monkeypatch, ADMIN.login, ADMIN.password)
    _, out, _ = run(capsys, "account", "audit", "--action", "login-failed", "--json",
                    "--db", str(demo))
    (failed,) = json.loads(out)
    assert failed["login"] == ADMIN.login and failed["detail"]["count"] == 1


def test_the_audit_trail_and_change_log_refuse_edits(demo: Path) -> None:
    ws = support.open_workspace(demo)
    try:
        audit.record(ws, "print", kind="visit", record_id="x")
    finally:
        ws.close()
    conn = support.raw_connect(demo)
    try:
        for sql in ("UPDATE audit_log SET login = 'someone'", "DELETE FROM audit_log",
                    "UPDATE change_log SET author = 'someone'", "DELETE FROM change_log",
                    "UPDATE change_log SET data = '{}', base = '{}', purged = 1, "
                    "author = 'x' WHERE seq = 1"):
            with pytest.raises(Exception, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()


def test_changes_carry_their_author_into_history(demo: Path, tmp_path: Path, capsys) -> None:
    student = a_student(demo)
    line = tmp_path / "s.jsonl"
    line.write_text(json.dumps(student | {"class_name": "作者班"}, ensure_ascii=False) + "\n")
    assert run(capsys, "records", "put", "student", str(line), "--db", str(demo))[0] == 0
    ws = support.open_workspace(demo)
    try:
        history = audit.history(ws, "student", student["id"])
    finally:
        ws.close()
    assert history[-1]["author"] == ADMIN.login and "班级" in "".join(history[-1]["fields"])


def test_audit_exports_to_xlsx(demo: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "审计.xlsx"
    code, _, err = run(capsys, "account", "audit", "--out", str(out), "--db", str(demo))
    assert code == 0, err
    from openpyxl import load_workbook

    sheet = load_workbook(out).active
    assert sheet["A1"].value == "时间" and sheet.max_row >= 2


def test_an_old_clear_workspace_is_encrypted_with_a_backup_first(tmp_path: Path, capsys,
                                                                  monkeypatch) -> None:
    path = tmp_path / "old.wsdb"
    path.write_bytes((Path(__file__).parent / "fixtures" / "workspace-v1.wsdb").read_bytes())
    assert plain_sqlite_reads(path).isdigit()
    monkeypatch.setenv("WUSHAN_DESK_USER", "laowang")
    monkeypatch.setenv("WUSHAN_DESK_PASSWORD", "laowang-password")
    code, _, err = run(capsys, "account", "encrypt", "--db", str(path))
    assert code == 0, err
    assert plain_sqlite_reads(path) == "refused: file is not a database"
    assert not Path(f"{path}.clear").exists() and not Path(f"{path}.encrypting").exists()
    for backup in (tmp_path / "backups").glob("*.wsdb"):  # the migration's backup too
        assert plain_sqlite_reads(backup) == "refused: file is not a database"
    accounts._ACTORS.clear()
    code, out, err = run(capsys, "records", "list", "township", "--db", str(path))
    assert code == 0 and len(out.splitlines()) == 26
    code, _, err = run(capsys, "account", "encrypt", "--db", str(path))
    assert code == 3 and "已经加密" in err


def test_each_kind_of_action_is_audited_with_its_user(demo: Path, tmp_path: Path, capsys,
                                                      monkeypatch) -> None:
    from wushan_desk.services import inspection

    ws = support.open_workspace(demo)
    try:
        visit = inspection.list_visits(ws, dt.date(2026, 11, 28))[0]["id"]
    finally:
        ws.close()
    monkeypatch.setenv("WUSHAN_DESK_NEW_PASSWORD", "temp-password-1")
    steps = [["backup", "now"], ["report", "inspection", visit, "--out", str(tmp_path / "r.pdf")],
             ["account", "add", "zhang", "--role", "county_staff"],
             ["account", "reset", "zhang"],
             ["records", "get", "school", _a_school(demo), "--full", "--purpose", "核对"]]
    for argv in steps:
        code, _, err = run(capsys, *argv, "--db", str(demo))
        assert code == 0, (argv, err)
    _, out, _ = run(capsys, "account", "audit", "--json", "--db", str(demo))
    done = {(e["action"], e["login"]) for e in json.loads(out)}
    for action in ("login", "backup", "print", "account-created", "password-reset",
                   "view-full"):
        assert (action, ADMIN.login) in done, action


def _a_school(path: Path) -> str:
    ws = support.open_workspace(path)
    try:
        return next(records.iter_records(ws, "school"))["id"]
    finally:
        ws.close()


def test_a_disabled_account_cannot_log_in(demo: Path, capsys, monkeypatch) -> None:
    as_user(monkeypatch, "yewu")
    code, _, err = run(capsys, "account", "disable", "chakan", "--db", str(demo))
    assert code == cli.EXIT_FORBIDDEN
    as_user(monkeypatch, ADMIN.login, ADMIN.password)
    code, _, err = run(capsys, "account", "disable", ADMIN.login, "--db", str(demo))
    assert code == 3 and "自己" in err
    assert run(capsys, "account", "disable", "yewu", "--db", str(demo))[0] == 0
    as_user(monkeypatch, "yewu")
    code, _, err = run(capsys, "records", "list", "school", "--db", str(demo))
    assert code == cli.EXIT_LOGIN


def test_two_programs_adding_accounts_at_once_both_keep_their_slots(demo: Path) -> None:
    """The key file is read again under the write lock: no slot is lost."""
    import os
    import subprocess

    env = os.environ | {"WUSHAN_DESK_USER": ADMIN.login,
                        "WUSHAN_DESK_PASSWORD": ADMIN.password,
                        "WUSHAN_DESK_NEW_PASSWORD": "parallel-pass-1"}
    runs = [subprocess.Popen([sys.executable, "-m", "wushan_desk", "account", "add", login,
                              "--role", "county_staff", "--db", str(demo)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for login in ("staffa", "staffb")]
    assert [p.wait(60) for p in runs] == [0, 0]
    keys = keyslots.KeyFile.load(demo)
    assert keys.has("staffa") and keys.has("staffb")


def test_a_clock_set_back_never_locks_an_account_for_long(tmp_path: Path) -> None:
    keys = keyslots.KeyFile.new(tmp_path / "w.wsdb")
    keys.wrap("zhang", "right-password", keyslots.new_data_key())
    year_ahead = 1_000_000.0 + 365 * 86400
    for _ in range(keyslots.FREE_ATTEMPTS):
        with pytest.raises(keyslots.LoginFailed):
            keys.unwrap("zhang", "wrong", now=year_ahead)
    assert keys.wait_s("zhang", 1_000_000.0) <= keyslots.FIRST_WAIT_S


def test_a_restore_keeps_the_audit_trail_and_is_audited(demo: Path, capsys,
                                                       monkeypatch) -> None:
    assert run(capsys, "backup", "now", "--db", str(demo))[0] == 0
    (taken,) = (demo.parent / "backups").glob("demo-manual-*.wsdb")
    student = a_student(demo)
    assert run(capsys, "records", "get", "student", student["id"], "--full", "--purpose",
               "核对", "--db", str(demo))[0] == 0
    assert run(capsys, "restore", taken.name, "--db", str(demo))[0] == 0
    _, out, _ = run(capsys, "account", "audit", "--json", "--db", str(demo))
    actions = [e["action"] for e in json.loads(out)]
    assert "view-full" in actions and "restore" in actions


#: the file moves of an encryption, in order: the waiting key file written, the clear
#: file set aside, the encrypted copy moved in, the key file put in place
@pytest.mark.parametrize("crash_at", [1, 2, 3, 4])
def test_an_interrupted_encryption_is_finished_or_undone(tmp_path: Path, capsys,
                                                         monkeypatch, crash_at: int) -> None:
    from wushan_desk import files

    path = tmp_path / "old.wsdb"
    path.write_bytes((Path(__file__).parent / "fixtures" / "workspace-v1.wsdb").read_bytes())
    monkeypatch.setenv("WUSHAN_DESK_USER", "laowang")
    monkeypatch.setenv("WUSHAN_DESK_PASSWORD", "laowang-password")
    real_replace = files.replace
    calls: list[Path] = []

    def crashing_replace(source: Path, target: Path) -> None:
        calls.append(source)
        if len(calls) == crash_at:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(files, "replace", crashing_replace)
    code, _, err = run(capsys, "account", "encrypt", "--db", str(path))
    assert code != 0
    monkeypatch.setattr(files, "replace", real_replace)
    accounts._ACTORS.clear()
    # whatever the moment, the next start recovers: either still clear (encrypt again)
    # or encrypted with the administrator's password
    code, out, err = run(capsys, "account", "encrypt", "--db", str(path))
    if code == 3:
        assert "已经加密" in err
    else:
        assert code == 0, err
    accounts._ACTORS.clear()
    code, out, err = run(capsys, "records", "list", "township", "--db", str(path))
    assert code == 0 and len(out.splitlines()) == 26, err
    assert plain_sqlite_reads(path) == "refused: file is not a database"
    assert not list(tmp_path.glob("old.wsdb.clear*"))


def test_a_supervisor_archives_only_the_own_zones_rosters(demo: Path, capsys,
                                                          monkeypatch) -> None:
    as_user(monkeypatch, "duxue-01")
    code, out, err = run(capsys, "dropout", "roster", "--term", "2025-2026-2",
                         "--db", str(demo))
    assert code == 0, err
    kept = json.loads(out)
    assert kept["schools"] > 0 and kept["other_zone"] > 0  # the rest left to their centres
    as_user(monkeypatch, ADMIN.login, ADMIN.password)
    code, out, _ = run(capsys, "dropout", "roster", "--term", "2025-2026-2", "--db", str(demo))
    assert json.loads(out)["schools"] == kept["other_zone"]  # the county keeps the others

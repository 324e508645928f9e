"""Accounts: who may log in to a workspace, with which role, and the login itself.

A workspace created by this version is encrypted (SQLCipher) with a random data key;
each account holds a slot in the key file that opens it with the account's password
(store/keyslots.py). Logging in = opening a slot, opening the workspace with the key,
finding the account active in it, installing the permission rules (services/permissions)
and writing the login to the audit trail. A workspace made before accounts existed has
no key file and opens without a login until it is encrypted (`encrypt_existing`).

Scripts log in with WUSHAN_DESK_USER / WUSHAN_DESK_PASSWORD (`credentials_from_env`);
the CLI prompts on a terminal; the GUI shows its login dialog.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk.domain import clock, text
from wushan_desk.domain.errors import UserError, ValidationError
from wushan_desk.services import start
from wushan_desk.store import accounts as store
from wushan_desk.store import keyslots
from wushan_desk.store.keyslots import LoginFailed
from wushan_desk.store.workspace import (
    DEFAULT_BUSY_MS,
    LoginRequired,
    Workspace,
    known_key,
    open_workspace,
    remember_key,
)

__all__ = ["ROLES", "Actor", "Credentials", "LoginFailed", "LoginRequired", "PermissionDenied"]

#: Roles and how the screens name them.
ROLES: dict[str, str] = {
    "county_admin": "县级管理员",
    "county_staff": "县级业务员",
    "supervisor": "督导员",
    "read_only": "只读",
}
MIN_PASSWORD = 8
_LOGIN = re.compile(r"^[\w.\-@]{2,32}$")


class PermissionDenied(UserError):
    """The logged-in account's role does not allow this action."""

    code = "forbidden"


@dataclass(frozen=True)
class Credentials:
    login: str
    password: str = ""


@dataclass(frozen=True)
class Actor:
    """The logged-in account, as permissions and the audit trail see it."""

    id: str
    login: str
    display_name: str
    role: str
    centre_id: str | None
    must_change: bool = False

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_county(self) -> bool:
        return self.role in ("county_admin", "county_staff") or (
            self.role == "read_only" and not self.centre_id)


#: The variables scripts log in with (defined where the first window reads them).
ENV_USER, ENV_PASSWORD = start.ENV_USER, start.ENV_PASSWORD


def credentials_from_env(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """WUSHAN_DESK_USER / WUSHAN_DESK_PASSWORD, when both are set (for scripts)."""
    found = start.env_credentials(environ)
    return Credentials(*found) if found else None


def check_login_name(login: str) -> str:
    login = (login or "").strip()
    if not _LOGIN.fullmatch(login):
        raise ValidationError(
            "用户名应为 2 到 32 个字母、数字、汉字或 . _ - @（不含空格）。", "login")
    return login


def check_password(password: str, login: str = "") -> None:
    """A password good enough to guard children's data on a laptop that may be lost."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"密码至少 {MIN_PASSWORD} 位，请重新设置。", "password")
    if login and password.casefold() == login.casefold():
        raise ValidationError("密码不能与用户名相同。", "password")
    if len(set(password)) < 3:
        raise ValidationError("密码太简单（重复的字符），请换一个。", "password")


# -- opening ------------------------------------------------------------------------


def is_encrypted(path: str | Path) -> bool:
    return keyslots.is_encrypted(Path(os.path.abspath(path)))


def login(path: str | Path, credentials: Credentials, *, busy_ms: int = DEFAULT_BUSY_MS,
          create: bool = False) -> Workspace:
    """Open the encrypted workspace at `path` as `credentials`' account.

    LoginFailed (nothing changed but the failure counter in the key file) for a wrong
    name or password, during the back-off, or for a disabled account.
    """
    path = Path(os.path.abspath(path))
    recover_interrupted_encryption(path)
    keys = keyslots.KeyFile.load(path)
    try:
        key = keys.unwrap(credentials.login, credentials.password)
    except LoginFailed:
        keys.save()
        raise
    ws = open_workspace(path, key=key, busy_ms=busy_ms, create=create)
    try:
        row = store.account_by_login(ws, credentials.login)
        if row is None or not row["active"]:
            raise LoginFailed("这个账号已停用，不能登录。请联系县教委管理员。")
        actor = actor_of(row)
        attach(ws, actor)
        remember_key(path, key)
        _ACTORS[os.path.realpath(path)] = actor
        _log_login(ws, keys)
        if ws.state(UNFINISHED) == "1":  # a crash cut an encryption short: finish it
            finish_encryption(ws)
    except BaseException:
        ws.close()
        raise
    return ws


def attach(ws: Workspace, actor: Actor | None) -> None:
    """Make `actor` the one working in `ws`: its writes are checked and signed with it."""
    from wushan_desk.services import permissions

    ws.user = actor
    ws.write_guard = permissions.check_write if actor is not None else None


def current_actor(path: str | Path) -> Actor | None:
    """The account logged in to `path` in this process (None: nobody yet)."""
    return _ACTORS.get(os.path.realpath(path))


def logged_in(path: str | Path) -> bool:
    """Has this process logged in to the workspace at `path` (its key and account known)?"""
    path = Path(os.path.abspath(path))
    return known_key(path) is not None and current_actor(path) is not None


def reopen(path: str | Path, *, busy_ms: int = DEFAULT_BUSY_MS, create: bool = False
           ) -> Workspace:
    """Open a workspace this process already logged in to (or one without accounts);
    for an encrypted one nobody logged in to yet, the environment's credentials, else
    LoginRequired."""
    path = Path(os.path.abspath(path))
    if keyslots.is_encrypted(path) and not logged_in(path):
        credentials = credentials_from_env()
        if credentials is None:
            raise LoginRequired(f"工作区 {path.name} 已加密，请先登录。")
        return login(path, credentials, busy_ms=busy_ms, create=create)
    ws = open_workspace(path, busy_ms=busy_ms, create=create)
    attach(ws, current_actor(path))
    return ws


def forget(path: str | Path) -> None:
    """Log out of `path` in this process (the key is forgotten too)."""
    from wushan_desk.store.workspace import forget_key

    _ACTORS.pop(os.path.realpath(path), None)
    forget_key(Path(path))


_ACTORS: dict[str, Actor] = {}


def actor_of(row: Mapping[str, Any]) -> Actor:
    return Actor(row["id"], row["login"], row["display_name"], row["role"], row["centre_id"],
                 bool(row["must_change"]))


def _log_login(ws: Workspace, keys: keyslots.KeyFile) -> None:
    """Note the login for the audit trail. It waits in the `.logins` file beside the key
    file until the next audited action writes it (with the failed attempts before it):
    a command that is then refused leaves the workspace byte for byte as it was."""
    actor = ws.user
    keys.note("login", actor.login, id=str(uuid.uuid4()), user_id=actor.id, role=actor.role)
    keys.save()


# -- creating -------------------------------------------------------------------------


def new_encrypted(path: Path, admin: Credentials, display_name: str = "") -> Workspace:
    """A new, empty, encrypted workspace at `path` whose first account is `admin`
    (a county administrator). The caller fills it; on failure it must discard it."""
    login_name = check_login_name(admin.login)
    check_password(admin.password, login_name)
    path = Path(os.path.abspath(path))
    key = keyslots.new_data_key()
    keys = keyslots.KeyFile.new(path)
    keys.wrap(login_name, admin.password, key)
    ws = open_workspace(path, new=True, key=key)
    try:
        keys.save_slots()
        with ws.transaction():
            row = _insert(ws, login_name, display_name or login_name, "county_admin", None,
                          created_by=None)
        actor = actor_of(row)
        attach(ws, actor)
        remember_key(path, key)
        _ACTORS[os.path.realpath(path)] = actor
        from wushan_desk.services import audit

        with ws.transaction():
            audit.record(ws, "account-created", kind="account", record_id=row["id"],
                         detail={"login": login_name, "role": "county_admin", "first": True})
    except BaseException:
        ws.close()
        keyslots.keys_path(path).unlink(missing_ok=True)
        raise
    return ws


def _insert(ws: Workspace, login_name: str, display_name: str, role: str,
            centre_id: str | None, *, created_by: str | None, must_change: bool = False
            ) -> dict[str, Any]:
    if role not in ROLES:
        raise ValidationError(f"没有“{role}”这个角色；可选：{'、'.join(ROLES.values())}。", "role")
    if role == "supervisor" and not centre_id:
        raise ValidationError("督导员账号必须属于一个督导中心。", "centre_id")
    if store.account_by_login(ws, login_name) is not None:
        raise ValidationError(f"用户名“{login_name}”已被使用，请换一个。", "login")
    name = text.clean(display_name, multiline=False).strip()[:40] or login_name
    now = clock.now_iso()
    row = {"id": str(uuid.uuid4()), "login": login_name, "display_name": name, "role": role,
           "centre_id": centre_id, "active": 1, "must_change": int(must_change),
           "created_at": now, "created_by": created_by, "changed_at": now}
    store.insert_account(ws, row)
    return row


# -- managing -------------------------------------------------------------------------


def list_accounts(ws: Workspace) -> list[Actor]:
    return [actor_of(r) for r in store.all_accounts(ws) if r["active"]]


def add_account(ws: Workspace, credentials: Credentials, role: str, *,
                display_name: str = "", centre_id: str | None = None,
                must_change: bool = False) -> Actor:
    """A new account (county administrators only) with a slot for its password."""
    from wushan_desk.services import audit, permissions

    permissions.require(ws, "manage_accounts")
    login_name = check_login_name(credentials.login)
    check_password(credentials.password, login_name)
    if centre_id is not None:
        _check_centre(ws, centre_id)
    with ws.transaction():
        row = _insert(ws, login_name, display_name, role, centre_id,
                      created_by=getattr(ws.user, "login", None), must_change=must_change)
        if centre_id is not None and _is_hub(ws):  # goes to the centre's laptops
            _issue(ws, row, credentials.password)
        audit.record(ws, "account-created", kind="account", record_id=row["id"],
                     detail={"login": login_name, "role": role, "centre_id": centre_id})
        # inside the transaction: no account without its slot
        _update_slots(ws, lambda keys, key: keys.wrap(login_name, credentials.password, key))
    return actor_of(row)


def reset_password(ws: Workspace, login_name: str, temporary: str) -> Actor:
    """A county administrator gives an account a temporary password, to be changed at
    its next login. At the hub, a centre's account gets it on that centre's laptop
    with the next package (once: a re-import does not reset again)."""
    from wushan_desk.services import audit, permissions

    permissions.require(ws, "manage_accounts")
    row = store.account_by_login(ws, login_name)
    if row is None or not row["active"]:
        raise ValidationError(f"没有名为“{login_name}”的有效账号。", "login")
    check_password(temporary, row["login"])
    with ws.transaction():
        store.update_account(ws, row["id"], {"must_change": 1, "changed_at": clock.now_iso()})
        if row["centre_id"] and _is_hub(ws):
            _issue(ws, row, temporary)
        audit.record(ws, "password-reset", kind="account", record_id=row["id"],
                     detail={"login": row["login"]})
        _update_slots(ws, lambda keys, key: keys.wrap(row["login"], temporary, key))
    return actor_of(store.account_by_id(ws, row["id"]) or row)


def disable_account(ws: Workspace, login_name: str) -> None:
    """Stop an account (county administrators only): its slot is removed here, and at the
    hub its centre's laptops remove theirs with the next package. Never one's own."""
    from wushan_desk.services import audit, permissions

    permissions.require(ws, "manage_accounts")
    row = store.account_by_login(ws, login_name)
    if row is None or not row["active"]:
        raise ValidationError(f"没有名为“{login_name}”的有效账号。", "login")
    if ws.user is not None and row["id"] == ws.user.id:
        raise ValidationError("不能停用自己正在使用的账号。", "login")
    admins = [a for a in list_accounts(ws) if a.role == "county_admin"]
    if row["role"] == "county_admin" and len(admins) <= 1:
        raise ValidationError("这是最后一个县级管理员账号，停用后就没有人能管理账号了。", "login")
    with ws.transaction():
        store.update_account(ws, row["id"], {"active": 0, "changed_at": clock.now_iso()})
        if row["centre_id"] and _is_hub(ws):
            store.update_account(ws, row["id"], {"hub_version": ws.stamp()})
        audit.record(ws, "account-disabled", kind="account", record_id=row["id"],
                     detail={"login": row["login"]})
        _update_slots(ws, lambda keys, _key: keys.remove(row["login"]))


def _issue(ws: Workspace, row: Mapping[str, Any], password: str) -> None:
    """A temporary password for a centre's laptops, with the hub's stamp: a laptop takes
    an account's state only from a package newer than what it has."""
    import json

    issue = keyslots.new_issue(password)
    store.update_account(ws, row["id"], {"issue": json.dumps(issue), "hub_version": ws.stamp()})


def _is_hub(ws: Workspace) -> bool:
    return ws.state("role") == "hub"


def change_password(ws: Workspace, old: str, new: str) -> None:
    """The logged-in account's new password: its slot is re-wrapped, nothing re-encrypted."""
    from wushan_desk.services import audit

    actor = ws.user
    if actor is None:
        raise PermissionDenied("这个工作区还没有账号，请先加密并创建管理员账号。")
    check_password(new, actor.login)
    with ws.transaction():  # the key file is read and written under the write lock
        keys = keyslots.KeyFile.load(ws.path)
        try:
            key = keys.unwrap(actor.login, old)
        except LoginFailed:
            keys.save()
            raise LoginFailed("原密码不正确，密码没有修改。") from None
        if key != ws.key:
            raise LoginFailed("原密码不正确，密码没有修改。")
        store.update_account(ws, actor.id, {"must_change": 0, "changed_at": clock.now_iso()})
        audit.record(ws, "password-changed", kind="account", record_id=actor.id)
        keys.wrap(actor.login, new, key)
        keys.save_slots()
    attach(ws, actor_of(store.account_by_login(ws, actor.login) or {}))


def verify_password(ws: Workspace, password: str) -> bool:
    """Does `password` open the logged-in account's slot (the GUI's unlock)? A failure
    counts towards the back-off like a failed login."""
    actor = ws.user
    if actor is None:
        return True
    keys = keyslots.KeyFile.load(ws.path)
    try:
        return keys.unwrap(actor.login, password) == ws.key
    except LoginFailed:
        keys.save()
        raise


def _update_slots(ws: Workspace, change: Callable[[keyslots.KeyFile, bytes], None]) -> None:
    """Change the key file's slots under the workspace's write lock (call inside
    `ws.transaction()`): it is read again first, so two programs adding accounts at
    once never overwrite each other's slots. A workspace without a key: nothing to do."""
    assert ws.in_transaction
    if ws.key is None or not keyslots.is_encrypted(ws.path):
        return
    keys = keyslots.KeyFile.load(ws.path)
    change(keys, ws.key)
    keys.save_slots()


def _check_centre(ws: Workspace, centre_id: str) -> None:
    from wushan_desk.services import records

    if records.get(ws, "centre", centre_id) is None:
        raise ValidationError(f"找不到督导中心 {centre_id}。", "centre_id")


# -- upgrading a clear workspace ------------------------------------------------------------


def encrypt_existing(path: str | Path, admin: Credentials) -> Workspace:
    """Encrypt a workspace made before accounts existed, with `admin` as its first
    administrator; returns it open and logged in.

    Nothing else may have the workspace open (WorkspaceBusy). The encrypted copy is
    written, checked and given its administrator while the clear file stays untouched;
    the key file waits as `.keys.pending`; then three renames swap them in and the clear
    file is deleted. A crash anywhere is finished or undone on the next open
    (`recover_interrupted_encryption`). Earlier backups and attachments are then
    encrypted with the same key (again at each login until none is left clear).
    """
    from wushan_desk import files
    from wushan_desk.store import encryption

    path = Path(os.path.abspath(path))
    recover_interrupted_encryption(path)
    if keyslots.is_encrypted(path):
        raise UserError("这个工作区已经加密，不需要再加密。", "already-encrypted")
    login_name = check_login_name(admin.login)
    check_password(admin.password, login_name)
    ws = open_workspace(path, create=False)  # brings it to the latest schema first
    try:
        if store.account_count(ws):
            raise UserError("这个工作区已有账号。", "already-encrypted")
    finally:
        ws.close()
    key = keyslots.new_data_key()
    staged, pending, clear = _encryption_files(path)
    held = encryption.hold_exclusive(path)
    try:
        staged.unlink(missing_ok=True)
        encryption.export_encrypted(path, staged, key, held)
        row = _first_admin_in(staged, key, login_name)
        keys = keyslots.KeyFile.new(path)
        keys.wrap(login_name, admin.password, key)
        keys.path = pending
        keys.save_slots()
    except BaseException:
        held.close()
        staged.unlink(missing_ok=True)
        pending.unlink(missing_ok=True)
        raise
    held.close()  # nothing else has it open, and its journal was checkpointed away
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    files.replace(path, clear)
    files.replace(staged, path)
    files.replace(pending, keyslots.keys_path(path))
    recover_interrupted_encryption(path)  # removes the clear file and its journals
    ws = open_workspace(path, key=key)
    try:
        actor = actor_of(row)
        attach(ws, actor)
        remember_key(path, key)
        _ACTORS[os.path.realpath(path)] = actor
        done = finish_encryption(ws)
        from wushan_desk.services import audit

        audit.record(ws, "encrypt", detail={"backups": done})
    except BaseException:
        ws.close()
        raise
    return ws


def _encryption_files(path: Path) -> tuple[Path, Path, Path]:
    """(encrypted copy being made, its key file waiting, the clear file set aside)."""
    return Path(f"{path}.encrypting"), Path(f"{path}.keys.pending"), Path(f"{path}.clear")


def _first_admin_in(staged: Path, key: bytes, login_name: str) -> dict[str, Any]:
    from wushan_desk.store.workspace import open_workspace as open_file

    ws = open_file(staged, key=key, create=False)
    try:
        with ws.transaction():
            ws.set_state(UNFINISHED, "1")  # backups and attachments still to encrypt
            return _insert(ws, login_name, login_name, "county_admin", None, created_by=None)
    finally:
        ws.close()


#: Set in an encrypted workspace whose earlier backups and attachments may still be clear.
UNFINISHED = "encryption_unfinished"


def recover_interrupted_encryption(path: Path) -> None:
    """Finish or undo an encryption a crash interrupted, from the files it left: the
    key file still `.pending` means the swap was not finished."""
    from wushan_desk import files

    staged, pending, clear = _encryption_files(path)
    keys = keyslots.keys_path(path)
    if pending.exists():
        if clear.exists() and path.exists():  # the encrypted copy is in place
            files.replace(pending, keys)
        elif clear.exists() and staged.exists():  # between the two renames
            files.replace(staged, path)
            files.replace(pending, keys)
        elif clear.exists():  # nothing to swap in: put the clear file back
            files.replace(clear, path)
            pending.unlink()
        else:  # the swap never started
            pending.unlink()
            staged.unlink(missing_ok=True)
    elif staged.exists() and not clear.exists():
        staged.unlink()  # the copy was never finished
    if clear.exists() and keys.exists() and path.exists():
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{clear}{suffix}").unlink(missing_ok=True)


def finish_encryption(ws: Workspace) -> int:
    """Encrypt what is still clear beside an encrypted workspace (backups, attachment
    files), after its encryption or a crash during it; returns backups encrypted."""
    from wushan_desk.store import backup, blobs

    if ws.key is None or ws.state(UNFINISHED) != "1":
        return 0
    done = _encrypt_backups(ws.path, ws.key, backup.backups_dir(ws.path))
    blobs.seal_all(ws.files_dir, ws.key)
    with ws.transaction():
        ws.clear_state(UNFINISHED)
    return done


def _encrypt_backups(path: Path, key: bytes, folder: Path) -> int:
    """Encrypt this workspace's clear backups in place (same data key); returns how many."""
    from wushan_desk import files
    from wushan_desk.store import encryption

    done = 0
    from wushan_desk.store.backup import backup_files

    for old in sorted(backup_files(path)):
        staged = Path(f"{old}.encrypting")
        try:
            encryption.export_encrypted(old, staged, key)
        except Exception:  # already encrypted, or not a database: leave it as it is
            staged.unlink(missing_ok=True)
            continue
        files.replace(staged, old)
        done += 1
    if done:
        data = keyslots.keys_path(path).read_bytes()
        files.write_atomic(folder / keyslots.keys_path(path).name, lambda f: f.write(data))
    return done

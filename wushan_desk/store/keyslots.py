"""The key file beside an encrypted workspace: one wrapped copy of its data key per user.

The workspace (SQLCipher) is encrypted with a random 256-bit data key that nobody ever
types. Each account has a *slot*: the data key encrypted (AES-256-GCM) under a key
derived from that account's password with argon2id. Logging in derives the key, opens
the slot and hands the data key to SQLCipher; a wrong password fails the GCM tag and
nothing is opened. A password change re-wraps one slot and re-encrypts nothing.

A second file (`<workspace>.logins`) keeps the failed-login counters that drive the
back-off and the logins and failed attempts until the next audited action moves them
into the audit trail: before a login there is no key to write to the workspace with,
and a command that is refused must leave the workspace exactly as it was. It is kept
apart so that its frequent rewrites can never race with a slot being added.

The file holds no secret in clear: every slot is as strong as its password under
argon2id (64 MiB, 2 passes). Losing it loses the workspace, so every backup carries a
copy (see store/backup.py).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk import files
from wushan_desk.domain.errors import UserError

FORMAT = "wushan-desk-keys"
#: argon2id cost: 64 MiB and 2 passes take ~0.1 s here and ~0.3 s on an old laptop,
#: and make each guess at a stolen key file cost as much (RFC 9106, OWASP 2024).
KDF = {"name": "argon2id", "memory_kib": 65536, "passes": 2, "lanes": 1}
KEY_BYTES = 32
#: Failed logins allowed before the back-off starts, its first wait and its ceiling.
FREE_ATTEMPTS = 5
FIRST_WAIT_S = 30
LONGEST_WAIT_S = 15 * 60
#: Failed attempts kept for the audit trail until the next successful login.
MAX_PENDING_EVENTS = 200


class LoginFailed(UserError):
    """Wrong name or password, or a login during the back-off."""

    code = "login-failed"


def keys_path(workspace_path: Path) -> Path:
    return Path(f"{workspace_path}.keys")


def logins_path(workspace_path: Path) -> Path:
    return Path(f"{workspace_path}.logins")


def is_encrypted(workspace_path: Path) -> bool:
    """Does this workspace have a key file (and so need a login)?"""
    return keys_path(workspace_path).is_file()


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def pragma_key(key: bytes) -> str:
    """SQLCipher's raw-key form: no PBKDF2 of its own, the key is already random."""
    return f"PRAGMA key = \"x'{key.hex()}'\""


@dataclass
class KeyFile:
    """The parsed key file; `save` writes it atomically."""

    path: Path
    workspace: str
    slots: dict[str, dict[str, Any]]
    failures: dict[str, dict[str, float]]
    events: list[dict[str, Any]]

    @classmethod
    def new(cls, workspace_path: Path) -> KeyFile:
        return cls(keys_path(workspace_path), secrets.token_hex(8), {}, {}, [])

    @classmethod
    def load(cls, workspace_path: Path) -> KeyFile:
        path = keys_path(workspace_path)
        if not path.exists():
            raise UserError(
                f"找不到工作区的密钥文件 {path.name}（应与工作区文件放在一起）。"
                "没有它无法打开加密的工作区：请从备份文件夹找回同名的 .keys 文件。",
                "no-key-file")
        try:
            raw = json.loads(files.read_limited(path, 4_000_000, "密钥文件过大"))
            if raw.get("format") != FORMAT or not isinstance(raw.get("slots"), dict):
                raise ValueError("format")
            logins = _read_logins(workspace_path)
            return cls(path, str(raw["workspace"]), raw["slots"],
                       logins.get("failures") or {}, logins.get("events") or [])
        except (UserError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UserError(
                f"工作区的密钥文件 {path.name} 已损坏（{type(exc).__name__}），无法登录。"
                "请从备份文件夹找回同名的 .keys 文件。", "bad-key-file") from None

    def save_slots(self) -> None:
        """Write the slots (call inside the workspace's write transaction, which keeps
        two programs from changing slots at once), and the copy kept with the backups,
        so that a removed slot or an old password does not live on there."""
        body = {"format": FORMAT, "version": 1, "workspace": self.workspace,
                "slots": self.slots}
        _write_private(self.path, body)
        copy = self.path.parent / "backups" / self.path.name
        if copy.exists():
            _write_private(copy, body)

    def save(self) -> None:
        """Write the failure counters and pending events (the `.logins` file)."""
        _write_private(Path(str(self.path)[: -len(".keys")] + ".logins"),
                       {"failures": self.failures, "events": self.events[-MAX_PENDING_EVENTS:]})

    def note(self, action: str, login: str, **extra: Any) -> None:
        """An event for the audit trail, kept here until the workspace can take it."""
        self.events.append({"action": action, "login": login[:40], "at": time.time(), **extra})

    # -- slots ---------------------------------------------------------------------

    def wrap(self, login: str, password: str, data_key: bytes) -> None:
        """Give `login` a slot opening `data_key` with `password` (replacing any old one)."""
        salt = secrets.token_bytes(16)
        kek = derive(password, salt, KDF)
        nonce = secrets.token_bytes(12)
        wrapped = _aead(kek).encrypt(nonce, data_key, self._aad(login))
        self.slots[_norm(login)] = {"login": login, "kdf": dict(KDF), "salt": _b64(salt),
                                    "nonce": _b64(nonce), "wrapped": _b64(wrapped)}

    def wrap_issued(self, login: str, issue: dict[str, Any], data_key: bytes) -> None:
        """A slot for a password issued by the county (`issue`, from `new_issue`): the
        key derived from it arrives in the package, the password never does."""
        kek = _unb64(issue["kek"])
        nonce = secrets.token_bytes(12)
        wrapped = _aead(kek).encrypt(nonce, data_key, self._aad(login))
        self.slots[_norm(login)] = {"login": login, "kdf": dict(issue["kdf"]),
                                    "salt": issue["salt"], "nonce": _b64(nonce),
                                    "wrapped": _b64(wrapped), "issued": issue["serial"]}

    def unwrap(self, login: str, password: str, *, now: float | None = None) -> bytes:
        """The data key, if `password` opens `login`'s slot; LoginFailed otherwise.

        Counts failures and enforces the back-off (the caller saves the file).
        """
        now = time.time() if now is None else now
        wait = self.wait_s(login, now)
        if wait > 0:
            raise LoginFailed(
                f"连续输错密码次数过多，请 {_duration(wait)}后再试。"
                "如果忘记了密码，请联系县教委管理员重置。")
        slot = self.slots.get(_norm(login))
        key = None
        if slot is not None:
            key = _open_slot(slot, password, self._aad(slot["login"]))
        else:  # the same argon2id work: no quick answer to "does this user exist?"
            derive(password, b"\0" * 16, KDF)
        if key is None:
            self._failed(login, now)
            raise LoginFailed("用户名或密码不正确，请重新输入。（注意区分大小写和输入法状态）")
        self.failures.pop(_norm(login), None)
        return key

    def remove(self, login: str) -> None:
        self.slots.pop(_norm(login), None)

    def has(self, login: str) -> bool:
        return _norm(login) in self.slots

    # -- back-off ------------------------------------------------------------------

    def wait_s(self, login: str, now: float) -> float:
        """Seconds before `login` may try again (0: now)."""
        entry = self.failures.get(_norm(login))
        if not entry or entry["count"] < FREE_ATTEMPTS:
            return 0.0
        extra = int(entry["count"]) - FREE_ATTEMPTS
        wait = min(FIRST_WAIT_S * 2 ** min(extra, 10), LONGEST_WAIT_S)
        # a clock set back (or a failure stamped by a clock running ahead) never makes
        # the wait longer than the longest one
        last = min(float(entry["last"]), now)
        return max(0.0, last + wait - now)

    def _failed(self, login: str, now: float) -> None:
        entry = self.failures.setdefault(_norm(login), {"count": 0, "last": 0.0})
        entry["count"] += 1
        entry["last"] = now
        self.note("login-failed", login, count=entry["count"])

    def take_events(self) -> list[dict[str, Any]]:
        """The failed attempts waiting for the audit trail (removed from the file)."""
        events, self.events = self.events, []
        return events

    def _aad(self, login: str) -> bytes:
        # binds a slot to its login and this key file: a slot copied to another login
        # or another workspace's key file does not open
        return f"{FORMAT}/{self.workspace}/{_norm(login)}".encode()


def _write_private(path: Path, body: dict[str, Any]) -> None:
    data = json.dumps(body, ensure_ascii=False, indent=1).encode()
    files.write_atomic(path, lambda f: f.write(data))
    if os.name == "posix":
        os.chmod(path, 0o600)


def has_pending_events(workspace_path: Path) -> bool:
    """Are there events waiting for the audit trail? (Reads only the small .logins file:
    every audited action asks.)"""
    return bool(_read_logins(workspace_path).get("events"))


def _read_logins(workspace_path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(files.read_limited(logins_path(workspace_path), 4_000_000, "过大"))
        return raw if isinstance(raw, dict) else {}
    except (OSError, ValueError, UserError):
        return {}  # lost counters only restart the back-off


def new_issue(password: str) -> dict[str, Any]:
    """What a laptop needs to give an account a slot for `password` without learning
    it: the argon2id salt and parameters and the derived key, with a serial that makes
    each issue (an account's first password, a reset) apply once."""
    salt = secrets.token_bytes(16)
    return {"serial": secrets.token_hex(16), "kdf": dict(KDF), "salt": _b64(salt),
            "kek": _b64(derive(password, salt, KDF))}


def check_issue(issue: Any) -> dict[str, Any]:
    """An issue as received in a package, checked field by field (ValueError if bad)."""
    if not isinstance(issue, dict) or set(issue) != {"serial", "kdf", "salt", "kek"}:
        raise ValueError("issue")
    kdf = issue["kdf"]
    if not isinstance(kdf, dict) or kdf.get("name") != "argon2id" or not all(
            isinstance(kdf.get(k), int) and 0 < kdf[k] <= 4_194_304
            for k in ("memory_kib", "passes", "lanes")):
        raise ValueError("kdf")
    if not isinstance(issue["serial"], str) or not 8 <= len(issue["serial"]) <= 64:
        raise ValueError("serial")
    if len(_unb64(issue["salt"])) < 8 or len(_unb64(issue["kek"])) != KEY_BYTES:
        raise ValueError("key")
    return issue


def derive(password: str, salt: bytes, kdf: dict[str, Any]) -> bytes:
    """argon2id(password, salt) → a 256-bit key-encryption key."""
    from argon2.low_level import Type, hash_secret_raw

    if kdf.get("name") != "argon2id":
        raise ValueError("kdf")
    return hash_secret_raw(password.encode("utf-8"), salt, int(kdf["passes"]),
                           int(kdf["memory_kib"]), int(kdf["lanes"]), KEY_BYTES, Type.ID)


def _open_slot(slot: dict[str, Any], password: str, aad: bytes) -> bytes | None:
    from cryptography.exceptions import InvalidTag

    try:
        kek = derive(password, _unb64(slot["salt"]), slot["kdf"])
        return _aead(kek).decrypt(_unb64(slot["nonce"]), _unb64(slot["wrapped"]), aad)
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None


def _aead(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _norm(login: str) -> str:
    return login.strip().casefold()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds) + 1} 秒"
    return f"{int(seconds // 60) + 1} 分钟"

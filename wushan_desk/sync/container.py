"""The sync package file (同步包): one signed, encrypted file per package.

Layout (docs/sync-package-format.md has the full specification):

    magic  b"WUSHANPKG\\n"                     10 bytes
    u32 big-endian header length, header JSON  (UTF-8, at most 64 KiB)
    u16 big-endian signature length, signature (over magic + length + header bytes)
    payload: age ciphertext of a ZIP archive, to the end of the file

The clear header names sender, recipient, sizes and the ciphertext's sha256, so the
signature, checked before anything is decrypted, covers the ciphertext too. Inside, the
ZIP's comment repeats the header (less the payload fields), which binds the encrypted
content to its sender: nobody can re-sign someone else's package as their own.

Writing is atomic (temp name, fsync, rename); reading checks everything, in a fixed
order, before the caller sees a single member, and bounds every size it reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from wushan_desk import files
from wushan_desk.domain import clock
from wushan_desk.domain.errors import UserError
from wushan_desk.progress import Cancelled, CancelledFn, ProgressFn
from wushan_desk.sync.crypto import (
    DEFAULT_SUITE,
    DecryptionFailed,
    PrivateKeys,
    PublicKeys,
    Suite,
    UnknownSuite,
    get_suite,
)

MAGIC = b"WUSHANPKG\n"
#: The newest container format this build writes and reads.
FORMAT = 1
MAX_HEADER_BYTES = 64 * 1024
KINDS = frozenset({"sync", "enrolment", "enrolment-request"})
JSON_MEMBERS = frozenset({"manifest.json", "changes.jsonl", "enrolment.json", "receipt.json",
                          "accounts.json", "audit.jsonl"})
_FILE_MEMBER = re.compile(r"files/[0-9a-f]{64}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: Fields the caller of `write_package` gives (the rest are filled in).
_CALLER_FIELDS = frozenset({"kind", "sender", "recipient", "schema_version", "app_version"})
_OPTIONAL_FIELDS = frozenset({"package_id", "created", "sender_keys"})
#: Header fields not repeated in the ZIP comment (they describe the ciphertext itself).
_PAYLOAD_FIELDS = frozenset({"payload_size", "payload_sha256"})
#: A fixed ZIP timestamp: no time leaks, and laptop clocks before 1980 cannot break writing.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Stored or deflated; encrypted members and other methods are refused.
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
CHUNK = 1 << 20
MAX_LINE_BYTES = 16 << 20
#: The compression-ratio check applies to members larger than this.
_RATIO_FLOOR = 1 << 20


class PackageRejected(UserError):
    """A package that must not be imported: `message` (Chinese) for people, `code` for scripts."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code)

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


@dataclass(frozen=True)
class Limits:
    """Bounds on what a package may unpack to (a lying or hostile ZIP meets these first).

    `max_member_bytes` caps every member; JSON members are also capped by `max_json_bytes`.
    """

    max_member_bytes: int = 1 << 30
    max_json_bytes: int = 512 << 20
    max_total_bytes: int = 4 << 30
    max_members: int = 100_000
    max_ratio: int = 200


@dataclass(frozen=True)
class Header:
    """The clear-text, signed header: who, for whom, when, and which ciphertext."""

    format: int
    suite: str
    package_id: str
    kind: str
    sender: str
    recipient: str
    created: str
    schema_version: int
    app_version: str
    payload_size: int
    payload_sha256: str
    #: Only in enrolment packages: the sender's public keys {"sign": ..., "encrypt": ...},
    #: for trust on first use (the receiver compares their fingerprint with the sender's).
    sender_keys: dict[str, str] | None = None

    def fields(self) -> dict[str, Any]:
        """The header as it is written: every field, `sender_keys` only when present."""
        data = dataclasses.asdict(self)
        if data["sender_keys"] is None:
            del data["sender_keys"]
        return data

    def to_json(self) -> bytes:
        """The header's bytes in the file: compact, keys sorted, UTF-8."""
        return _json_bytes(self.fields())

    def binding(self) -> bytes:
        """What the ZIP comment must say: the header less its payload fields."""
        return _json_bytes(_bound_fields(self.fields()))


_OPTIONAL_HEADER = frozenset({"sender_keys"})
_HEADER_FIELDS = tuple(f.name for f in dataclasses.fields(Header) if f.name not in _OPTIONAL_HEADER)


# --- errors people read --------------------------------------------------------------------


def _rejected(code: str, detail: str = "") -> PackageRejected:
    """A `PackageRejected` with the standard Chinese message for `code`."""
    return PackageRejected(_MESSAGES[code].format(detail=detail), code)


rejected = _rejected  # for the importer's checks made again under the write lock


_MESSAGES = {
    "unreadable": "无法读取同步包文件（{detail}）。请检查U盘或文件路径后重试。",
    "not-a-package": "所选文件不是同步包（{detail}）。请选择由本软件导出的同步包文件。",
    "truncated": "同步包不完整（{detail}），可能是拷贝时U盘被拔出。请重新拷贝或重新导出后再导入。",
    "bad-header": "同步包的包头已损坏（{detail}）。请重新导出后再导入。",
    "newer-format": "这个同步包由更新版本的软件生成（{detail}）。请先升级本软件，再导入。",
    "unknown-suite": "同步包使用了本软件不支持的加密算法（{detail}）。请先升级本软件，再导入。",
    "wrong-recipient": "这个同步包不是发给本机的（{detail}）。请找到发给本机的同步包再导入。",
    "unknown-sender": "同步包的发送设备 {detail} 未在本机登记，无法确认来源。"
    "请先完成设备登记，或向县中心核实。",
    "revoked-sender": "发送设备 {detail} 已被停用，不再接受它的同步包。如有疑问请联系县中心。",
    "bad-signature": "同步包已被篡改或损坏（签名不符），请重新导出后再导入。",
    "tampered": "同步包已被篡改或损坏（{detail}），请重新导出后再导入。",
    "oversized-package": "同步包过大（{detail}），已拒绝导入。请联系县中心。",
    "decrypt-failed": "无法解密同步包：它不是用本机密钥加密的，或已损坏。请重新导出后再导入。",
    "bad-member": "同步包的内容不合规（{detail}），已拒绝导入。"
    "请重新导出后再导入；如反复出现请联系县中心。",
    "oversized-member": "同步包中的内容超出大小上限（{detail}），已拒绝导入。请联系县中心。",
    "missing-member": "同步包缺少必要内容（{detail}），已拒绝导入。请重新导出后再导入。",
}
#: Every `PackageRejected.code` this module raises.
CODES = frozenset(_MESSAGES)


def _shown(name: str) -> str:
    """A member name from a package, safe and short enough for a message."""
    return ascii(name)[:80]


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


# --- header fields -------------------------------------------------------------------------


def _json_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _bound_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k not in _PAYLOAD_FIELDS}


def _is_int(value: Any, low: int) -> bool:
    return type(value) is int and value >= low


def _is_text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()


def _is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _is_keys(value: Any) -> bool:
    """{"sign": text, "encrypt": text} and nothing else."""
    return (
        isinstance(value, dict)
        and set(value) == {"sign", "encrypt"}
        and all(_is_text(v, 256) for v in value.values())
    )


def _is_utc(value: Any) -> bool:
    """An ISO 8601 timestamp with an explicit zero offset ("...Z" or "+00:00")."""
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return moment.utcoffset() == dt.timedelta(0)


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "format": lambda v: _is_int(v, 1),
    "suite": lambda v: _is_text(v, 64),
    "package_id": _is_uuid,
    "kind": lambda v: isinstance(v, str) and v in KINDS,
    "sender": lambda v: _is_text(v, 128),
    "recipient": lambda v: _is_text(v, 128),
    "created": _is_utc,
    "schema_version": lambda v: _is_int(v, 0),
    "app_version": lambda v: _is_text(v, 64),
    "payload_size": lambda v: _is_int(v, 0),
    "payload_sha256": lambda v: isinstance(v, str) and _HEX64.fullmatch(v) is not None,
    "sender_keys": _is_keys,
}


def _header_problem(fields: dict[str, Any]) -> str | None:
    """What is wrong with a header's fields (English, for logs), or None."""
    for name in _HEADER_FIELDS:
        if name not in fields:
            return f"missing field {name}"
    for name in (*_HEADER_FIELDS, *_OPTIONAL_HEADER):
        if name in fields and not _CHECKS[name](fields[name]):
            return f"bad value for {name}"
    return None


def _parse_header(raw: bytes) -> Header:
    """The header from its bytes, strictly; unknown extra fields are ignored."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise _rejected("bad-header", "not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise _rejected("bad-header", "not a JSON object")
    version = data.get("format")
    if isinstance(version, int) and _is_int(version, 1) and version > FORMAT:
        raise _rejected("newer-format", f"包格式 {version}，本软件支持到 {FORMAT}")
    problem = _header_problem(data)
    if problem:
        raise _rejected("bad-header", problem)
    return Header(
        **{name: data[name] for name in _HEADER_FIELDS}, sender_keys=data.get("sender_keys")
    )


# --- progress and cancellation -------------------------------------------------------------


class _Job:
    """Reports one step at a time as `progress(done, total, message)`; raises on cancel."""

    def __init__(self, progress: ProgressFn | None, cancelled: CancelledFn | None) -> None:
        self._progress = progress
        self._cancelled = cancelled
        self._total = 0
        self._message = ""

    def step(self, message: str, total: int) -> None:
        """Begin a step of `total` bytes."""
        self._message, self._total = message, max(total, 1)
        self.advance(0)

    def advance(self, done: int) -> None:
        """`done` bytes of the current step are through; stop here if cancelled."""
        if self._cancelled is not None and self._cancelled():
            raise Cancelled()
        if self._progress is not None:
            self._progress(min(done, self._total), self._total, self._message)


# --- writing -------------------------------------------------------------------------------

Member = tuple[str, Path | bytes]


def write_package(
    path: Path,
    header_fields: dict[str, Any],
    members: Iterable[Member],
    sender_keys: PrivateKeys,
    recipient: PublicKeys,
    suite: Suite = DEFAULT_SUITE,
    *,
    progress: ProgressFn | None = None,
    cancelled: CancelledFn | None = None,
    tmpdir: Path,
) -> Header:
    """Write a signed package for `recipient` at `path`, atomically; returns its header.

    `header_fields` gives kind, sender, recipient (device ids), schema_version and
    app_version, optionally package_id and created. The plaintext ZIP and the
    ciphertext are made in `tmpdir` (the workspace's private scratch folder, so no
    plaintext touches a USB stick or the system's temp folder); only `<path>.partial` is written
    beside `path`, fsynced, then renamed. On any failure or cancellation nothing is left.
    """
    fields = _fields_for_write(header_fields, suite)
    items = _outgoing(members)
    job = _Job(progress, cancelled)
    with tempfile.TemporaryDirectory(prefix="wushan-pkg-", dir=tmpdir) as tmp:
        plain, sealed = Path(tmp) / "payload.zip", Path(tmp) / "payload.age"
        _write_zip(plain, items, _json_bytes(_bound_fields(fields)), job)
        job.step("正在加密…", plain.stat().st_size)
        suite.encrypt_file(recipient, plain, sealed, progress=job.advance)
        plain.unlink()
        fields["payload_size"], fields["payload_sha256"] = _hash_file(sealed, job)
        header = Header(**fields)
        signed = _signed_part(header.to_json())
        _compose(path, signed, suite.sign(sender_keys, signed), sealed, job)
    return header


def _fields_for_write(given: dict[str, Any], suite: Suite) -> dict[str, Any]:
    """The header fields less the payload ones; programming errors raise ValueError."""
    unknown = set(given) - _CALLER_FIELDS - _OPTIONAL_FIELDS
    missing = _CALLER_FIELDS - set(given)
    if unknown or missing:
        raise ValueError(f"header fields: unknown {sorted(unknown)}, missing {sorted(missing)}")
    fields = {
        "format": FORMAT,
        "suite": suite.name,
        "package_id": str(uuid.uuid4()),
        "created": clock.utc_iso(),
        **given,
    }
    problem = _header_problem({**fields, "payload_size": 0, "payload_sha256": "0" * 64})
    if problem:
        raise ValueError(f"header fields: {problem}")
    return fields


def _outgoing(members: Iterable[Member]) -> list[tuple[str, Path | bytes, int]]:
    """Members with their sizes; a name outside the allowed set is a programming error."""
    items, seen = [], set()
    for name, source in members:
        if not _allowed_name(name) or name in seen:
            raise ValueError(f"member name not allowed or repeated: {name!r}")
        seen.add(name)
        size = len(source) if isinstance(source, bytes) else source.stat().st_size
        items.append((name, source, size))
    return items


def _write_zip(
    plain: Path, items: list[tuple[str, Path | bytes, int]], comment: bytes, job: _Job
) -> None:
    """The ZIP: JSON deflated, files/ stored (photos and scans are compressed already)."""
    job.step("正在打包…", sum(size for _, _, size in items))
    done = 0
    with zipfile.ZipFile(plain, "w") as zf:
        zf.comment = comment
        for name, source, size in items:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            is_file = name.startswith("files/")
            info.compress_type = zipfile.ZIP_STORED if is_file else zipfile.ZIP_DEFLATED
            info.file_size = size  # lets zipfile choose ZIP64 up front for big members
            with zf.open(info, "w") as out:
                digest = _copy_member(source, out, job, done)
            if is_file and digest != name.removeprefix("files/"):
                raise ValueError(f"{name}: content does not match its sha256 name")
            done += size


def _copy_member(source: Path | bytes, out: IO[bytes], job: _Job, done: int) -> str:
    """Copy one member into the ZIP in chunks; returns the sha256 of what was copied."""
    digest = hashlib.sha256()
    if isinstance(source, bytes):
        digest.update(source)
        out.write(source)
        job.advance(done + len(source))
        return digest.hexdigest()
    with source.open("rb") as fin:
        while chunk := fin.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            done += len(chunk)
            job.advance(done)
    return digest.hexdigest()


def _hash_file(path: Path, job: _Job) -> tuple[int, str]:
    """(size, sha256 hex) of the ciphertext."""
    size = path.stat().st_size
    job.step("正在校验…", size)
    digest, done = hashlib.sha256(), 0
    with path.open("rb") as fin:
        while chunk := fin.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            job.advance(done)
    return size, digest.hexdigest()


def _signed_part(header_json: bytes) -> bytes:
    """The bytes the signature covers: magic, header length, header."""
    if len(header_json) > MAX_HEADER_BYTES:
        raise ValueError("header longer than 64 KiB")
    return MAGIC + len(header_json).to_bytes(4, "big") + header_json


def _compose(path: Path, signed: bytes, signature: bytes, sealed: Path, job: _Job) -> None:
    """Write the package atomically (files.write_atomic): never half a package at `path`."""
    job.step("正在写入…", sealed.stat().st_size)

    def write(out: IO[bytes]) -> None:
        out.write(signed + len(signature).to_bytes(2, "big") + signature)
        done = 0
        with sealed.open("rb") as fin:
            while chunk := fin.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                job.advance(done)

    files.write_atomic(path, write)


# --- reading the envelope ------------------------------------------------------------------


def read_header(path: Path) -> tuple[Header, bytes, bytes, int]:
    """(header, signed bytes, signature, payload offset); nothing verified yet.

    Enough to show who sent a package and for whom before importing it.
    """
    with _open_source(path) as src:
        return _read_envelope(src)


def _open_source(path: Path) -> IO[bytes]:
    """A package file, opened for reading; a pipe or device (which would block or never
    end) and a workspace (whose locks a plain open would disturb) are refused unread."""
    if path.exists() and not files.is_regular_file(path):
        raise _rejected("unreadable", "不是普通文件（可能是文件夹、设备或管道）")
    if files.is_database(path):
        raise _rejected("not-a-package", "这是工作区（数据库）文件")
    try:
        return path.open("rb")
    except OSError as exc:
        raise _rejected("unreadable", exc.strerror or type(exc).__name__) from exc


def _read_envelope(src: IO[bytes]) -> tuple[Header, bytes, bytes, int]:
    """Parse magic, header and signature with every length bounded."""
    try:
        head = src.read(len(MAGIC))
        if head != MAGIC:
            if head and MAGIC.startswith(head):
                raise _rejected("truncated", "文件在包头之前就结束了")
            raise _rejected("not-a-package", "文件为空" if not head else "文件标识不符")
        raw_len = _take(src, 4)
        size = int.from_bytes(raw_len, "big")
        if size > MAX_HEADER_BYTES:
            raise _rejected("bad-header", "header longer than 64 KiB")
        raw_header = _take(src, size)
        signature = _take(src, int.from_bytes(_take(src, 2), "big"))
        offset = src.tell()
    except OSError as exc:
        raise _rejected("unreadable", exc.strerror or type(exc).__name__) from exc
    return _parse_header(raw_header), MAGIC + raw_len + raw_header, signature, offset


def _take(src: IO[bytes], size: int) -> bytes:
    """Exactly `size` bytes, or the package is truncated."""
    data = src.read(size)
    if len(data) != size:
        raise _rejected("truncated", "包头或签名不完整")
    return data


# --- opening a package ---------------------------------------------------------------------


def open_package(
    path: Path,
    *,
    known_sender: Callable[[str], PublicKeys | None],
    me: str,
    my_keys: PrivateKeys,
    is_revoked: Callable[[str], bool],
    workdir: Path,
    limits: Limits = Limits(),  # frozen, so one shared default is safe
    progress: ProgressFn | None = None,
    cancelled: CancelledFn | None = None,
) -> OpenedPackage:
    """Check a package completely and unpack it under `workdir`; see the module docstring.

    Order: header; recipient is `me`; sender known and not revoked; signature; payload
    size and sha256 (copied into `workdir` while hashed, so the stick is read once and
    the bytes decrypted are the bytes checked); decrypt; ZIP members checked, then
    extracted with bounded reads. Any failure raises `PackageRejected` (or `Cancelled`)
    and leaves nothing in `workdir`. Close the result (or use `with`) to remove the
    plaintext it unpacked.
    """
    job = _Job(progress, cancelled)
    header, suite, tmp = _receive(path, me, known_sender, is_revoked, workdir, limits, job)
    try:
        members = _unseal(tmp, header, suite, my_keys, limits, job)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return OpenedPackage(header, tmp, members)


def _receive(
    path: Path,
    me: str,
    known_sender: Callable[[str], PublicKeys | None],
    is_revoked: Callable[[str], bool],
    workdir: Path,
    limits: Limits,
    job: _Job,
) -> tuple[Header, Suite, Path]:
    """Authenticate the envelope and copy the checked ciphertext into a new temp folder."""
    with _open_source(path) as src:
        header, signed, signature, offset = _read_envelope(src)
        suite = _authenticate(header, signed, signature, me, known_sender, is_revoked)
        _check_payload_size(header, os.fstat(src.fileno()).st_size - offset, limits)
        workdir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="package-", dir=workdir))
        try:
            _copy_payload(src, tmp / "payload.age", header, job)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return header, suite, tmp


def _authenticate(
    header: Header,
    signed: bytes,
    signature: bytes,
    me: str,
    known_sender: Callable[[str], PublicKeys | None],
    is_revoked: Callable[[str], bool],
) -> Suite:
    """Recipient, sender and signature checks; returns the package's suite."""
    if header.recipient != me:
        raise _rejected("wrong-recipient", f"它是发给设备 {header.recipient} 的，本机是 {me}")
    public = known_sender(header.sender)
    if public is None:
        raise _rejected("unknown-sender", header.sender)
    if is_revoked(header.sender):
        raise _rejected("revoked-sender", header.sender)
    try:
        suite = get_suite(header.suite)
    except UnknownSuite:
        raise _rejected("unknown-suite", _shown(header.suite)) from None
    if not suite.verify(public, signed, signature):
        raise _rejected("bad-signature")
    return suite


def _check_payload_size(header: Header, actual: int, limits: Limits) -> None:
    """The file holds exactly the signed payload size, and that size is plausible."""
    if actual < header.payload_size:
        raise _rejected("truncated", f"应有 {header.payload_size} 字节，实有 {actual} 字节")
    if actual > header.payload_size:
        raise _rejected("tampered", "文件末尾有多余的数据")
    # A ZIP of max_total_bytes plus per-member headers, plus age's 16 bytes per 64 KiB.
    most = limits.max_total_bytes * 101 // 100 + limits.max_members * 512 + (1 << 20)
    if header.payload_size > most:
        raise _rejected("oversized-package", f"{_mib(header.payload_size)}，上限 {_mib(most)}")


def _copy_payload(src: IO[bytes], dst: Path, header: Header, job: _Job) -> None:
    """Copy the payload to `dst` while hashing it; reject unless it is the signed one."""
    job.step("正在读取同步包…", header.payload_size)
    digest, left = hashlib.sha256(), header.payload_size
    with dst.open("wb") as out:
        while left:
            chunk = _read_source(src, min(CHUNK, left))
            if not chunk:
                raise _rejected("truncated", "读取时文件变短了")
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
            job.advance(header.payload_size - left)
    if _read_source(src, 1) or digest.hexdigest() != header.payload_sha256:
        raise _rejected("tampered", "内容校验值不符")


def _read_source(src: IO[bytes], size: int) -> bytes:
    try:
        return src.read(size)
    except OSError as exc:
        raise _rejected("unreadable", exc.strerror or type(exc).__name__) from exc


# --- decrypting and unpacking --------------------------------------------------------------


def _unseal(
    tmp: Path, header: Header, suite: Suite, keys: PrivateKeys, limits: Limits, job: _Job
) -> tuple[str, ...]:
    """Decrypt the checked ciphertext, then check and extract the ZIP; returns member names."""
    sealed, plain = tmp / "payload.age", tmp / "payload.zip"
    job.step("正在解密…", header.payload_size)
    try:
        suite.decrypt_file(keys, sealed, plain, progress=job.advance)
    except DecryptionFailed:
        raise _rejected("decrypt-failed") from None
    sealed.unlink()
    members = _extract(plain, tmp / "members", header, limits, job)
    plain.unlink()
    return members


def _extract(plain: Path, root: Path, header: Header, limits: Limits, job: _Job) -> tuple[str, ...]:
    """Check every member and the binding first, then extract them all."""
    with _zip_reading("ZIP 结构损坏"):
        zf = zipfile.ZipFile(plain)
    with zf:
        infos = _check_members(zf, limits)
        _check_binding(zf.comment, header)
        (root / "files").mkdir(parents=True)
        job.step("正在检查并解包…", sum(info.file_size for info in infos))
        done = 0
        for info in infos:
            done += _extract_member(zf, info, root, limits, job, done)
    return tuple(info.filename for info in infos)


@contextmanager
def _zip_reading(detail: str) -> Iterator[None]:
    """Turn any failure to parse or inflate the (authenticated) ZIP into "bad-member".

    zipfile reports a malformed archive with many exception types (BadZipFile, EOFError,
    zlib.error, struct.error, ValueError, OSError, NotImplementedError...); to the user
    they all mean the same. Only reads from the ZIP run inside this.
    """
    try:
        yield
    except PackageRejected:
        raise
    except Exception as exc:
        raise _rejected("bad-member", detail) from exc


def _allowed_name(name: str) -> bool:
    return name in JSON_MEMBERS or _FILE_MEMBER.fullmatch(name) is not None


def _check_members(zf: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """Names, duplicates, methods and declared sizes of all members, before extracting any."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise _rejected("oversized-member", f"{len(infos)} 个文件，上限 {limits.max_members}")
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if info.orig_filename != name or not _allowed_name(name):
            raise _rejected("bad-member", f"不允许的文件名 {_shown(info.orig_filename)}")
        if name in seen:
            raise _rejected("bad-member", f"重复的文件名 {_shown(name)}")
        seen.add(name)
        if info.flag_bits & 0x1 or info.compress_type not in _METHODS:
            raise _rejected("bad-member", f"{name} 的压缩方式不受支持")
        _check_declared_size(info, limits)
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_bytes:
        most = _mib(limits.max_total_bytes)
        raise _rejected("oversized-member", f"共 {_mib(total)}，上限 {most}")
    return infos


def _member_limit(name: str, limits: Limits) -> int:
    if name in JSON_MEMBERS:
        return min(limits.max_member_bytes, limits.max_json_bytes)
    return limits.max_member_bytes


def _check_declared_size(info: zipfile.ZipInfo, limits: Limits) -> None:
    """The member's declared size is within its limit and its compression ratio is sane."""
    limit = _member_limit(info.filename, limits)
    if info.file_size > limit:
        size = _mib(info.file_size)
        raise _rejected("oversized-member", f"{info.filename} 有 {size}，上限 {_mib(limit)}")
    if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * info.compress_size:
        raise _rejected("oversized-member", f"{info.filename} 的压缩比异常")


def _check_binding(comment: bytes, header: Header) -> None:
    """The encrypted ZIP names the same sender, recipient, package... as the signed header."""
    try:
        inner = json.loads(comment.decode("utf-8"))
    except (ValueError, RecursionError):
        inner = None
    if inner != json.loads(header.binding()):
        raise _rejected("tampered", "加密内容与包头不一致，可能被他人转签")


def _extract_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, root: Path, limits: Limits, job: _Job, done: int
) -> int:
    """Extract one member, reading at most its declared size; returns the bytes written."""
    name = info.filename
    limit = min(info.file_size, _member_limit(name, limits))
    digest, count = hashlib.sha256(), 0
    with _zip_reading(f"{name} 无法解压"):
        src = zf.open(info)
    with src, (root / name).open("wb") as out:
        while True:
            with _zip_reading(f"{name} 无法解压"):
                chunk = src.read(CHUNK)
            if not chunk:
                break
            count += len(chunk)
            if count > limit:
                raise _rejected("oversized-member", f"{name} 解压后超过声明的大小")
            digest.update(chunk)
            out.write(chunk)
            job.advance(done + count)
    if name.startswith("files/") and digest.hexdigest() != name.removeprefix("files/"):
        raise _rejected("bad-member", f"{name} 的内容与其校验值不符")
    return count


# --- the opened package --------------------------------------------------------------------


class OpenedPackage:
    """A fully checked package, unpacked under a temp folder that `close()` removes."""

    def __init__(self, header: Header, tmp: Path, members: tuple[str, ...]) -> None:
        self.header = header
        self.members = members
        self._names = frozenset(members)
        self._tmp = tmp
        self._root = tmp / "members"

    def __enter__(self) -> OpenedPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the unpacked plaintext."""
        shutil.rmtree(self._tmp, ignore_errors=True)

    def has(self, name: str) -> bool:
        return name in self._names

    def read_bytes(self, name: str) -> bytes:
        return self._member(name).read_bytes()

    def read_json(self, name: str) -> Any:
        """One small JSON member, e.g. "manifest.json"."""
        path = self._member(name)
        try:
            return json.loads(path.read_bytes().decode("utf-8"))
        except (ValueError, RecursionError):
            raise _rejected("bad-member", f"{name} 不是有效的 JSON") from None

    def iter_lines(self, name: str) -> Iterator[str]:
        """Each non-blank line of a JSONL member as text (newline stripped), as a stream.

        The caller parses them (it may upgrade old schemas first); lines are bounded in
        length and must be UTF-8.
        """
        with self._member(name).open("rb") as fin:
            for number, line in enumerate(iter(lambda: fin.readline(MAX_LINE_BYTES + 1), b""), 1):
                if len(line) > MAX_LINE_BYTES:
                    raise _rejected("bad-member", f"{name} 第 {number} 行过长")
                if line.strip():
                    yield _text_line(name, number, line)

    def file_path(self, sha256: str) -> Path:
        """The extracted attachment whose content has this sha256 (already verified)."""
        if _HEX64.fullmatch(sha256) is None:
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self._member(f"files/{sha256}")

    def _member(self, name: str) -> Path:
        if not _allowed_name(name):
            raise ValueError(f"not a package member name: {name!r}")
        if name not in self._names:
            raise _rejected("missing-member", name)
        return self._root / name


def _text_line(name: str, number: int, line: bytes) -> str:
    try:
        return line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise _rejected("bad-member", f"{name} 第 {number} 行不是 UTF-8 文本") from None

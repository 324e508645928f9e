"""Files on the users' Windows laptops: one atomic writer, safe names, no collisions.

- `write_atomic`: a crash, a full disk or a pulled USB stick never leaves half a file
  under its real name: write a temporary file in the same folder, flush and fsync it,
  then rename it over the target, retrying briefly when Windows refuses the rename
  because an antivirus scanner or the search indexer has the file open for a moment.
- `safe_name`: a file name built from user text (a school, a person, a device) that
  Windows accepts: no \\ / : * ? " < > |, no control characters, no reserved names
  (CON, AUX, ...), no trailing dot or blank, not too long. pathvalidate applies
  Windows' rules on every platform, so a name made on Linux also works on Windows.
- `free_path`: a target that does not collide with a file another program holds open
  (a PDF still open in WPS): the next free "名称 (2).pdf".

Neutral module (standard library, pathvalidate on first use, the domain's error type): every layer
may use it.
"""

from __future__ import annotations

import errno
import glob
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from wushan_desk.domain.errors import ValidationError

#: Longest file name we build from user text: well under Windows' 255 and short enough
#: for the 260-character path limit with a typical folder in front.
MAX_NAME = 80
#: Attempts and pause for a rename Windows refuses while a scanner holds the file.
REPLACE_ATTEMPTS = 10
REPLACE_PAUSE_S = 0.1

#: Windows error numbers for "file in use": ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION,
#: ERROR_LOCK_VIOLATION.
_IN_USE_WINERRORS = frozenset({5, 32, 33})


#: A temporary file this old beside its target was left by a crash or a pulled stick.
STALE_PARTIAL_S = 3600

#: Databases this process has open (store/workspace notes each one). Code that opens
#: and closes a file of theirs with plain open() would drop the locks SQLite holds on
#: it (POSIX locks belong to the process, not to the handle) and a write could corrupt it.
_open_databases: dict[str, int] = {}  # real path -> connections open
_DATABASE_SUFFIXES = (".wsdb", ".wsdb-wal", ".wsdb-shm", ".wsdb-journal", ".sqlite",
                      ".sqlite3", ".db")
_JOURNALS = ("", "-wal", "-shm", "-journal")


def note_database(path: Path, is_open: bool) -> None:
    """Remember (or forget) a database this process has open."""
    real = os.path.realpath(path)
    count = _open_databases.get(real, 0) + (1 if is_open else -1)
    if count > 0:
        _open_databases[real] = count
    else:
        _open_databases.pop(real, None)


def is_database(path: Path) -> bool:
    """A workspace (or its journal), or a database this process holds: never to be read
    or written as an ordinary file. Decided from the name and identity, not by opening."""
    if path.name.lower().endswith(_DATABASE_SUFFIXES):
        return True
    real = os.path.realpath(path)
    for db in list(_open_databases):
        for journal in _JOURNALS:
            if real == db + journal:
                return True
            try:
                if os.path.samefile(path, db + journal):
                    return True
            except OSError:
                continue
    return False


def refuse_database(path: Path) -> None:
    """ValidationError when `path` is a workspace file (chosen by mistake)."""
    if is_database(path):
        raise ValidationError(
            f"{path.name} 是工作区（数据库）文件，不能在这里读取或覆盖。请选择别的文件。")


def write_atomic(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Call `write(file)` on a temporary file beside `path`, then move it to `path`.

    The temporary name is unique (two programs writing the same target never share it);
    what a crash or a pulled stick left beside the target is removed. On any failure the
    temporary file is removed and the error (OSError for a full disk or a vanished drive)
    propagates for the caller to explain; `path` is untouched. A workspace is refused.
    """
    if not path.name or path.is_dir():
        raise ValidationError(f"“{path}”是文件夹，请给出要写入的文件名（例如 报告.pdf）。")
    refuse_database(path)
    _remove_stale_partials(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".partial")
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _remove_stale_partials(path: Path) -> None:
    """Temporary files of earlier writes of `path` that a crash left behind."""
    legacy = path.with_name(path.name + ".partial")  # the fixed name older versions used
    legacy.unlink(missing_ok=True)
    try:
        leftovers = list(path.parent.glob(glob.escape(path.name) + ".*.partial"))
    except OSError:
        return
    for old in leftovers:
        try:
            if time.time() - old.stat().st_mtime > STALE_PARTIAL_S:
                old.unlink()
        except OSError:
            pass


def abandoned(path: Path, pid: str, stale_s: float) -> bool:
    """Did a crashed job leave `path`, made by the process numbered `pid`? Yes when that
    process is gone (POSIX can tell), else when nothing touched it for `stale_s`."""
    if os.name == "posix" and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True  # the process that made it is gone
        except OSError:
            pass
        if int(pid) == os.getpid():
            return False
    try:
        return time.time() - path.stat().st_mtime > stale_s
    except OSError:
        return False


def replace(source: Path, target: Path) -> None:
    """os.replace with short retries while the target is briefly held by another program.

    Gives up after about a second and raises the PermissionError: then a program really
    has the file open (a viewer), which only the user can close.
    """
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            os.replace(source, target)
            return
        except PermissionError as exc:
            if not in_use(exc) or attempt == REPLACE_ATTEMPTS - 1:
                raise
            time.sleep(REPLACE_PAUSE_S)


def in_use(exc: OSError) -> bool:
    """True if `exc` says the file is held by another program (Windows' sharing rules)."""
    winerror = getattr(exc, "winerror", None)
    if winerror is not None:
        return winerror in _IN_USE_WINERRORS
    return exc.errno in (errno.EACCES, errno.EBUSY, errno.ETXTBSY)


def fsync_dir(folder: Path) -> None:
    """Make a rename durable where the OS allows it (POSIX; Windows has no such call)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass  # some file systems refuse; the file itself is already synced


def safe_name(
    text: str, suffix: str = "", *, fallback: str = "文件", max_len: int = MAX_NAME
) -> str:
    """`text` as a file name Windows accepts, `suffix` (".pdf") kept whole at the end."""
    from pathvalidate import is_valid_filename, sanitize_filename  # on first use only

    stem_len = max(1, max_len - len(suffix) - 1)
    stem = sanitize_filename(text, platform="windows", max_len=stem_len, replacement_text="_")
    name = (stem.strip(" .") or fallback) + suffix
    if not is_valid_filename(name, platform="windows"):  # CON.pdf, NUL.png ...
        name = "_" + name
    return name


def free_path(folder: Path, name: str) -> Path:
    """`folder/name` unless a file of that name exists and cannot be replaced (open in a
    viewer on Windows); then "stem (2).ext", "stem (3).ext"...: a reprint never fails
    because the previous copy is still open."""
    target = folder / name
    stem, suffix = target.stem, target.suffix
    number = 1
    while target.exists() and not _replaceable(target):
        number += 1
        target = folder / f"{stem} ({number}){suffix}"
    return target


def _replaceable(path: Path) -> bool:
    """Can this file be replaced now? On Windows, opening it for appending is refused
    while another program holds it without write sharing (what a PDF viewer does);
    elsewhere a rename always replaces it. A workspace never is."""
    if is_database(path) or not is_regular_file(path):
        return False
    if os.name != "nt":
        return True
    try:
        with path.open("ab"):
            return True
    except OSError:
        return False


def read_limited(path: Path, max_bytes: int, too_big: str) -> bytes:
    """The bytes of a user-chosen file, refusing what is not an ordinary file or is
    larger than `max_bytes` (then `too_big` is the message): never reads /dev/zero
    forever or a 4 GB file into memory. Raises ValidationError in plain Chinese."""
    if not path.exists():
        raise ValidationError(f"找不到文件：{path}")
    if not is_regular_file(path):
        raise ValidationError(f"{path} 不是普通文件（可能是文件夹、设备或管道），不能读取。")
    refuse_database(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ValidationError(f"无法读取文件 {path.name}：{exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise ValidationError(too_big)
    return data


def is_regular_file(path: Path) -> bool:
    """True for an ordinary file: not a folder, device (/dev/zero), pipe or socket."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False

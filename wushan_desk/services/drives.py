"""Removable drives (U盘) to suggest as the place for a sync package.

Supervisors carry packages on USB sticks, so the export dialog offers the sticks that are
plugged in, with their label and free space, instead of making people hunt for "E:" in a
file dialog. Windows asks the kernel for drives of type DRIVE_REMOVABLE; Linux reads the
mount table and takes what is mounted where desktops mount sticks. The platform, the
mount table and the kernel are parameters so that both branches are tested anywhere.
"""

from __future__ import annotations

import ctypes
import getpass
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SYNC_FOLDER = "巫山督导同步"
DRIVE_REMOVABLE = 2
SEM_FAILCRITICALERRORS = 0x0001  # no "插入磁盘" system pop-up for an empty card reader
_WINDOWS_DRIVE = re.compile(r"^([A-Za-z]):")

Usage = Callable[[str], Any]  # shutil.disk_usage's shape: .free, .total
Writable = Callable[[str], bool]


@dataclass(frozen=True)
class Drive:
    path: Path
    label: str
    free_bytes: int
    total_bytes: int

    @property
    def letter(self) -> str:
        """"E:" on Windows, "" elsewhere."""
        match = _WINDOWS_DRIVE.match(str(self.path))
        return f"{match.group(1).upper()}:" if match else ""

    def describe(self) -> str:
        """What the user reads: "U盘 KINGSTON (E:) 剩余 3.2 GB"."""
        name = " ".join(part for part in (self.label, f"({self.letter})" if self.letter else "")
                        if part)
        return f"U盘 {name or str(self.path)} 剩余 {format_size(self.free_bytes)}"


def format_size(n: int) -> str:
    """Bytes as people read them on a stick: 3.2 GB, 850 MB, 12 KB."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}" if unit == "GB" else f"{n // size} {unit}"
    return f"{n} 字节"


def suggest_folder(drive: Drive) -> Path:
    """Where packages go on a stick: one folder, so the county finds them all at once."""
    return drive.path / SYNC_FOLDER


def removable_drives(
    *,
    platform: str | None = None,
    mounts_file: Path = Path("/proc/mounts"),
    roots: list[Path] | None = None,
    kernel32: Any = None,
    usage: Usage = shutil.disk_usage,
    writable: Writable | None = None,
) -> list[Drive]:
    """The writable removable drives now plugged in; [] where detection is unsupported.

    Never raises: a drive that cannot be read (a card reader without a card, a stick
    pulled a moment ago) is left out.
    """
    platform = platform or sys.platform
    writable = writable or (lambda p: os.access(p, os.W_OK))
    try:
        if platform == "win32":
            return _windows_drives(kernel32 or ctypes.windll.kernel32,  # type: ignore[attr-defined]
                                   usage, writable)
        if platform.startswith("linux"):
            return _linux_drives(mounts_file, roots or _linux_roots(), usage, writable)
    except OSError:
        return []
    return []


# --- Windows ---------------------------------------------------------------------------


def _windows_drives(kernel32: Any, usage: Usage, writable: Writable) -> list[Drive]:
    old_mode = kernel32.SetErrorMode(SEM_FAILCRITICALERRORS)
    try:
        mask = kernel32.GetLogicalDrives()
        drives = []
        for i in range(2, 26):  # A: and B: are floppies: touching them makes an old PC grind
            root = f"{chr(ord('A') + i)}:\\"
            if not mask & (1 << i) or kernel32.GetDriveTypeW(root) != DRIVE_REMOVABLE:
                continue
            drive = _drive(Path(root), _volume_label(kernel32, root), usage, writable)
            if drive:
                drives.append(drive)
        return drives
    finally:
        kernel32.SetErrorMode(old_mode)


def _volume_label(kernel32: Any, root: str) -> str:
    buffer = ctypes.create_unicode_buffer(261)
    ok = kernel32.GetVolumeInformationW(root, buffer, len(buffer), None, None, None, None, 0)
    return buffer.value if ok else ""


# --- Linux -----------------------------------------------------------------------------


def _linux_roots() -> list[Path]:
    """Where desktops (udisks) and people mount sticks."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    personal = [Path("/media") / user, Path("/run/media") / user] if user else []
    return [*personal, Path("/media"), Path("/mnt")]


def _linux_drives(mounts_file: Path, roots: list[Path], usage: Usage,
                  writable: Writable) -> list[Drive]:
    drives: dict[Path, Drive] = {}
    for line in mounts_file.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        mount_point = Path(_unescape(fields[1]))
        if "ro" in fields[3].split(",") or mount_point in drives:
            continue
        if not any(root in mount_point.parents for root in roots):
            continue
        drive = _drive(mount_point, mount_point.name, usage, writable)
        if drive:
            drives[mount_point] = drive
    return list(drives.values())


def _unescape(field: str) -> str:
    """The mount table writes a space as \\040 (octal escapes)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _drive(path: Path, label: str, usage: Usage, writable: Writable) -> Drive | None:
    try:
        if not writable(str(path)):
            return None
        du = usage(str(path))
    except OSError:
        return None
    return Drive(path, label, int(du.free), int(du.total))

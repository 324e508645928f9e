"""Finding USB sticks: the Linux mount table and the Windows kernel calls, both faked."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path
from typing import ClassVar

from wushan_desk.services import drives
from wushan_desk.services.drives import Drive, format_size, removable_drives, suggest_folder

Usage = namedtuple("Usage", "total used free")
GB = 1 << 30


def fake_usage(path: str) -> Usage:
    if "GONE" in path:
        raise OSError("pulled out")
    return Usage(16 * GB, 12 * GB, int(3.2 * GB))


def test_linux_takes_what_is_mounted_where_sticks_go(tmp_path: Path) -> None:
    media, mnt = tmp_path / "media", tmp_path / "mnt"
    run_media = tmp_path / "run" / "media" / "alice"
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda2 / ext4 rw,relatime 0 0\n"
        "/dev/sda1 /boot/efi vfat rw,relatime 0 0\n"  # vfat, but not a stick
        f"/dev/sdb1 {media}/alice/KINGSTON vfat rw,nosuid,nodev 0 0\n"
        f"/dev/sdc1 {run_media}/My\\040Stick exfat rw,nosuid 0 0\n"
        f"/dev/sdd1 {mnt}/usb fuseblk rw 0 0\n"
        f"/dev/sde1 {media}/alice/CDROM iso9660 ro,nosuid 0 0\n"  # read-only: skipped
        f"/dev/sdf1 {media}/alice/GONE vfat rw 0 0\n"  # pulled out while listing
        f"/dev/sdb1 {media}/alice/KINGSTON vfat rw 0 0\n"  # mounted twice: listed once
        f"tmpfs {media} tmpfs rw 0 0\n"  # the root itself is not a drive
        "garbage\n",
        encoding="utf-8",
    )
    found = removable_drives(platform="linux", mounts_file=mounts,
                             roots=[media / "alice", run_media, media, mnt],
                             usage=fake_usage, writable=lambda _p: True)
    assert [d.label for d in found] == ["KINGSTON", "My Stick", "usb"]
    assert found[1].path == run_media / "My Stick"
    assert found[0].free_bytes == int(3.2 * GB) and found[0].total_bytes == 16 * GB
    assert found[0].describe() == "U盘 KINGSTON 剩余 3.2 GB"
    assert suggest_folder(found[0]) == media / "alice" / "KINGSTON" / "巫山督导同步"


def test_linux_skips_what_is_not_writable(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sdb1 {tmp_path}/media/LOCKED vfat rw 0 0\n", encoding="utf-8")
    found = removable_drives(platform="linux", mounts_file=mounts, roots=[tmp_path / "media"],
                             usage=fake_usage, writable=lambda _p: False)
    assert found == []


def test_missing_mount_table_or_other_platforms_give_nothing(tmp_path: Path) -> None:
    assert removable_drives(platform="linux", mounts_file=tmp_path / "none") == []
    assert removable_drives(platform="darwin") == []


def test_the_real_machine_is_asked_without_error() -> None:
    assert isinstance(removable_drives(), list)


class FakeKernel32:
    """GetLogicalDrives and friends as Windows answers them: C: fixed, E: a stick, F: a
    card reader without a card, A: a floppy that must never be touched."""

    TYPES: ClassVar = {"A:\\": 2, "C:\\": 3, "E:\\": 2, "F:\\": 2}
    LABELS: ClassVar = {"E:\\": "KINGSTON"}

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.error_modes: list[int] = []

    def SetErrorMode(self, mode: int) -> int:
        self.error_modes.append(mode)
        return 0

    def GetLogicalDrives(self) -> int:
        return sum(1 << (ord(r[0]) - ord("A")) for r in self.TYPES)

    def GetDriveTypeW(self, root: str) -> int:
        self.asked.append(root)
        return self.TYPES.get(root, 1)

    def GetVolumeInformationW(self, root, buffer, size, *_rest) -> int:
        if root not in self.LABELS:
            return 0
        buffer.value = self.LABELS[root]
        assert size == len(buffer)
        return 1


def test_windows_lists_removable_drives_with_label_and_space() -> None:
    kernel = FakeKernel32()

    def usage(root: str) -> Usage:
        if root == "F:\\":
            raise OSError(21, "设备未就绪")  # a card reader with no card in it
        return fake_usage(root)

    found = removable_drives(platform="win32", kernel32=kernel, usage=usage,
                             writable=lambda _p: True)
    assert [(str(d.path), d.label) for d in found] == [("E:\\", "KINGSTON")]
    assert found[0].letter == "E:"
    assert found[0].describe() == "U盘 KINGSTON (E:) 剩余 3.2 GB"
    assert "A:\\" not in kernel.asked  # the floppy was never asked
    assert kernel.error_modes == [drives.SEM_FAILCRITICALERRORS, 0]  # and restored


def test_a_drive_without_a_label_still_reads_well() -> None:
    drive = Drive(Path("G:\\"), "", 850 << 20, 1 << 30)
    assert drive.describe() == "U盘 (G:) 剩余 850 MB"


def test_sizes_read_like_a_file_manager() -> None:
    assert format_size(int(3.2 * GB)) == "3.2 GB"
    assert format_size(850 << 20) == "850 MB"
    assert format_size(12 << 10) == "12 KB"
    assert format_size(100) == "100 字节"


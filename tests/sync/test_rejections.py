"""Every bad package: `sync import` exits 3 with a clear message, workspace untouched."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from forging import forge, zip_bytes
from network import HUB, Network

from wushan_desk import __version__
from wushan_desk.cli import main
from wushan_desk.services import records, sync
from wushan_desk.store import migrations
from wushan_desk.sync import container, identity, importer


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dev0_package(net: Network) -> Path:
    with net.open("dev0") as ws:
        sid = sorted(r["id"] for r in records.iter_records(ws, "student"))[0]
        records.put(ws, "student", {"id": sid, "class_name": "4班"})
    (path,) = net.export("dev0")
    return path


def flip_last_byte(path: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def truncate(path: Path) -> Path:
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    return path


def keys_of(net: Network, party: str):
    with net.open(party) as ws:
        return identity.keystore(ws).load()


def forged_by_dev0(net: Network, tmp: Path, make_zip=None, **fields) -> Path:
    header = {"kind": "sync", "sender": net.ids["dev0"], "recipient": net.ids[HUB],
              "schema_version": migrations.latest_version(), "app_version": __version__, **fields}
    return forge(tmp / "forged.wspkg", header, keys_of(net, "dev0"),
                 keys_of(net, HUB).public(), make_zip)


def for_dev1(net: Network, tmp: Path) -> Path:
    (path,) = net.export(HUB, "dev1")
    return path


def from_stranger(net: Network, tmp: Path) -> Path:
    stranger = identity.suite().generate()
    header = {"kind": "sync", "sender": "1d9c8b7a-0000-4000-8000-00000000dead",
              "recipient": net.ids[HUB], "schema_version": 2, "app_version": __version__}
    return forge(tmp / "stranger.wspkg", header, stranger, keys_of(net, HUB).public())


def from_revoked(net: Network, tmp: Path) -> Path:
    path = dev0_package(net)
    with net.open(HUB) as hub:
        sync.revoke(hub, net.ids["dev0"])
    return path


CASES: dict[str, tuple[Callable[[Network, Path], Path], str, str]] = {
    "flipped-byte": (lambda n, t: flip_last_byte(dev0_package(n)), "tampered", "篡改"),
    "truncated": (lambda n, t: truncate(dev0_package(n)), "truncated", "不完整"),
    "wrong-recipient": (for_dev1, "wrong-recipient", "是发给“设备1”的，不是发给本机"),
    "unknown-sender": (from_stranger, "unknown-sender", "未在本机登记"),
    "revoked-sender": (from_revoked, "revoked-sender", "停用"),
    "newer-schema": (lambda n, t: forged_by_dev0(n, t, schema_version=99, app_version="9.9.0"),
                     "newer-schema", "9.9.0"),
    "path-trick": (lambda n, t: forged_by_dev0(n, t, lambda c: zip_bytes(
        [("manifest.json", b"{}"), ("../evil.py", b"print(1)")], c)), "bad-member",
        "不允许的文件名"),
    "not-a-package": (lambda n, t: _write(t / "照片.wspkg", b"\xff\xd8\xff\xe0JFIF" * 300),
                      "not-a-package", "不是同步包"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_package_exits_3_and_changes_nothing(net: Network, tmp_path: Path, case: str,
                                                 capsys) -> None:
    make, code, words = CASES[case]
    package = make(net, tmp_path)
    before = digest(net.path(HUB))
    exit_code = main(["sync", "import", str(package), "--db", str(net.path(HUB))])
    out, err = capsys.readouterr()
    assert exit_code == 3
    (summary,) = json.loads(out)["packages"]
    assert summary["status"] == "rejected" and summary["code"] == code, summary
    assert words in summary["rejected"] and f"[{code}]" in err
    assert digest(net.path(HUB)) == before
    assert not list((net.path(HUB).parent / "backups").glob("hub-before-import-*"))


def test_oversized_member_is_refused(net: Network, monkeypatch, capsys) -> None:
    monkeypatch.setattr(importer, "LIMITS", container.Limits(max_member_bytes=100))
    package = dev0_package(net)
    before = digest(net.path(HUB))
    assert main(["sync", "import", str(package), "--db", str(net.path(HUB))]) == 3
    assert "oversized-member" in capsys.readouterr().err
    assert digest(net.path(HUB)) == before


def test_a_device_revoked_while_its_package_is_read_is_refused(net: Network, monkeypatch,
                                                                capsys) -> None:
    """The revocation is checked again under the write lock: a county officer revoking
    the laptop in the GUI while the import reads its package still keeps it out."""
    from support import open_workspace

    with net.open("dev0") as ws:
        sid = sorted(r["id"] for r in records.iter_records(ws, "student"))[0]
    with net.open(HUB) as hub:
        before = records.get(hub, "student", sid)["class_name"]
    package = dev0_package(net)  # sets that student's class to 4班
    read = importer._screened_lines

    def revoked_meanwhile(ws, *args, **kwargs):
        result = read(ws, *args, **kwargs)
        other = open_workspace(net.path(HUB), create=False)  # another program
        try:
            sync.revoke(other, net.ids["dev0"])
        finally:
            other.close()
        return result

    monkeypatch.setattr(importer, "_screened_lines", revoked_meanwhile)
    assert main(["sync", "import", str(package), "--db", str(net.path(HUB))]) == 3
    (summary,) = json.loads(capsys.readouterr()[0])["packages"]
    assert summary["code"] == "revoked-sender"
    assert before != "4班"
    with net.open(HUB) as hub:
        assert records.get(hub, "student", sid)["class_name"] == before

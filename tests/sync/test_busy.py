"""Sync beside another program writing to the same workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
import support
from network import Network

from wushan_desk import cli
from wushan_desk.sync import container


def test_an_export_that_wrote_its_package_reports_success(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Another program holds the write lock for the whole export: the package is written
    (reading needs no lock), only our ledger line waits; the export still succeeds."""
    monkeypatch.setenv("WUSHAN_DESK_WAIT", "0.2")
    stick = tmp_path / "U盘"
    holder = support.raw_connect(net.path("dev0"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code = cli.main(["sync", "export", "--db", str(net.path("dev0")), "--out", str(stick)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, err = capsys.readouterr()
    assert code == 0 and "[not-recorded]" in err and "[unexpected]" not in err
    (package,) = [Path(line) for line in out.splitlines()]
    assert container.read_header(package)[0].kind == "sync"
    assert net.import_("hub", package)[0]["status"] == "applied"


def test_an_import_on_a_busy_workspace_is_exit_4_and_changes_nothing(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import support

    (package,) = net.export("dev0")
    monkeypatch.setenv("WUSHAN_DESK_WAIT", "0.2")
    hub = net.path("hub")
    holder = support.raw_connect(hub, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        before = support.file_digest(hub)
        code = cli.main(["sync", "import", "--db", str(hub), str(package)])
        after = support.file_digest(hub)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err
    assert code == cli.EXIT_BUSY and "[busy]" in err
    assert before == after


def test_nothing_unencrypted_reaches_the_stick_or_the_system_temp(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a package is written, the export folder holds only ciphertext (the package
    or its .partial) and the system's temp folder nothing; afterwards the scratch is gone."""
    import tempfile

    from support import open_workspace

    from wushan_desk.services import sync

    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    stick = tmp_path / "U盘"
    seen: list[list[str]] = []

    def watch(done: int, total: int, message: str) -> None:
        seen.append(sorted(p.name for p in stick.rglob("*")) + sorted(
            p.name for p in system_temp.rglob("*")))

    ws = open_workspace(net.path("hub"), create=False)
    try:
        sync.export(ws, stick, net.ids["dev0"], progress=watch)
        assert list(ws.scratch_dir.iterdir()) == []
    finally:
        ws.close()
    def ciphertext(name: str) -> bool:  # the package, or its temporary file
        return name.endswith(".wspkg") or (".wspkg." in name and name.endswith(".partial"))

    assert seen and all(all(ciphertext(name) for name in names) for names in seen)
    assert list(system_temp.iterdir()) == []


def test_a_revoked_device_gets_no_package(net: Network, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    hub = str(net.path("hub"))
    assert cli.main(["hub", "revoke", "设备0", "--db", hub]) == 0
    stick = tmp_path / "U盘"
    code = cli.main(["sync", "export", "--db", hub, "--out", str(stick), "--to", "设备0"])
    err = capsys.readouterr().err
    assert code == 3 and "吊销" in err
    assert not list(stick.glob("*.wspkg"))

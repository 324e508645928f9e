"""Sync beside another program writing to the same workspace."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
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
    holder = sqlite3.connect(net.path("dev0"), isolation_level=None)
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
    holder = sqlite3.connect(hub, isolation_level=None)
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

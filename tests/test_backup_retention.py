"""Backup retention: the last ten, and the newest of each of twelve months, per workspace."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from wushan_desk.store import backup


def make(folder: Path, stem: str, reason: str, when: dt.datetime) -> Path:
    path = folder / f"{stem}-{reason}-{when:%Y%m%d-%H%M%S-%f}.wsdb"
    path.write_bytes(b"backup")
    return path


@pytest.mark.parametrize("stem", ["hub", "巫山-县-中心库"])
def test_before_import_backups_are_listed_and_pruned(tmp_path: Path, stem: str) -> None:
    workspace = tmp_path / f"{stem}.wsdb"
    folder = backup.backups_dir(workspace)
    folder.mkdir()
    start = dt.datetime(2025, 1, 1, 9)
    made = [make(folder, stem, "before-import", start + dt.timedelta(days=7 * n))
            for n in range(60)]  # weekly imports for more than a year
    other = make(folder, f"{stem}-old", "manual", start)  # another workspace's backup
    assert len(backup.backup_files(workspace)) == 60
    removed = backup.prune(workspace)
    kept = set(backup.backup_files(workspace))
    assert set(made[-10:]) <= kept  # the last ten
    months = {(p.stat().st_mtime, p) for p in kept}
    assert len(kept) < 10 + 12 and len(months) == len(kept)
    assert len(removed) == 60 - len(kept) and other.exists()
    assert other not in backup.backup_files(workspace)
    assert {backup.describe(p).reason for p in kept} == {"before-import"}

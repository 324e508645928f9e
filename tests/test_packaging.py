"""The data folders reach the installed wheel and the frozen bundle, and both start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_ui_resources_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("wushan_desk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "wushan_desk/_data/db/0001_foundation.sql" in names
    assert "wushan_desk/_data/resources/reference/wushan.json" in names
    assert "wushan_desk/_data/ui/app.qss" in names
    assert any(
        n.startswith("wushan_desk/_data/resources/fonts/") and n.endswith(".ttf") for n in names
    )


@pytest.mark.slow
def test_frozen_bundle_starts_and_passes_selfcheck(tmp_path: Path) -> None:
    """Build the one-folder bundle with build.spec, then run the frozen program."""
    dist, work = tmp_path / "dist", tmp_path / "build"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(ROOT / "build.spec"),
        ],
        check=True,
        timeout=1200,
        cwd=ROOT,
    )
    exe = dist / "wushan-desk" / ("wushan-desk.exe" if os.name == "nt" else "wushan-desk")
    env = {**os.environ, "WUSHAN_DESK_HOME": str(tmp_path / "home")}
    version = subprocess.run(
        [exe, "--version"], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    assert version.stdout.startswith("wushan-desk ")
    check = subprocess.run(
        [exe, "selfcheck"], capture_output=True, text=True, env=env, encoding="utf-8", timeout=120
    )
    assert check.returncode == 0, check.stderr
    result = json.loads(check.stdout)
    assert result["ok"] and result["townships"] == 26 and result["fonts"]
    assert "_internal" in result["data_root"] or "_MEI" in result["data_root"]
    files = [f for f in (dist / "wushan-desk").rglob("*") if f.is_file() and not f.is_symlink()]
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"bundle size: {size_mb:.0f} MB")
    assert size_mb < 300  # a regression guard, not a benchmark: naive bundles were 211 MB

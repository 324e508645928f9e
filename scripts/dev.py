#!/usr/bin/env python3
"""Set up a development environment and run the app or the tests: the README's two commands.

    python3 scripts/dev.py run     # venv + install, build the demo workspace once, open the app
    python3 scripts/dev.py test    # venv + install, then every test (GUI ones offscreen)

Needs only Python 3.11+ (standard library); everything else is installed into .venv
from the project's own pyproject.toml. Works the same on Windows and Linux.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"


def ensure_env() -> None:
    """Create .venv and (re)install the project when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an old python3
        sys.exit("需要 Python 3.11 或更新版本 (Python 3.11+ required)")
    if not PYTHON.exists():
        print("创建虚拟环境 .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if not STAMP.exists() or STAMP.read_text(encoding="utf-8") != wanted:
        print("安装依赖 (pip install -e .[dev]) …", flush=True)
        subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([PYTHON, "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"], check=True)
        STAMP.write_text(wanted, encoding="utf-8")


def tool(name: str) -> str:
    return str(BIN / (f"{name}.exe" if os.name == "nt" else name))


def run_app(extra: list[str]) -> int:
    """Open the GUI on the demo workspace (a township centre's share of a county)."""
    home = Path(os.environ.get("WUSHAN_DESK_HOME") or ROOT / ".demo")
    env = os.environ | {"WUSHAN_DESK_HOME": str(home)}
    env.setdefault("LANG", "C.UTF-8")
    demo = home / "demo.wsdb"
    if not demo.exists():
        print(f"生成演示工作区 {demo} …", flush=True)
        subprocess.run(
            [tool("wushan-desk"), "demo", "--db", str(demo), "--scale", "0.1"], check=True, env=env
        )
    print("登录：用户名 admin，密码 wushan-demo（其他演示账号见 README“演示账号”）。", flush=True)
    return subprocess.call([tool("wushan-desk"), "--db", str(demo), *extra], env=env)


def run_tests(extra: list[str]) -> int:
    """Lint (ruff), type-check the core (mypy), then every test, GUI tests included
    (offscreen: no screen or X server needed). Extra arguments go to pytest and skip the
    two checks, for a quick run of some tests while working."""
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen"}
    env.setdefault("LANG", "C.UTF-8")
    if not extra:
        for check in ([tool("ruff"), "check", "."], [tool("mypy")]):
            print(f"{Path(check[0]).stem} …", flush=True)
            if subprocess.call(check, cwd=ROOT, env=env) != 0:
                return 1
    return subprocess.call([PYTHON, "-m", "pytest", *extra], cwd=ROOT, env=env)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        print(__doc__)
        return 2
    ensure_env()
    command, extra = sys.argv[1], sys.argv[2:]
    return run_app(extra) if command == "run" else run_tests(extra)


if __name__ == "__main__":
    sys.exit(main())

"""The dependency rules of design.md, checked on the source itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wushan_desk"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_only_gui_imports_qt() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in modules_under(PACKAGE)
        if "gui" not in path.relative_to(PACKAGE).parts
        and any(m.split(".")[0] in {"PySide6", "shiboken6"} for m in imported_modules(path))
    ]
    assert offenders == []


def test_domain_uses_only_the_standard_library() -> None:
    for path in modules_under(PACKAGE / "domain"):
        for module in imported_modules(path):
            top = module.split(".")[0]
            assert (
                top in sys.stdlib_module_names
                or module.startswith("wushan_desk.domain")
                or top == "__future__"
            ), f"{path.name} imports {module}"


def test_only_store_opens_sqlite() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in modules_under(PACKAGE)
        if path.relative_to(PACKAGE).parts[0] not in {"store"}
        and {"sqlite3", "sqlite_utils"} & {m.split(".")[0] for m in imported_modules(path)}
    ]
    assert offenders == []


def test_core_runs_without_qt() -> None:
    """Importing every non-GUI module must not pull PySide6 in."""
    import subprocess

    code = (
        "import sys, pkgutil, importlib, wushan_desk\n"
        "for m in pkgutil.walk_packages(wushan_desk.__path__, 'wushan_desk.'):\n"
        "    if '.gui' not in m.name: importlib.import_module(m.name)\n"
        "assert not any(k.startswith('PySide6') for k in sys.modules), 'Qt imported'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent
    )
    assert proc.returncode == 0, proc.stderr

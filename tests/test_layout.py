"""The dependency rules of design.md and docs/architecture.md, checked on the source itself.

Floors, lowest first: the domain; the neutral modules (paths, files, logs, progress);
store; sync and reports (beside each other); services; the GUI and the CLI on top.
A module imports only from its own floor or lower ones, and the GUI and the CLI reach
the lower floors only through the services (holding the workspace handle of
services.session), as Anki's GUI holds its collection.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wushan_desk"

NEUTRAL = {"wushan_desk", "wushan_desk.paths", "wushan_desk.files", "wushan_desk.logs",
           "wushan_desk.progress"}
#: The command line: its entry points and the modules of its command groups.
ENTRY_POINTS = {"wushan_desk.cli", "wushan_desk.cli_aid", "wushan_desk.cli_recognition",
                "wushan_desk.cli_roster", "wushan_desk.cli_aid_check",
                "wushan_desk.__main__"}
FLOORS = {"domain": 0, "neutral": 1, "store": 2, "sync": 3, "reports": 3, "services": 4,
          "gui": 5, "cli": 5}
#: What the GUI and the CLI may import of the package (besides the GUI itself).
TOP_MAY_IMPORT = {"domain", "neutral", "services", "gui"}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (lazy imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names
                         if (PACKAGE.parent / (node.module.replace(".", "/") + f"/{alias.name}.py"))
                         .exists())
    return names


def modules_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def area(module: str) -> str | None:
    """domain, neutral, store, sync, reports, services, gui or cli (None: not ours)."""
    if module in NEUTRAL:
        return "neutral"
    if module in ENTRY_POINTS:
        return "cli"
    if module.startswith("wushan_desk."):
        return module.split(".")[1]
    return None


def test_every_module_has_a_floor() -> None:
    unknown = [module_name(p) for p in modules_under(PACKAGE)
               if area(module_name(p)) not in FLOORS]
    assert unknown == []


def test_no_floor_imports_a_higher_one() -> None:
    offenders = []
    for path in modules_under(PACKAGE):
        me = area(module_name(path))
        for module in imported_modules(path):
            other = area(module)
            if other is None or other == me:
                continue
            if FLOORS[other] > FLOORS[me] and not (me == "cli" and module == "wushan_desk.gui.app"):
                offenders.append(f"{module_name(path)} imports {module}")
            if FLOORS[other] == FLOORS[me] and {me, other} != {"gui", "cli"}:
                offenders.append(f"{module_name(path)} imports its neighbour {module}")
    assert offenders == []


def test_gui_and_cli_call_services_not_store_or_sync() -> None:
    offenders = [
        f"{module_name(path)} imports {module}"
        for path in [*modules_under(PACKAGE / "gui"), PACKAGE / "cli.py"]
        for module in imported_modules(path)
        if area(module) is not None and area(module) not in TOP_MAY_IMPORT | {"cli"}
    ]
    assert offenders == []


def test_only_gui_imports_qt() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in modules_under(PACKAGE)
        if "gui" not in path.relative_to(PACKAGE).parts
        and any(m.split(".")[0] in {"PySide6", "shiboken6"} for m in imported_modules(path))
    ]
    assert offenders == []


#: Pure functions the rules may use beside the standard library: python-stdnum's check
#: digits (bank cards) have no I/O, no state and no dependencies.
DOMAIN_LIBRARIES = {"stdnum"}


def test_domain_uses_only_the_standard_library() -> None:
    for path in modules_under(PACKAGE / "domain"):
        for module in imported_modules(path):
            top = module.split(".")[0]
            assert (
                top in sys.stdlib_module_names
                or module.startswith("wushan_desk.domain")
                or top in ("__future__", *DOMAIN_LIBRARIES)
            ), f"{path.name} imports {module}"


def test_only_store_opens_sqlite() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in modules_under(PACKAGE)
        if path.relative_to(PACKAGE).parts[0] not in {"store"}
        and {"sqlite3", "sqlcipher3", "sqlite_utils"}
        & {m.split(".")[0] for m in imported_modules(path)}
    ]
    assert offenders == []


def test_one_sqlite_library() -> None:
    """Only store/driver.py picks the SQLite library: two in one process lose locks."""
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in modules_under(PACKAGE)
        if path.name != "driver.py"
        and {"sqlite3", "sqlcipher3"} & {m.split(".")[0] for m in imported_modules(path)}
    ]
    assert offenders == []


SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+(TABLE|INDEX|TRIGGER)|BEGIN\s+IMMEDIATE|PRAGMA\s+\w+)\b", re.S)


def test_sql_is_written_only_in_store() -> None:
    """Design rule 3: SQL lives in store/ (and the DDL in db/); nowhere else builds it."""
    offenders = []
    for path in modules_under(PACKAGE):
        if path.relative_to(PACKAGE).parts[0] == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and SQL.search(node.value) and not _is_docstring_like(node.value):
                offenders.append(f"{path.relative_to(PACKAGE)}: {node.value[:50]!r}")
    assert offenders == []


def _is_docstring_like(text: str) -> bool:
    """Prose that mentions SQL (a docstring explaining BEGIN IMMEDIATE), not a statement."""
    return bool(re.search(r"[\u4e00-\u9fff]|\b(the|a|is|before|inside)\b", text))


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

"""Shared fixtures: a fresh workspace, a small demo county, an isolated user folder.

Qt reads QT_QPA_PLATFORM and LANG when the QApplication is made, so they are set here,
at import, before any test (or pytest-qt's `qapp`) creates one.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if not os.environ.get("LANG"):
    os.environ["LANG"] = "C.UTF-8"
# Every workspace a test makes is encrypted with this first administrator, and every
# command (in-process or a subprocess) logs in as it, as a county script would.
# Tests of accounts, roles and logins set their own.
TEST_USER, TEST_PASSWORD = "admin", "test-admin-pw"
os.environ["WUSHAN_DESK_USER"] = TEST_USER
os.environ["WUSHAN_DESK_PASSWORD"] = TEST_PASSWORD

import support  # noqa: E402 (after the environment above)
from hypothesis import settings  # noqa: E402 (after the environment above)
from support import open_workspace  # noqa: E402 (after the environment above)

from wushan_desk.domain import ids  # noqa: E402 (after the environment above)
from wushan_desk.services import records, workspace  # noqa: E402 (after the environment above)
from wushan_desk.store.workspace import Workspace  # noqa: E402 (after the environment above)

# Property tests: `HYPOTHESIS_PROFILE=slow` runs thousands of examples where a test
# does not fix its own number (the sync convergence property reads it too).
settings.register_profile("slow", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# --- in CI a skipped test is a failure, unless it is allowed here -----------------------

#: Tests that may skip in CI, each with the reason. Any other skip fails a CI run (CI=1,
#: set by .ci/run): a skip there means a missing system package or a broken import, and
#: would hide exactly the failure the test exists to catch.
#: The README's system packages (poppler-utils, zbar-tools) are required: tests that use
#: them fail with what to install (tests/reports/test_pdf.py `need`), they never skip.
ALLOWED_SKIPS: dict[str, str] = {
    "tests/sync/test_crash.py": "kills an importer with SIGKILL: POSIX only, skips on Windows",
    "tests/test_workspace_files.py::test_a_pipe_is_refused_at_once_not_waited_on":
        "a named pipe as a file is POSIX only: skips on Windows",
    "tests/test_workspace_files.py::test_a_name_that_is_not_utf8_is_checked_not_crashed":
        "file names that are not UTF-8 exist on POSIX only: skips on Windows",
}
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A whole module skipped while collecting (an import-or-skip call at its top)."""
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    unexpected = [n for n in _skipped if not any(n.startswith(a) for a in ALLOWED_SKIPS)]
    if os.environ.get("CI") and unexpected and exitstatus == 0:
        sys.stderr.write(
            "\nCI: these tests were skipped and are not on tests/conftest.py ALLOWED_SKIPS "
            "(install what they need, or allow them with a reason):\n  "
            + "\n  ".join(unexpected) + "\n"
        )
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def user_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own user data folder: settings, default and demo workspaces."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("WUSHAN_DESK_HOME", str(home))
    return home


@pytest.fixture
def fresh_ws(tmp_path: Path) -> Iterator[Workspace]:
    """A new, empty workspace (county and townships only)."""
    ws = workspace.create(tmp_path / "fresh.wsdb", "demo", "测试工作区")
    yield ws
    ws.close()


def resident_id(birth: str, seq: int) -> str:
    """A valid Wushan ID for a birth date 'YYYY-MM-DD'; odd `seq` is male, even female."""
    first17 = "500237" + birth.replace("-", "") + f"{seq:03d}"
    return first17 + ids.resident_id_check_char(first17)


def add_student(ws: Workspace, school_id: str, name: str, grade: str, *, birth: str,
                seq: int, **extra: object) -> str:
    rid = resident_id(birth, seq)
    record = {
        "id": str(uuid.uuid4()), "name": name, "sex": "男" if seq % 2 else "女",
        "birth_date": birth, "resident_id": rid, "student_number": "G" + rid,
        "school_id": school_id, "grade": grade, **extra,
    }
    return records.put(ws, "student", record).id


@pytest.fixture
def new_student() -> Callable[..., str]:
    """`add_student` for tests (conftest modules cannot be imported by name reliably)."""
    return add_student


@pytest.fixture
def valid_id() -> Callable[[str, int], str]:
    """`resident_id` for tests: a valid ID for a birth date and sequence number."""
    return resident_id


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo county (~1,200 students, every school type), built once per session."""
    from wushan_desk.services.demo import build_demo  # a large module: only when needed

    path = tmp_path_factory.mktemp("demo") / "demo.wsdb"
    build_demo(path, scale=0.02)
    return path


@pytest.fixture
def demo_copy(demo_path: Path, tmp_path: Path) -> Path:
    """A private copy of the demo workspace file that a test may change."""
    target = tmp_path / "demo.wsdb"
    support.copy_workspace(demo_path, target)
    wal = demo_path.with_name(demo_path.name + "-wal")  # if the builder left one open
    if wal.exists():
        shutil.copy(wal, target.with_name(target.name + "-wal"))
    return target


@pytest.fixture
def demo_ws(demo_copy: Path) -> Iterator[Workspace]:
    ws = open_workspace(demo_copy, create=False)
    yield ws
    ws.close()

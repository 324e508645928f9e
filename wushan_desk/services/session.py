"""The open workspace as the GUI and the command line hold it.

Like Anki's GUI holding its collection, the GUI and the CLI hold one `Workspace` (a
typed handle: the connection, the clock) and pass it to the services; they never import
`store` or `sync` themselves (tests/test_layout.py). Opening, the workspace errors they
must recognise and the busy test come from here.
"""

from __future__ import annotations

from pathlib import Path

from wushan_desk.store import migrations
from wushan_desk.store.errors import (
    BUSY_MESSAGE,
    DatabaseError,
    WorkspaceBusy,
    WorkspaceError,
    WorkspaceExists,
)
from wushan_desk.store.keyslots import LoginFailed
from wushan_desk.store.workspace import DEFAULT_BUSY_MS, LoginRequired, Workspace, is_busy

__all__ = [
    "BUSY_MESSAGE",
    "DEFAULT_BUSY_MS",
    "DatabaseError",
    "LoginFailed",
    "LoginRequired",
    "Workspace",
    "WorkspaceBusy",
    "WorkspaceError",
    "WorkspaceExists",
    "is_busy",
    "latest_schema_version",
    "open_workspace",
]


def open_workspace(
    path: str | Path, *, create: bool = False, busy_ms: int = DEFAULT_BUSY_MS
) -> Workspace:
    """Open the workspace at `path` (migrating it after a backup if it is older).

    WorkspaceError, with the file untouched, if it is not a workspace of this app or of
    a schema this build knows; WorkspaceBusy if another program holds it meanwhile.
    """
    from wushan_desk.services import accounts

    return accounts.reopen(path, create=create, busy_ms=busy_ms)


def user_name(ws: Workspace) -> str | None:
    """Who is working (the logged-in user's display name or login), as records name
    the person who made a step; None in a workspace without a login."""
    user = ws.user
    return getattr(user, "display_name", None) or getattr(user, "login", None)


def latest_schema_version() -> int:
    """The schema version this build creates and migrates to."""
    return migrations.latest_version()

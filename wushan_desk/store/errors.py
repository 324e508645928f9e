"""Store errors: what went wrong with a workspace file, in words for the user."""

from __future__ import annotations

from wushan_desk.domain.errors import UserError


class WorkspaceError(UserError):
    """The workspace cannot be opened or changed; `message` is plain Chinese.

    Raised before anything is written, so the file is as it was.
    """

    code = "workspace"


class WorkspaceExists(WorkspaceError):
    """A new workspace was asked for at a path where one already is (or is being made)."""

    code = "exists"


class WorkspaceBusy(WorkspaceError):
    """Another program (or window) holds the workspace's write lock for too long."""

    code = "busy"


BUSY_MESSAGE = (
    "工作区正被另一个程序或窗口使用（例如正在导入同步包或生成演示数据），暂时不能写入。"
    "请等它完成后重试；本次操作没有写入任何内容。"
)


# SQLite's own errors, re-exported so that code outside store/ can recognise them
# without importing sqlite3 (the dependency rules keep SQLite inside store/).
from wushan_desk.store.driver import sqlite3 as _driver  # noqa: E402

DatabaseError = _driver.DatabaseError
OperationalError = _driver.OperationalError

__all__ = [
    "BUSY_MESSAGE",
    "DatabaseError",
    "OperationalError",
    "WorkspaceBusy",
    "WorkspaceError",
    "WorkspaceExists",
]

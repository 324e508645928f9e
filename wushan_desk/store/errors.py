"""Store errors: what went wrong with a workspace file, in words for the user."""


class WorkspaceError(Exception):
    """The workspace cannot be opened or changed; `message` is plain Chinese.

    Raised before anything is written, so the file is as it was.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# SQLite's own errors, re-exported so that code outside store/ can recognise them
# without importing sqlite3 (the dependency rules keep SQLite inside store/).
from sqlite3 import DatabaseError, OperationalError  # noqa: E402

__all__ = ["DatabaseError", "OperationalError", "WorkspaceError"]

"""The `file:` URI that SQLite accepts for a path (read-only opens use it)."""

from __future__ import annotations

from pathlib import PurePath, PureWindowsPath
from urllib.parse import quote


def sqlite_uri(path: PurePath, **query: str) -> str:
    """The `file:` URI SQLite accepts for `path`, with `query` parameters (mode=ro ...).

    Handles what Path.as_uri() gets wrong for SQLite: a Windows share (\\\\server\\share,
    also what a mapped drive resolves to) must be file:////server/share/... because
    SQLite accepts no URI authority; a drive letter is file:///C:/...; and %, ?, # and
    blanks in folder names are percent-encoded.
    """
    text = path.as_posix()  # /home/..., C:/Users/..., or //server/share/...
    if isinstance(path, PureWindowsPath) and not text.startswith("//"):
        text = "/" + text
    # a name that is not valid UTF-8 (Linux allows any bytes) keeps its bytes
    uri = "file://" + quote(text, safe="/:", errors="surrogateescape")
    if query:
        uri += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return uri

"""Writing files so that a crash, a full disk or a pulled USB stick never leaves half of
one under its real name: write `<name>.partial`, flush and fsync, then rename."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def write_atomic(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Call `write(file)` on `<path>.partial`, then move it to `path` in one step.

    On any failure the partial file is removed and the error (OSError for a full disk or
    a vanished drive) propagates for the caller to explain.
    """
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise

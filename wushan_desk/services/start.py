"""What the app's first window needs to know before the rest of the app has loaded.

The login form is on screen within a few hundredths of a second of Qt's own start
(issue 7): whether it is needed is read from the key file's presence and the
environment, without importing the store or the accounts service.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from wushan_desk.store import keyslots

#: Credentials for scripts (see services/accounts.credentials_from_env).
ENV_USER, ENV_PASSWORD = "WUSHAN_DESK_USER", "WUSHAN_DESK_PASSWORD"


def asks_login(path: Path, environ: Mapping[str, str] | None = None) -> bool:
    """Will a process that has not logged in yet need a person's login to open `path`?
    (It is encrypted, and the environment holds no credentials for a script.)"""
    env = os.environ if environ is None else environ
    scripted = env.get(ENV_USER, "").strip() and env.get(ENV_PASSWORD, "")
    return keyslots.is_encrypted(Path(os.path.abspath(path))) and not scripted

"""What the app's first window needs to know before the rest of the app has loaded.

The login form is on screen within a few hundredths of a second of Qt's own start
(issue 7): whether it is needed is read from the key file's presence and the
environment, without importing the store or the accounts service.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from wushan_desk.store import keyslots

#: Credentials for scripts (see services/accounts.credentials_from_env).
ENV_USER, ENV_PASSWORD = "WUSHAN_DESK_USER", "WUSHAN_DESK_PASSWORD"


def env_credentials(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """WUSHAN_DESK_USER / WUSHAN_DESK_PASSWORD, when both are set (for scripts)."""
    env = os.environ if environ is None else environ
    user, password = env.get(ENV_USER, "").strip(), env.get(ENV_PASSWORD, "")
    return (user, password) if user and password else None


def asks_login(path: Path, environ: Mapping[str, str] | None = None) -> bool:
    """Will opening `path` need a person's login? (It is encrypted, this process has not
    logged in to it, and the environment holds no credentials for a script.)"""
    # the accounts service is loaded once the store is in use, never before a login
    accounts = sys.modules.get("wushan_desk.services.accounts")
    if accounts is not None and accounts.logged_in(path):
        return False
    return keyslots.is_encrypted(Path(os.path.abspath(path))) and env_credentials(environ) is None

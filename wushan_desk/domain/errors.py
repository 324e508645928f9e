"""The one error base: every refusal the user should read derives from `UserError`.

An expected refusal (a wrong ID number, a busy workspace, a tampered package, a file
that is not a spreadsheet) is a `UserError` with a plain Chinese `message` saying what
happened and what to do, and a short English `code` for scripts and logs. The CLI maps
it once to an exit code and the GUI once to a dialog; anything else is unexpected.
"""

from __future__ import annotations


class UserError(Exception):
    """A refusal explained for the user; `message` is shown as-is, `code` names it."""

    code = "rejected"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ValidationError(UserError, ValueError):
    """A value broke a domain rule; `field` names the field when there is one."""

    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

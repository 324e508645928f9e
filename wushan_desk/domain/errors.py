"""Domain errors: one exception type carrying a plain Chinese message for the user."""


class ValidationError(ValueError):
    """A value broke a domain rule; `message` is shown to the user as-is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

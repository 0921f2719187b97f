"""Errors written for the treasurer, not for a programmer.

Anything raised as a ``UserFacingError`` is shown as its message alone; the
command line and the GUI never show a traceback for it.
"""


class UserFacingError(Exception):
    """An error whose message is a complete sentence a treasurer can act on."""


class ValidationError(UserFacingError):
    """Bad input; nothing was changed."""


class NotFound(UserFacingError):
    pass


class PeriodClosed(UserFacingError):
    pass


class PermissionDenied(UserFacingError):
    pass


class PinRejected(PermissionDenied):
    """A wrong PIN.  ``Hall.write`` rolls the action back, then records the attempt in its own transaction
    (``officers.record_wrong_pin``), so that guessing leaves a trace and counts towards a lockout."""

    def __init__(self, message: str, officer_id: int):
        super().__init__(message)
        self.officer_id = officer_id


class ImportFailed(ValidationError):
    """A CSV import with problems; ``problems`` lists every one (``line N, column C: ...``)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = len(problems)
        head = f"Nothing was imported: {count} problem{'s' if count != 1 else ''} found."
        super().__init__(head + "\n" + "\n".join(problems))

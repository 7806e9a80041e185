"""Errors that cross layer boundaries.

Storage turns its own exceptions into these, so services and the UI never
see a driver or SQLAlchemy exception.
"""


class StepDeskError(Exception):
    """Base of every error the product raises on purpose."""


class InvalidInput(StepDeskError):
    """A value typed or passed by a person is not acceptable."""


class AuthenticationFailed(StepDeskError):
    """Sign-in failed. The message does not reveal which part was wrong."""

    def __init__(self) -> None:
        super().__init__("The username or password is incorrect.")


class NotFound(StepDeskError):
    """An object does not exist, or the caller may not know that it exists."""


class PermissionDenied(StepDeskError):
    """The caller's role does not allow this action."""


class StepUpRequired(StepDeskError):
    """The action needs a fresh verification with the authenticator app."""

    def __init__(self) -> None:
        super().__init__("Verify it's you with your authenticator app to continue.")


class CodeRejected(StepDeskError):
    """An authentication code was not accepted. The message gives the reason."""


class VerificationLocked(CodeRejected):
    """Too many failed codes; verification is paused until `until`."""


class ConflictError(StepDeskError):
    """Someone else saved the same object first."""


class StorageError(StepDeskError):
    """The database cannot be opened, read or written."""


class EncryptionKeyError(StorageError):
    """The data key is missing, unreadable or does not match the database."""


class MissingResource(StepDeskError):
    """A file that ships with StepDesk (an icon, a style sheet) cannot be found."""


class SelfTestFailed(StepDeskError):
    """A step of --self-test found a fault, which the message describes with its location."""

"""The storage interface the services use, as protocols.

Storage implements these and turns its own exceptions into domain errors,
so nothing here depends on SQL.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from desktop.domain.entities import (
    ApiKeyInfo,
    ApplicationSummary,
    Environment,
    SecurityDetails,
    Team,
    User,
)
from desktop.domain.policy import Policy
from desktop.domain.roles import TeamRole


@dataclass(frozen=True)
class Credentials:
    user_id: int
    password_hash: str
    active: bool


@dataclass(frozen=True)
class EnrolmentState:
    confirmed_at: datetime | None
    last_step: int | None
    last_verified_at: datetime | None
    failure_count: int
    locked_until: datetime | None
    last_failure_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class SignInFailures:
    count: int
    last_failed_at: datetime


@dataclass(frozen=True)
class UserMfaStatus:
    """The facts about a user's authenticator shown to support, never its secret."""

    user: User
    enrolled_at: datetime | None
    pending_since: datetime | None
    last_verified_at: datetime | None
    locked_until: datetime | None
    recovery_codes_left: int


@dataclass(frozen=True)
class StoredAuditEvent:
    occurred_at: datetime
    actor_id: int | None
    actor: str
    action: str
    target: str
    outcome: str
    detail: str


class ApplicationSort(StrEnum):
    NAME = "name"
    TEAM = "team"
    ENVIRONMENT = "environment"
    STATUS = "status"


@dataclass(frozen=True)
class ApplicationQuery:
    """One page of applications that `user_id` may see, in a stable order."""

    user_id: int
    see_all_teams: bool
    filter_text: str = ""
    team_id: int | None = None
    sort: ApplicationSort = ApplicationSort.NAME
    descending: bool = False
    after: tuple[str, int] | None = None
    """Keyset cursor: the sort key and id of the last row already loaded."""
    limit: int = 200


@dataclass(frozen=True)
class AuditRecord:
    actor_id: int | None
    actor: str
    action: str
    target: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class SecurityDetailsChange:
    application_id: int
    expected_version: int
    public_key: str
    callback_urls: tuple[str, ...]


@dataclass(frozen=True)
class KeyRotation:
    api_key_id: int
    expected_version: int
    new_client_id: str
    new_secret: str
    now: datetime
    old_valid_until: datetime | None
    """When the old key stops working; None revokes it at once."""


@dataclass(frozen=True)
class Draft:
    """Unsaved edits kept when the editor locks; never a secret, never rejected key material."""

    user_id: int
    application_id: int
    public_key: str
    callback_urls: tuple[str, ...]
    base_version: int
    updated_at: datetime


class Store(Protocol):
    """The database as the services see it."""

    @property
    def description(self) -> str: ...

    new_key_location: str | None
    """Where a data key created at this start was stored, so a backup can be offered."""

    def save_key_backup(self, path: Path) -> None: ...

    def is_demo(self) -> bool: ...

    def load_policy(self) -> Policy: ...

    # Users and membership
    def find_credentials(self, username_key: str) -> Credentials | None: ...

    def get_user(self, user_id: int) -> User | None: ...

    def team_role(self, user_id: int, team_id: int) -> TeamRole | None: ...

    # Browsing
    def list_teams(self, user_id: int, see_all: bool) -> list[Team]: ...

    def list_applications(self, query: ApplicationQuery) -> list[ApplicationSummary]: ...

    def count_applications(self, query: ApplicationQuery) -> int: ...

    def get_application(self, application_id: int) -> ApplicationSummary | None: ...

    def find_applications(
        self, team_name_key: str, name_key: str, environment: Environment | None
    ) -> list[ApplicationSummary]: ...

    # Security details
    def load_security_details(self, application_id: int) -> SecurityDetails: ...

    def reveal_api_secret(self, api_key_id: int, audit: AuditRecord) -> str:
        """Write `audit`, then return the decrypted secret of one of the keys."""
        ...

    def get_api_key(self, api_key_id: int) -> tuple[int, ApiKeyInfo] | None:
        """Return the key's application id and public facts, or None if it does not exist."""
        ...

    def add_api_key(
        self,
        application_id: int,
        client_id: str,
        secret: str,
        now: datetime,
        audit: AuditRecord | None = None,
    ) -> int: ...

    def rotate_api_key(self, rotation: KeyRotation, audit: AuditRecord) -> int:
        """End the old key (now or later) and add a new one, in one transaction."""
        ...

    def revoke_api_key(
        self, api_key_id: int, expected_version: int, now: datetime, audit: AuditRecord
    ) -> None: ...

    def save_draft(self, draft: Draft) -> None: ...

    def load_draft(self, user_id: int, application_id: int) -> Draft | None: ...

    def discard_draft(self, user_id: int, application_id: int) -> None: ...

    def save_security_details(self, change: SecurityDetailsChange, audit: AuditRecord) -> int:
        """Save if the version still matches, with `audit` in the same transaction.

        Returns the new version; raises ConflictError if someone saved first.
        """
        ...

    # MFA enrolment
    def enrolment_state(self, user_id: int) -> EnrolmentState | None: ...

    def totp_secret(self, user_id: int) -> str: ...

    def start_enrolment(self, user_id: int, secret: str, now: datetime) -> None: ...

    def accept_step(
        self, user_id: int, step: int, now: datetime, audit: AuditRecord, confirm: bool
    ) -> bool:
        """Accept `step` only if it is above the last accepted one; True if this call won."""
        ...

    def record_failure(
        self, user_id: int, now: datetime, limit: int, lockout_until: datetime, audit: AuditRecord
    ) -> int:
        """Count a failed code in SQL; lock until `lockout_until` at `limit`. Return the count."""
        ...

    def burn_step(self, user_id: int, step: int) -> None: ...

    def burned_steps(self, user_id: int) -> set[int]: ...

    def store_recovery_codes(self, user_id: int, code_hashes: list[str]) -> None:
        """Replace the user's recovery codes with these hashes."""
        ...

    def unused_recovery_codes(self, user_id: int) -> list[tuple[int, str]]:
        """Return (id, hash) of each recovery code not used yet."""
        ...

    def use_recovery_code(
        self, code_id: int, user_id: int, new_secret: str, now: datetime, audit: AuditRecord
    ) -> bool:
        """Mark the code used and replace the enrolment with a pending one, in one transaction.

        Returns False if the code was used meanwhile, so it works once only.
        """
        ...

    def reset_enrolment(self, user_id: int, audit: AuditRecord) -> None:
        """Delete the enrolment, its burned steps and recovery codes, with `audit`."""
        ...

    def sign_in_failures(self, username_key: str) -> SignInFailures | None: ...

    def record_sign_in_failure(self, username_key: str, now: datetime) -> None: ...

    def clear_sign_in_failures(self, username_key: str) -> None: ...

    # Support

    def list_user_mfa(self, filter_text: str, limit: int) -> list[UserMfaStatus]: ...

    def user_mfa(self, user_id: int) -> UserMfaStatus | None: ...

    # Policy and applications

    def save_policy(self, policy: Policy, audit: AuditRecord) -> None: ...

    def change_environment(
        self,
        application_id: int,
        expected_version: int,
        environment: Environment,
        audit: AuditRecord,
    ) -> int:
        """Move the application; raise ConflictError or InvalidInput. Returns the new version."""
        ...

    def application_version(self, application_id: int) -> int | None: ...

    # Audit
    def add_audit(self, record: AuditRecord) -> None: ...

    def audit_events(
        self,
        *,
        actions: tuple[str, ...] = (),
        actor_id: int | None = None,
        target: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[StoredAuditEvent]:
        """Return matching events, newest first."""
        ...

"""Plain records that services hand to the UI.

None of them carries a secret: a secret travels only as the return value
of the service call that checked and audited its release.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from desktop.domain.roles import GlobalRole, TeamRole


class Environment(StrEnum):
    DEVELOPMENT = "development"
    INTEGRATION = "integration"
    PRODUCTION = "production"


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    email: str | None
    active: bool
    global_role: GlobalRole | None


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    description: str
    role: TeamRole | None
    """The signed-in user's role in this team, if a member."""


@dataclass(frozen=True)
class ApplicationSummary:
    id: int
    name: str
    team_id: int
    team_name: str
    environment: Environment
    status: str


@dataclass(frozen=True)
class ApiKeyInfo:
    """An API key's public facts; the secret is fetched separately."""

    id: int
    client_id: str
    created_at: datetime
    rotated_at: datetime | None
    valid_until: datetime | None
    revoked_at: datetime | None
    version: int

    @property
    def is_active(self) -> bool:
        """Tell whether the key is not revoked; see `is_usable` for expiry too."""
        return self.revoked_at is None

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.valid_until is None or now < self.valid_until)

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "Revoked"
        if self.valid_until is not None:
            if now >= self.valid_until:
                return "Expired"
            return f"Expires {self.valid_until.astimezone():%d %b %Y %H:%M}"
        return "Active"


@dataclass(frozen=True)
class SecurityDetails:
    """The non-secret part of an application's security details."""

    application: ApplicationSummary
    api_keys: tuple[ApiKeyInfo, ...]
    public_key: str
    callback_urls: tuple[str, ...]
    version: int


@dataclass(frozen=True)
class AuditEvent:
    id: int
    occurred_at: datetime
    actor: str
    action: str
    target: str
    outcome: str

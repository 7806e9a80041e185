"""Roles within a team and across the whole portal."""

from enum import StrEnum


class TeamRole(StrEnum):
    OWNER = "owner"
    APP_ADMIN = "app_admin"
    VIEWER = "viewer"

    @property
    def may_open_security_details(self) -> bool:
        return self in (TeamRole.OWNER, TeamRole.APP_ADMIN)

    @property
    def label(self) -> str:
        return {
            TeamRole.OWNER: "Owner",
            TeamRole.APP_ADMIN: "App admin",
            TeamRole.VIEWER: "Viewer",
        }[self]


class GlobalRole(StrEnum):
    """A portal-wide role. Neither grants access to secrets."""

    SUPPORT = "support"
    ADMINISTRATOR = "administrator"

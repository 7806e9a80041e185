"""The demo database: teams, applications and one user per role.

The passwords are published in the README, which is why this data is only
ever written into a database that is marked as a demo inside.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from desktop.domain.entities import Environment
from desktop.domain.roles import GlobalRole, TeamRole
from desktop.security.api_keys import new_api_secret, new_client_id
from desktop.security.passwords import hash_password
from desktop.storage.store import SqlStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    display_name: str
    email: str | None
    global_role: GlobalRole | None = None
    active: bool = True


DEMO_USERS = (
    DemoUser("olivia", "demo-owner-2026", "Olivia Owner", "olivia@example.co.uk"),
    DemoUser("adam", "demo-appadmin-2026", "Adam App-Admin", "adam@example.co.uk"),
    DemoUser("vera", "demo-viewer-2026", "Vera Viewer", "vera@example.co.uk"),
    DemoUser("sam", "demo-support-2026", "Sam Support", "sam@example.co.uk", GlobalRole.SUPPORT),
    DemoUser("ada", "demo-admin-2026", "Ada Administrator", None, GlobalRole.ADMINISTRATOR),
    DemoUser("ivan", "demo-inactive-2026", "Ivan Inactive", None, active=False),
)

DEMO_TEAMS: dict[str, tuple[str, list[tuple[str, Environment]]]] = {
    "Payments": (
        "Card and bank payments for the web shop.",
        [
            ("Checkout", Environment.PRODUCTION),
            ("Checkout", Environment.INTEGRATION),
            ("Checkout", Environment.DEVELOPMENT),
            ("Refunds", Environment.PRODUCTION),
            ("Refunds", Environment.DEVELOPMENT),
        ],
    ),
    "Logistics": (
        "Parcel tracking and delivery slots.",
        [
            ("Parcel Tracker", Environment.PRODUCTION),
            ("Parcel Tracker", Environment.INTEGRATION),
            ("Delivery Slots", Environment.PRODUCTION),
            ("Delivery Slots", Environment.DEVELOPMENT),
        ],
    ),
    "Open Banking Sandbox": (
        "Experiments with account information services.",
        [
            ("Account Viewer", Environment.PRODUCTION),
            ("Account Viewer", Environment.DEVELOPMENT),
            ("Budget Helper", Environment.INTEGRATION),
            ("Café Loyalty", Environment.DEVELOPMENT),
        ],
    ),
}

# (username, team, role); support and administrator see every team without membership.
DEMO_MEMBERSHIPS = (
    ("olivia", "Payments", TeamRole.OWNER),
    ("olivia", "Logistics", TeamRole.OWNER),
    ("adam", "Payments", TeamRole.APP_ADMIN),
    ("adam", "Open Banking Sandbox", TeamRole.OWNER),
    ("vera", "Payments", TeamRole.VIEWER),
    ("vera", "Logistics", TeamRole.VIEWER),
    ("ivan", "Payments", TeamRole.OWNER),
)


def seed_demo(store: SqlStore, now: datetime) -> None:
    """Fill an empty database with the demo data and mark it as a demo."""
    store.mark_demo()
    user_ids = {
        user.username: store.create_user(
            user.username,
            hash_password(user.password),
            display_name=user.display_name,
            email=user.email,
            now=now,
            global_role=user.global_role,
            active=user.active,
        )
        for user in DEMO_USERS
    }
    team_ids: dict[str, int] = {}
    for team_name, (description, applications) in DEMO_TEAMS.items():
        team_id = store.create_team(team_name, description)
        team_ids[team_name] = team_id
        slug = team_name.lower().replace(" ", "-")
        for application_id, (name, environment) in zip(
            store.create_applications(team_id, applications), applications, strict=True
        ):
            store.add_api_key(application_id, new_client_id(), new_api_secret(), now)
            app_slug = name.lower().replace(" ", "-").replace("é", "e")
            store.set_callback_urls(
                application_id,
                [f"https://{app_slug}.{slug}.example.co.uk/oauth/callback"]
                + (
                    ["http://127.0.0.1:8400/callback"]
                    if environment != Environment.PRODUCTION
                    else []
                ),
            )
    for username, team_name, role in DEMO_MEMBERSHIPS:
        store.add_member(user_ids[username], team_ids[team_name], role)
    log.info("Seeded the demo database with %d users and %d teams", len(user_ids), len(team_ids))

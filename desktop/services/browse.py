"""Browsing teams and applications, limited to what the caller may see."""

from dataclasses import replace

from desktop.domain.entities import ApplicationSummary, Environment, Team
from desktop.domain.errors import InvalidInput, NotFound
from desktop.domain.text import fold
from desktop.services.ports import ApplicationQuery, ApplicationSort, Store
from desktop.services.security_details import NOT_AVAILABLE
from desktop.services.session import SignedInSession


class BrowseService:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _sees_all_teams(self, session: SignedInSession) -> bool:
        user = self._store.get_user(session.user.id)
        return user is not None and user.active and user.global_role is not None

    def teams(self, session: SignedInSession) -> list[Team]:
        return self._store.list_teams(session.user.id, self._sees_all_teams(session))

    def query(self, session: SignedInSession, **criteria: object) -> ApplicationQuery:
        """Build a query for the caller; visibility comes from the database, not the caller."""
        base = ApplicationQuery(
            user_id=session.user.id, see_all_teams=self._sees_all_teams(session)
        )
        return replace(base, **criteria)  # type: ignore[arg-type]

    def applications(self, query: ApplicationQuery) -> list[ApplicationSummary]:
        return self._store.list_applications(query)

    def count(self, query: ApplicationQuery) -> int:
        return self._store.count_applications(query)

    def resolve(self, session: SignedInSession, reference: str) -> list[ApplicationSummary]:
        """Find applications by `TEAM/APPLICATION[@ENVIRONMENT]` among those the caller may see.

        An unknown application and one the caller may not see raise the same NotFound.
        """
        team_name, application_name, environment = parse_reference(reference)
        found = self._store.find_applications(fold(team_name), fold(application_name), environment)
        see_all = self._sees_all_teams(session)
        visible = [
            application
            for application in found
            if see_all or self._store.team_role(session.user.id, application.team_id) is not None
        ]
        if not visible:
            raise NotFound(f"'{reference}': {NOT_AVAILABLE}")
        return visible


def parse_reference(reference: str) -> tuple[str, str, Environment | None]:
    text = reference.strip()
    if "/" not in text:
        raise InvalidInput(
            f"'{reference}' is not an application reference: write TEAM/APPLICATION, "
            "optionally followed by @ENVIRONMENT."
        )
    team_name, _, rest = text.partition("/")
    application_name, _, environment_name = rest.rpartition("@") if "@" in rest else (rest, "", "")
    if not team_name.strip() or not application_name.strip():
        raise InvalidInput(
            f"'{reference}' is missing the team or the application: write TEAM/APPLICATION."
        )
    environment: Environment | None = None
    if environment_name:
        try:
            environment = Environment(environment_name.strip().lower())
        except ValueError as error:
            choices = ", ".join(e.value for e in Environment)
            raise InvalidInput(
                f"'{environment_name}' in '{reference}' is not an environment: use {choices}."
            ) from error
    return team_name.strip(), application_name.strip(), environment


def cursor_after(summary: ApplicationSummary, sort: ApplicationSort) -> tuple[str, int]:
    """Return the keyset cursor that continues a listing after `summary`.

    The values match the sort columns storage compares: folded names, so
    paging agrees with the case-insensitive order.
    """
    key = {
        ApplicationSort.NAME: fold(summary.name),
        ApplicationSort.TEAM: fold(summary.team_name),
        ApplicationSort.ENVIRONMENT: summary.environment.value,
        ApplicationSort.STATUS: summary.status,
    }[sort]
    return key, summary.id

"""Reading and changing an application's security details.

Every call re-reads the caller's user row and team membership and checks
the unlock window at that moment. This service is the only way to a
secret: widgets ask it and never decide on their own.
"""

import logging

from desktop.domain.callbacks import check_callback_url
from desktop.domain.entities import ApplicationSummary, Environment, SecurityDetails
from desktop.domain.errors import InvalidInput, NotFound, PermissionDenied, StepUpRequired
from desktop.domain.roles import GlobalRole
from desktop.security.clock import Clock
from desktop.services.ports import AuditRecord, SecurityDetailsChange, Store
from desktop.services.session import SignedInSession

log = logging.getLogger(__name__)

NOT_AVAILABLE = "This application does not exist or you may not see it."


class SecurityDetailsService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def may_open(self, session: SignedInSession, application_id: int) -> bool:
        """Tell whether the caller's role allows Security details at all, ignoring step-up."""
        try:
            self._authorise_role(session, application_id, "security-details-check", audit=False)
        except (PermissionDenied, NotFound):
            return False
        return True

    def needs_step_up(self, session: SignedInSession, application_id: int) -> bool:
        application = self._authorise_role(
            session, application_id, "security-details-check", audit=False
        )
        return self._step_up_required(application) and not session.unlock.is_open()

    def load(self, session: SignedInSession, application_id: int) -> SecurityDetails:
        self._authorise(session, application_id, "security-details-open")
        return self._store.load_security_details(application_id)

    def reveal_secret(self, session: SignedInSession, api_key_id: int, purpose: str) -> str:
        """Return an API secret after checking and auditing; `purpose` is "show" or "copy"."""
        application_id = self._store.api_key_application(api_key_id)
        if application_id is None:
            raise NotFound(NOT_AVAILABLE)
        application = self._authorise(session, application_id, f"api-secret-{purpose}")
        secret = self._store.reveal_api_secret(
            api_key_id,
            AuditRecord(
                session.user.id,
                session.audit_actor(),
                f"api-secret-{purpose}",
                _target(application, f"key:{api_key_id}"),
                "success",
            ),
        )
        log.info("User %s fetched API key %s to %s", session.user.id, api_key_id, purpose)
        return secret

    def save(
        self,
        session: SignedInSession,
        application_id: int,
        expected_version: int,
        public_key: str,
        callback_urls: list[str],
    ) -> SecurityDetails:
        application = self._authorise(session, application_id, "security-details-save")
        urls = [url.strip() for url in callback_urls if url.strip()]
        problems = [check.error for check in map(check_callback_url, urls) if check.error]
        if problems:
            raise InvalidInput("Nothing was saved. " + " ".join(problems))
        # TODO: validate the public key (RSA only, 2048 bits or more, unique kid,
        # no private members); it is stored as typed for now.
        self._store.save_security_details(
            SecurityDetailsChange(
                application_id, expected_version, public_key.strip(), tuple(urls)
            ),
            AuditRecord(
                session.user.id,
                session.audit_actor(),
                "security-details-save",
                _target(application),
                "success",
                detail=f"{len(urls)} callback URL(s)",
            ),
        )
        log.info(
            "User %s saved security details of application %s", session.user.id, application_id
        )
        return self._store.load_security_details(application_id)

    def change_environment(
        self, session: SignedInSession, application_id: int, environment: Environment
    ) -> ApplicationSummary:
        """Move an application to another environment: owners and app admins, after step-up.

        Step-up is required whatever the policy's scope, because moving into or
        out of production changes what protects its secrets.
        """
        application = self._authorise_role(
            session, application_id, "environment-change", audit=True
        )
        if not session.unlock.is_open():
            self._store.add_audit(
                AuditRecord(
                    session.user.id,
                    session.audit_actor(),
                    "environment-change",
                    _target(application),
                    "step-up-required",
                )
            )
            raise StepUpRequired()
        if environment is application.environment:
            return application
        version = self._store.application_version(application_id)
        if version is None:
            raise NotFound(NOT_AVAILABLE)
        self._store.change_environment(
            application_id,
            version,
            environment,
            AuditRecord(
                session.user.id,
                session.audit_actor(),
                "environment-change",
                _target(application),
                "success",
                detail=f"{application.environment.value} -> {environment.value}",
            ),
        )
        log.info(
            "User %s moved application %s to %s", session.user.id, application_id, environment.value
        )
        moved = self._store.get_application(application_id)
        if moved is None:
            raise NotFound(NOT_AVAILABLE)
        return moved

    def _authorise(
        self, session: SignedInSession, application_id: int, action: str
    ) -> ApplicationSummary:
        application = self._authorise_role(session, application_id, action, audit=True)
        if self._step_up_required(application) and not session.unlock.is_open():
            self._store.add_audit(
                AuditRecord(
                    session.user.id,
                    session.audit_actor(),
                    action,
                    _target(application),
                    "step-up-required",
                )
            )
            raise StepUpRequired()
        return application

    def _authorise_role(
        self, session: SignedInSession, application_id: int, action: str, *, audit: bool
    ) -> ApplicationSummary:
        # Role, membership and the active flag come from the database at every
        # call, so a change made at another desk applies at once.
        user = self._store.get_user(session.user.id)
        if user is None or not user.active:
            session.lock()
            raise PermissionDenied("Your account is no longer active. Sign in again.")
        application = self._store.get_application(application_id)
        if application is None:
            raise NotFound(NOT_AVAILABLE)
        role = self._store.team_role(user.id, application.team_id)
        if user.global_role is GlobalRole.SUPPORT:
            # The support role never grants access to secrets, and it also
            # withholds them from a support user who owns or administers the team.
            reason = "Support accounts may not open security details, whatever their team role."
        elif role is None or not role.may_open_security_details:
            reason = "Only the team's owners and app admins may open security details."
        else:
            return application
        if audit:
            self._store.add_audit(
                AuditRecord(user.id, user.username, action, _target(application), "denied")
            )
            log.warning("User %s was denied %s on application %s", user.id, action, application.id)
        raise PermissionDenied(reason)

    def _step_up_required(self, application: ApplicationSummary) -> bool:
        policy = self._store.load_policy()
        return policy.requires_step_up(application.environment, self._clock.now())


def _target(application: ApplicationSummary, suffix: str = "") -> str:
    base = f"application:{application.id} ({application.team_name}/{application.name}"
    base += f"@{application.environment.value})"
    return f"{base} {suffix}".strip()

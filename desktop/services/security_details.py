"""Reading and changing an application's security details.

Every call re-reads the caller's user row and team membership and checks
the unlock window at that moment. This service is the only way to a
secret: widgets ask it and never decide on their own.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from desktop.domain.callbacks import check_callback_url
from desktop.domain.entities import ApiKeyInfo, ApplicationSummary, Environment, SecurityDetails
from desktop.domain.errors import InvalidInput, NotFound, PermissionDenied, StepUpRequired
from desktop.domain.roles import GlobalRole
from desktop.security.api_keys import new_api_secret, new_client_id
from desktop.security.clock import Clock
from desktop.security.public_keys import PublicKeySet, parse_public_key_input
from desktop.services.jwks_fetch import JwksUnreachable, check_jwks_url, fetch_jwks
from desktop.services.ports import AuditRecord, Draft, KeyRotation, SecurityDetailsChange, Store
from desktop.services.session import SignedInSession

log = logging.getLogger(__name__)

MAX_OVERLAP = timedelta(days=30)


@dataclass(frozen=True)
class SaveResult:
    details: SecurityDetails
    warnings: tuple[str, ...]
    """Shown to the user but not blocking: a localhost callback, an unreachable JWKS URL."""


NOT_AVAILABLE = "This application does not exist or you may not see it."


class SecurityDetailsService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        fetch_jwks: Callable[[str], PublicKeySet] = fetch_jwks,
    ) -> None:
        self._store = store
        self._clock = clock
        self._fetch_jwks = fetch_jwks

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

    def step_up_required_from(self, application_id: int) -> datetime | None:
        """Return when step-up starts to apply to this application, if that is still ahead.

        Until the policy's enforcement date, step-up is offered but not required.
        """
        application = self._store.get_application(application_id)
        policy = self._store.load_policy()
        now = self._clock.now()
        if application is None or policy.enforced_from is None or policy.enforced_from <= now:
            return None
        later = replace(policy, enforced_from=None)
        return (
            policy.enforced_from if later.requires_step_up(application.environment, now) else None
        )

    def load(self, session: SignedInSession, application_id: int) -> SecurityDetails:
        self._authorise(session, application_id, "security-details-open")
        return self._store.load_security_details(application_id)

    def reveal_secret(self, session: SignedInSession, api_key_id: int, purpose: str) -> str:
        """Return an API secret after checking and auditing; `purpose` is "show" or "copy"."""
        key, application = self._key_and_application(session, api_key_id, f"api-secret-{purpose}")
        if not key.is_usable(self._clock.now()):
            raise InvalidInput("This API key is revoked or expired, so its secret is not shown.")
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

    def add_key(self, session: SignedInSession, application_id: int) -> SecurityDetails:
        """Create another API key with a fresh secret, for example before a rotation."""
        application = self._authorise(session, application_id, "api-key-add")
        client_id = new_client_id()
        self._store.add_api_key(
            application_id,
            client_id,
            new_api_secret(),
            self._clock.now(),
            self._record(session, "api-key-add", application, client_id),
        )
        log.info("User %s added an API key to application %s", session.user.id, application_id)
        return self._store.load_security_details(application_id)

    def regenerate_secret(
        self, session: SignedInSession, api_key_id: int, overlap: timedelta | None
    ) -> SecurityDetails:
        """Replace a key with a new key and secret; the old one works for `overlap` more.

        With no overlap the old key is revoked at once. During an overlap both
        keys are valid, so clients can move over without an outage.
        """
        key, application = self._key_and_application(session, api_key_id, "api-key-regenerate")
        if overlap is not None and not timedelta(0) < overlap <= MAX_OVERLAP:
            raise InvalidInput(
                f"An overlap of {overlap} is out of range: choose up to {MAX_OVERLAP.days} days."
            )
        now = self._clock.now()
        client_id = new_client_id()
        self._store.rotate_api_key(
            KeyRotation(
                api_key_id=key.id,
                expected_version=key.version,
                new_client_id=client_id,
                new_secret=new_api_secret(),
                now=now,
                old_valid_until=None if overlap is None else now + overlap,
            ),
            self._record(
                session,
                "api-key-regenerate",
                application,
                f"{key.client_id} -> {client_id}",
                detail="immediately" if overlap is None else f"overlap {overlap}",
            ),
        )
        log.info("User %s regenerated API key %s", session.user.id, api_key_id)
        return self._store.load_security_details(application.id)

    def revoke_key(self, session: SignedInSession, api_key_id: int) -> SecurityDetails:
        key, application = self._key_and_application(session, api_key_id, "api-key-revoke")
        self._store.revoke_api_key(
            key.id,
            key.version,
            self._clock.now(),
            self._record(session, "api-key-revoke", application, key.client_id),
        )
        log.info("User %s revoked API key %s", session.user.id, api_key_id)
        return self._store.load_security_details(application.id)

    def save_draft(
        self,
        session: SignedInSession,
        application_id: int,
        base_version: int,
        public_key: str,
        callback_urls: list[str],
    ) -> bool:
        """Keep unsaved edits for their author; returns False when there was nothing to keep.

        Saving a draft needs the role but no step-up, because it runs when the
        editor locks. Public key text that is not a valid public key is never
        kept, since it may be a pasted private key.
        """
        self._authorise_role(session, application_id, "draft-save", audit=True)
        kept_key = public_key.strip()
        if kept_key:
            try:
                parse_public_key_input(kept_key)
            except InvalidInput:
                kept_key = ""
        urls = tuple(url.strip() for url in callback_urls if url.strip())
        saved = self._store.load_security_details(application_id)
        if kept_key == saved.public_key.strip() and urls == saved.callback_urls:
            self._store.discard_draft(session.user.id, application_id)
            return False
        self._store.save_draft(
            Draft(
                user_id=session.user.id,
                application_id=application_id,
                public_key=kept_key,
                callback_urls=urls,
                base_version=base_version,
                updated_at=self._clock.now(),
            )
        )
        log.info("Kept a draft of user %s for application %s", session.user.id, application_id)
        return True

    def load_draft(self, session: SignedInSession, application_id: int) -> Draft | None:
        """Return the caller's own draft; it is offered only after verification."""
        self._authorise(session, application_id, "draft-open")
        return self._store.load_draft(session.user.id, application_id)

    def discard_draft(self, session: SignedInSession, application_id: int) -> None:
        self._authorise_role(session, application_id, "draft-discard", audit=True)
        self._store.discard_draft(session.user.id, application_id)

    def _key_and_application(
        self, session: SignedInSession, api_key_id: int, action: str
    ) -> tuple[ApiKeyInfo, ApplicationSummary]:
        found = self._store.get_api_key(api_key_id)
        if found is None:
            raise NotFound(NOT_AVAILABLE)
        application_id, key = found
        application = self._authorise(session, application_id, action)
        return key, application

    def _record(
        self,
        session: SignedInSession,
        action: str,
        application: ApplicationSummary,
        suffix: str = "",
        detail: str = "",
    ) -> AuditRecord:
        return AuditRecord(
            session.user.id,
            session.audit_actor(),
            action,
            _target(application, suffix),
            "success",
            detail=detail,
        )

    def save(
        self,
        session: SignedInSession,
        application_id: int,
        expected_version: int,
        public_key: str,
        callback_urls: list[str],
    ) -> SaveResult:
        """Validate and save the public key and callback URLs if no other desk saved first.

        Raises InvalidInput naming every problem (nothing is saved), or
        ConflictError when the version moved on at another desk.
        """
        application = self._authorise(session, application_id, "security-details-save")
        urls = [url.strip() for url in callback_urls if url.strip()]
        problems = [check.error for check in map(check_callback_url, urls) if check.error]
        if problems:
            raise InvalidInput("Nothing was saved. " + " ".join(problems))
        stored_key, warnings = self._normalise_public_key(public_key)
        warnings += [check.warning for check in map(check_callback_url, urls) if check.warning]
        self._store.save_security_details(
            SecurityDetailsChange(application_id, expected_version, stored_key, tuple(urls)),
            AuditRecord(
                session.user.id,
                session.audit_actor(),
                "security-details-save",
                _target(application),
                "success",
                detail=f"{len(urls)} callback URL(s); public key: {_describe_key(stored_key)}",
            ),
        )
        self._store.discard_draft(session.user.id, application_id)
        log.info(
            "User %s saved security details of application %s", session.user.id, application_id
        )
        return SaveResult(self._store.load_security_details(application_id), tuple(warnings))

    def _normalise_public_key(self, text: str) -> tuple[str, list[str]]:
        """Return what to store for the typed public key, with warnings for the user."""
        value = text.strip()
        if not value:
            return "", []
        if "://" in value and not value.lstrip().startswith("{"):
            url = check_jwks_url(value)
            try:
                self._fetch_jwks(url)
            except JwksUnreachable as error:
                log.warning("JWKS URL could not be fetched: %s", error)
                return url, [f"{error} The URL was saved without this check."]
            return url, []
        return parse_public_key_input(value).jwks_json(), []

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


def _describe_key(stored: str) -> str:
    if not stored:
        return "none"
    if stored.startswith("https://"):
        return f"JWKS URL {stored}"
    return "JWKS document"


def _target(application: ApplicationSummary, suffix: str = "") -> str:
    base = f"application:{application.id} ({application.team_name}/{application.name}"
    base += f"@{application.environment.value})"
    return f"{base} {suffix}".strip()

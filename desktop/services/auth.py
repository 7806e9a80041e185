"""Signing in."""

import logging

from desktop.domain.errors import AuthenticationFailed, InvalidInput
from desktop.domain.text import fold
from desktop.security.clock import Clock
from desktop.security.passwords import verify_password
from desktop.security.unlock import UnlockWindow
from desktop.services.ports import AuditRecord, Store
from desktop.services.session import SignedInSession

log = logging.getLogger(__name__)


class AuthService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def sign_in(self, username: str, password: str) -> SignedInSession:
        """Check the password; unknown, inactive and wrong all fail alike.

        Each failure runs the same Argon2 verification, so neither the message
        nor the time taken tells which case it was.
        """
        if not username.strip():
            raise InvalidInput("Enter your username.")
        if not password:
            raise InvalidInput("Enter your password.")
        credentials = self._store.find_credentials(fold(username.strip()))
        password_ok = verify_password(
            None if credentials is None else credentials.password_hash, password
        )
        user = None if credentials is None else self._store.get_user(credentials.user_id)
        if credentials is None or user is None or not credentials.active or not password_ok:
            self._store.add_audit(
                AuditRecord(None, username.strip()[:100], "sign-in", "StepDesk", "failed")
            )
            log.info("Sign-in failed")
            # NOTE: growing per-username delays between failed attempts are not built yet.
            raise AuthenticationFailed()
        policy = self._store.load_policy()
        window = UnlockWindow(self._clock, policy.unlock_window, policy.idle_limit)
        self._store.add_audit(AuditRecord(user.id, user.username, "sign-in", "StepDesk", "success"))
        log.info("User %s signed in", user.id)
        return SignedInSession(user=user, unlock=window)

    def sign_out(self, session: SignedInSession) -> None:
        session.lock()
        self._store.add_audit(
            AuditRecord(session.user.id, session.user.username, "sign-out", "StepDesk", "success")
        )
        log.info("User %s signed out", session.user.id)

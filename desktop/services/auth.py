"""Signing in."""

import logging
from datetime import datetime, timedelta

from desktop.domain.errors import AuthenticationFailed, InvalidInput
from desktop.domain.text import fold
from desktop.security.clock import Clock
from desktop.security.passwords import verify_password
from desktop.security.unlock import UnlockWindow
from desktop.services.ports import AuditRecord, Store
from desktop.services.session import SignedInSession

log = logging.getLogger(__name__)

# Failed sign-ins for one typed username make the next try wait 1, 2, 4…
# seconds, at most this long. No username is ever locked, so typing another
# person's name cannot lock them out.
MAX_SIGN_IN_DELAY = timedelta(seconds=30)
# Authenticator changes are reported at sign-in when they are this recent
# and no sign-in has happened since.
NOTICE_PERIOD = timedelta(days=90)

NOTICE_ACTIONS = {
    "mfa-enrolled": "A new authenticator was added to your account on {when}.",
    "mfa-recovery-code": "A recovery code was used on your account on {when}.",
    "mfa-reset": "Your authenticator was reset by support on {when}.",
}


def sign_in_delay(failures: int) -> timedelta:
    if failures < 3:
        return timedelta(0)
    return min(MAX_SIGN_IN_DELAY, timedelta(seconds=2 ** (failures - 3)))


class SignInDelayed(AuthenticationFailed):
    """Too many recent failures for this username; the message gives the wait in seconds."""

    def __init__(self, seconds: int) -> None:
        Exception.__init__(
            self,
            f"Too many failed sign-ins for this username. Wait {seconds} "
            f"second{'' if seconds == 1 else 's'}, then try again.",
        )


class AuthService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def sign_in(self, username: str, password: str) -> SignedInSession:
        """Check the password; unknown, inactive and wrong all fail alike.

        Each failure runs the same Argon2 verification, so neither the message
        nor the time taken reveals which case it was. Delays are kept per typed
        username, known or not, for the same reason.
        """
        if not username.strip():
            raise InvalidInput("Enter your username.")
        if not password:
            raise InvalidInput("Enter your password.")
        username_key = fold(username.strip())
        now = self._clock.now()
        self._raise_if_delayed(username_key, now)
        credentials = self._store.find_credentials(username_key)
        password_ok = verify_password(
            None if credentials is None else credentials.password_hash, password
        )
        user = None if credentials is None else self._store.get_user(credentials.user_id)
        if credentials is None or user is None or not credentials.active or not password_ok:
            self._store.record_sign_in_failure(username_key, now)
            self._store.add_audit(
                AuditRecord(None, username.strip()[:100], "sign-in", "StepDesk", "failed")
            )
            log.info("Sign-in failed")
            raise AuthenticationFailed()
        self._store.clear_sign_in_failures(username_key)
        notices = self._notices(user.id, now)
        policy = self._store.load_policy()
        window = UnlockWindow(self._clock, policy.unlock_window, policy.idle_limit)
        self._store.add_audit(AuditRecord(user.id, user.username, "sign-in", "StepDesk", "success"))
        log.info("User %s signed in", user.id)
        return SignedInSession(user=user, unlock=window, notices=notices)

    def sign_out(self, session: SignedInSession) -> None:
        session.lock()
        self._store.add_audit(
            AuditRecord(session.user.id, session.user.username, "sign-out", "StepDesk", "success")
        )
        log.info("User %s signed out", session.user.id)

    def set_screen_capture(self, session: SignedInSession, allowed: bool) -> None:
        """Allow or block screen capture of secret windows for this session, audited."""
        session.allow_screen_capture = allowed
        self._store.add_audit(
            AuditRecord(
                session.user.id,
                session.user.username,
                "screen-capture",
                "StepDesk",
                "allowed" if allowed else "blocked",
            )
        )
        log.info("User %s %s screen capture", session.user.id, "allowed" if allowed else "blocked")

    def _raise_if_delayed(self, username_key: str, now: datetime) -> None:
        failures = self._store.sign_in_failures(username_key)
        if failures is None:
            return
        ready_at = failures.last_failed_at + sign_in_delay(failures.count)
        if ready_at > now:
            raise SignInDelayed(max(1, int((ready_at - now).total_seconds() + 0.999)))

    def _notices(self, user_id: int, now: datetime) -> list[str]:
        """Describe authenticator changes since the user's previous sign-in."""
        target = f"user:{user_id}"
        previous = self._store.audit_events(
            actions=("sign-in",), actor_id=user_id, limit=1, since=now - NOTICE_PERIOD
        )
        since = previous[0].occurred_at if previous else now - NOTICE_PERIOD
        events = self._store.audit_events(
            actions=tuple(NOTICE_ACTIONS), target=target, since=since, limit=10
        )
        return [
            NOTICE_ACTIONS[event.action].format(
                when=event.occurred_at.astimezone().strftime("%d %B %Y at %H:%M")
            )
            for event in reversed(events)
            if event.outcome == "success"
        ]

"""Step-up verification with an authenticator app: enrolment and codes."""

import logging
from dataclasses import dataclass
from datetime import datetime

from desktop.domain.errors import (
    CodeRejected,
    InvalidInput,
    PermissionDenied,
    VerificationLocked,
)
from desktop.security import totp
from desktop.security.clock import Clock
from desktop.services.ports import AuditRecord, EnrolmentState, Store
from desktop.services.session import SignedInSession

log = logging.getLogger(__name__)

# A wrong code that matches a step this far from now points at a clock
# that is off, rather than at a guess: 20 steps of 30 seconds, ten minutes.
DRIFT_STEPS = 20


@dataclass(frozen=True)
class EnrolmentOffer:
    """What the enrolment dialog shows: the QR payload and the key for typing."""

    uri: str
    setup_key: str


@dataclass(frozen=True)
class StepUpStatus:
    enrolled: bool
    locked_until: datetime | None


class StepUpService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def status(self, session: SignedInSession) -> StepUpStatus:
        state = self._store.enrolment_state(session.user.id)
        if state is None:
            return StepUpStatus(enrolled=False, locked_until=None)
        locked = state.locked_until
        if locked is not None and locked <= self._clock.now():
            locked = None
        return StepUpStatus(enrolled=state.confirmed_at is not None, locked_until=locked)

    def enrolment_offer(self, session: SignedInSession) -> EnrolmentOffer:
        """Return the pending enrolment's QR payload, creating the secret the first time.

        A confirmed enrolment is never shown again: replacing it is a reset.
        """
        user = session.user
        state = self._store.enrolment_state(user.id)
        if state is not None and state.confirmed_at is not None:
            raise PermissionDenied("You already have an authenticator; enter its code instead.")
        if state is None:
            self._store.start_enrolment(user.id, totp.new_secret(), self._clock.now())
            self._audit(session, "mfa-enrolment-started", "success")
            log.info("Started an authenticator enrolment for user %s", user.id)
        secret = self._store.totp_secret(user.id)
        issuer = self._store.load_policy().issuer
        account = user.email or user.username
        return EnrolmentOffer(
            uri=totp.provisioning_uri(secret, issuer, account),
            setup_key=totp.format_setup_key(secret),
        )

    def verify(self, session: SignedInSession, typed_code: str) -> None:
        """Check a code and open the session's unlock window; raise CodeRejected if not."""
        try:
            code = totp.normalise_code(typed_code)
        except ValueError as error:
            raise InvalidInput(str(error)) from error
        user_id = session.user.id
        state = self._store.enrolment_state(user_id)
        if state is None:
            raise CodeRejected("Set up your authenticator app first.")
        now = self._clock.now()
        self._raise_if_locked(state, now)
        secret = self._store.totp_secret(user_id)
        step = totp.time_step(now)
        burned = self._store.burned_steps(user_id)
        recent = totp.matching_steps(secret, code, range(step - 1, step + 1))
        for matched in sorted(recent, reverse=True):
            if matched in burned:
                continue
            if state.last_step is not None and matched <= state.last_step:
                continue
            accepted = self._store.accept_step(
                user_id,
                matched,
                now,
                self._record(session, "mfa-verify", "success"),
                confirm=state.confirmed_at is None,
            )
            if accepted:
                session.accepted_steps.add(matched)
                session.unlock.open()
                if state.confirmed_at is None:
                    self._audit(session, "mfa-enrolled", "success")
                log.info("User %s verified with the authenticator", user_id)
                return
        if recent:
            self._reject_replay(session, recent, now)
        far = [
            matched
            for matched in totp.matching_steps(
                secret, code, range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1)
            )
            if matched not in (step - 1, step)
        ]
        if far:
            for matched in far:
                self._store.burn_step(user_id, matched)
            minutes = round((far[0] - step) * totp.PERIOD_SECONDS / 60)
            direction = "ahead of" if minutes > 0 else "behind"
            self._fail(
                session,
                now,
                "mfa-verify",
                "clock-drift",
                f"That code belongs to a time about {abs(minutes) or 1} minute(s) "
                f"{direction} this computer's clock, so the clock of your phone or of "
                "this computer looks wrong. Set both to set the time automatically, "
                "then enter the newest code.",
            )
        self._fail(
            session,
            now,
            "mfa-verify",
            "wrong-code",
            "That code is not correct. Check that you read the code for the right "
            "account in your authenticator app, then enter the newest one.",
        )

    def _reject_replay(self, session: SignedInSession, steps: list[int], now: datetime) -> None:
        if session.accepted_steps.intersection(steps):
            message = "This code was just used — wait for the next one."
            outcome = "replay-own"
        else:
            message = (
                "This code was already used, perhaps by someone else. Wait for the next "
                "code; if you did not use this one, tell your administrator."
            )
            outcome = "replay-unknown"
            log.warning("User %s entered a code that had already been used", session.user.id)
        self._fail(session, now, "mfa-verify", outcome, message)

    def _fail(
        self, session: SignedInSession, now: datetime, action: str, outcome: str, message: str
    ) -> None:
        policy = self._store.load_policy()
        count = self._store.record_failure(
            session.user.id,
            now,
            policy.failure_limit,
            now + policy.lockout,
            self._record(session, action, outcome),
        )
        if count >= policy.failure_limit:
            raise VerificationLocked(
                f"{message} Too many codes were rejected, so verification is paused "
                f"for {int(policy.lockout.total_seconds() // 60)} minutes."
            )
        raise CodeRejected(message)

    def _raise_if_locked(self, state: EnrolmentState, now: datetime) -> None:
        if state.locked_until is not None and now < state.locked_until:
            wait = state.locked_until - now
            minutes = max(1, round(wait.total_seconds() / 60))
            raise VerificationLocked(
                f"Too many codes were rejected. Try again in about {minutes} minute(s)."
            )

    def _record(self, session: SignedInSession, action: str, outcome: str) -> AuditRecord:
        return AuditRecord(
            session.user.id, session.audit_actor(), action, f"user:{session.user.id}", outcome
        )

    def _audit(self, session: SignedInSession, action: str, outcome: str) -> None:
        self._store.add_audit(self._record(session, action, outcome))

"""Step-up verification with an authenticator app: enrolment, codes and recovery."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from desktop.domain.errors import (
    CodeRejected,
    InvalidInput,
    PermissionDenied,
    VerificationLocked,
)
from desktop.security import recovery, totp
from desktop.security.clock import Clock
from desktop.services.ports import AuditRecord, EnrolmentState, Store
from desktop.services.session import SignedInSession

log = logging.getLogger(__name__)

# A wrong code that matches a step this far from now points at a clock
# that is off, rather than at a guess: 20 steps of 30 seconds, ten minutes.
DRIFT_STEPS = 20
# Consecutive failures wait 2, 4, 8… seconds before the next try, at most this long.
MAX_FAILURE_DELAY = timedelta(seconds=30)

TWO_CODES_REASON = (
    "Enter the next code as well when your app shows it. Two codes in a row show "
    "that the app and this computer agree on the time and on the code settings."
)


class VerifyOutcome(Enum):
    UNLOCKED = "unlocked"
    NEXT_CODE_NEEDED = "next-code-needed"
    """A new enrolment took its first code and waits for the code of the next time step."""


@dataclass(frozen=True)
class VerifyResult:
    outcome: VerifyOutcome
    recovery_codes: tuple[str, ...] = field(default=())
    """Set once, when an enrolment was just activated: show these to the user now."""
    restarted: bool = False
    """A new enrolment's code was not from the step after the first one, so it became the first."""


@dataclass(frozen=True)
class EnrolmentOffer:
    """The enrolment dialog's content: the QR payload and the key for typing."""

    uri: str
    setup_key: str
    account: str
    issuer: str


@dataclass(frozen=True)
class StepUpStatus:
    enrolled: bool
    locked_until: datetime | None
    waiting_for_next_code: bool = False
    retry_after: datetime | None = None
    """Set while a failure delay runs: no code is checked before then."""


def failure_delay(failures: int) -> timedelta:
    """Return the wait after `failures` consecutive failures: none after the first."""
    if failures < 2:
        return timedelta(0)
    return min(MAX_FAILURE_DELAY, timedelta(seconds=2 ** (failures - 1)))


class StepUpService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def status(self, session: SignedInSession) -> StepUpStatus:
        state = self._store.enrolment_state(session.user.id)
        if state is None:
            return StepUpStatus(enrolled=False, locked_until=None)
        now = self._clock.now()
        locked = state.locked_until
        if locked is not None and locked <= now:
            locked = None
        return StepUpStatus(
            enrolled=state.confirmed_at is not None,
            locked_until=locked,
            waiting_for_next_code=state.confirmed_at is None and state.last_step is not None,
            retry_after=self._retry_after(state, now),
        )

    def enrolment_offer(self, session: SignedInSession) -> EnrolmentOffer:
        """Return the pending enrolment's QR payload, creating the secret the first time.

        A confirmed enrolment is never shown again: replacing it takes a
        recovery code or a reset by support.
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
            account=account,
            issuer=issuer,
        )

    def verify(self, session: SignedInSession, typed_code: str) -> VerifyResult:
        """Check a code; open the unlock window, or wait for an enrolment's second code.

        Raises CodeRejected (or VerificationLocked) with a message for the user.
        """
        try:
            code = totp.normalise_code(typed_code)
        except ValueError as error:
            raise InvalidInput(str(error)) from error
        user_id = session.user.id
        state = self._store.enrolment_state(user_id)
        if state is None:
            raise CodeRejected("Set up your authenticator app first.")
        now = self._clock.now()
        self._raise_if_waiting(state, now)
        secret = self._store.totp_secret(user_id)
        step = totp.time_step(now)
        burned = self._store.burned_steps(user_id)
        recent = totp.matching_steps(secret, code, range(step - 1, step + 1))
        for matched in sorted(recent, reverse=True):
            if matched in burned:
                continue
            if state.last_step is not None and matched <= state.last_step:
                continue
            result = self._accept(session, state, matched, now)
            if result is not None:
                return result
        if recent and all(matched in burned for matched in recent):
            self._fail(
                session,
                now,
                "clock-drift",
                "This code was rejected earlier because a clock looked wrong. Wait for "
                "the next code, and check that your phone sets its time automatically.",
            )
        if recent:
            self._reject_replay(session, recent, now)
        self._reject_wrong_code(session, secret, code, step, now)
        raise AssertionError("unreachable")  # pragma: no cover

    def _accept(
        self, session: SignedInSession, state: EnrolmentState, step: int, now: datetime
    ) -> VerifyResult | None:
        user_id = session.user.id
        pending = state.confirmed_at is None
        # A new enrolment needs codes from two adjacent steps; the first only
        # records its step, the second confirms the enrolment and unlocks.
        completes = not pending or (state.last_step is not None and step == state.last_step + 1)
        action = "mfa-verify" if not pending else "mfa-enrolment-code"
        accepted = self._store.accept_step(
            user_id, step, now, self._record(session, action, "success"), confirm=completes
        )
        if not accepted:
            return None
        session.accepted_steps.add(step)

        if not completes:
            log.info("User %s entered the first enrolment code", user_id)
            return VerifyResult(
                VerifyOutcome.NEXT_CODE_NEEDED, restarted=state.last_step is not None
            )

        # The limits come from the policy as it is now, so a change made at
        # another desk applies from the next unlock.
        policy = self._store.load_policy()
        session.unlock.absolute = policy.unlock_window
        session.unlock.idle = policy.idle_limit
        session.unlock.open()

        codes: tuple[str, ...] = ()
        if pending:
            codes = tuple(recovery.new_codes())
            self._store.store_recovery_codes(user_id, [recovery.hash_code(c) for c in codes])
            self._audit(session, "mfa-enrolled", "success")
            log.info("User %s activated an authenticator", user_id)
        log.info("User %s verified with the authenticator", user_id)
        return VerifyResult(VerifyOutcome.UNLOCKED, codes)

    def use_recovery_code(self, session: SignedInSession, typed_code: str) -> EnrolmentOffer:
        """Spend a recovery code to replace a lost authenticator; unlocks nothing by itself.

        The old secret is revoked at once, and the returned offer starts a new
        enrolment, which issues new recovery codes when it is activated.
        """
        try:
            code = recovery.normalise(typed_code)
        except ValueError as error:
            raise InvalidInput(str(error)) from error
        user_id = session.user.id
        state = self._store.enrolment_state(user_id)
        if state is None or state.confirmed_at is None:
            raise CodeRejected("You have no authenticator to replace: set one up instead.")
        now = self._clock.now()
        self._raise_if_waiting(state, now)
        for code_id, code_hash in self._store.unused_recovery_codes(user_id):
            if recovery.matches(code_hash, code):
                replaced = self._store.use_recovery_code(
                    code_id,
                    user_id,
                    totp.new_secret(),
                    now,
                    self._record(session, "mfa-recovery-code", "success"),
                )
                if replaced:
                    session.lock()
                    session.accepted_steps.clear()
                    log.info("User %s replaced the authenticator with a recovery code", user_id)
                    return self.enrolment_offer(session)
        self._fail(
            session,
            now,
            "wrong-recovery-code",
            "That recovery code is not valid or was already used. Check it and try again.",
            action="mfa-recovery-code",
        )
        raise AssertionError("unreachable")  # pragma: no cover

    def _reject_wrong_code(
        self, session: SignedInSession, secret: str, code: str, step: int, now: datetime
    ) -> None:
        far = [
            matched
            for matched in totp.matching_steps(
                secret, code, range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1)
            )
            if matched not in (step - 1, step)
        ]
        if far:
            for matched in far:
                self._store.burn_step(session.user.id, matched)
            minutes = round((far[0] - step) * totp.PERIOD_SECONDS / 60)
            direction = "ahead of" if far[0] > step else "behind"
            self._fail(
                session,
                now,
                "clock-drift",
                f"That code belongs to a time about {abs(minutes) or 1} minute(s) "
                f"{direction} this computer's clock, so the clock of your phone or of "
                "this computer looks wrong. Set both to set the time automatically, "
                "then enter the newest code.",
            )
        self._fail(
            session,
            now,
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
        self._fail(session, now, outcome, message)

    def _fail(
        self,
        session: SignedInSession,
        now: datetime,
        outcome: str,
        message: str,
        action: str = "mfa-verify",
    ) -> None:
        log.info("User %s: code rejected (%s)", session.user.id, outcome)
        policy = self._store.load_policy()
        count = self._store.record_failure(
            session.user.id,
            now,
            policy.failure_limit,
            now + policy.lockout,
            self._record(session, action, outcome),
        )
        if count >= policy.failure_limit:
            self._audit(session, "mfa-lockout", "locked")
            log.warning(
                "Verification for user %s is locked after %d failures", session.user.id, count
            )
            raise VerificationLocked(
                f"{message} Too many codes were rejected, so verification is paused "
                f"for {_minutes(policy.lockout)}."
            )
        delay = failure_delay(count)
        if delay:
            message += f" Wait {int(delay.total_seconds())} seconds before the next try."
        raise CodeRejected(message)

    def _raise_if_waiting(self, state: EnrolmentState, now: datetime) -> None:
        if state.locked_until is not None and now < state.locked_until:
            raise VerificationLocked(
                "Too many codes were rejected, so verification is paused. Try again in "
                f"{_minutes(state.locked_until - now)}."
            )
        retry_after = self._retry_after(state, now)
        if retry_after is not None:
            seconds = max(1, int((retry_after - now).total_seconds() + 0.999))
            raise CodeRejected(
                f"Wait {seconds} second{'' if seconds == 1 else 's'} before entering another code."
            )

    @staticmethod
    def _retry_after(state: EnrolmentState, now: datetime) -> datetime | None:
        if state.last_failure_at is None:
            return None
        until = state.last_failure_at + failure_delay(state.failure_count)
        return until if until > now else None

    def _record(self, session: SignedInSession, action: str, outcome: str) -> AuditRecord:
        return AuditRecord(
            session.user.id, session.audit_actor(), action, f"user:{session.user.id}", outcome
        )

    def _audit(self, session: SignedInSession, action: str, outcome: str) -> None:
        self._store.add_audit(self._record(session, action, outcome))


def _minutes(period: timedelta) -> str:
    minutes = max(1, round(period.total_seconds() / 60))
    return f"{minutes} minute" + ("" if minutes == 1 else "s")

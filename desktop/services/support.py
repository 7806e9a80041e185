"""Support desk work on other users' authenticators, and the step-up policy."""

import logging
from dataclasses import fields
from pathlib import Path

from desktop.domain.errors import InvalidInput, NotFound, PermissionDenied, StepUpRequired
from desktop.domain.policy import Policy
from desktop.domain.roles import GlobalRole
from desktop.services.ports import AuditRecord, Store, StoredAuditEvent, UserMfaStatus
from desktop.services.session import SignedInSession

log = logging.getLogger(__name__)

RECENT_ENROLMENT_ACTIONS = ("mfa-enrolled", "mfa-recovery-code", "mfa-reset")


def _require_role(store: Store, session: SignedInSession, role: GlobalRole) -> None:
    # Read from the database at each call, so a role removed elsewhere applies at once.
    user = store.get_user(session.user.id)
    if user is None or not user.active:
        session.lock()
        raise PermissionDenied("Your account is no longer active. Sign in again.")
    if user.global_role is not role:
        raise PermissionDenied(f"Only {role.value} users may do this.")


def _require_step_up(store: Store, session: SignedInSession, action: str, target: str) -> None:
    if not session.unlock.is_open():
        store.add_audit(
            AuditRecord(session.user.id, session.audit_actor(), action, target, "step-up-required")
        )
        raise StepUpRequired()


class SupportService:
    def __init__(self, store: Store) -> None:
        self._store = store

    def find_users(
        self, session: SignedInSession, text: str, limit: int = 200
    ) -> list[UserMfaStatus]:
        _require_role(self._store, session, GlobalRole.SUPPORT)
        return self._store.list_user_mfa(text, limit)

    def recent_enrolments(
        self, session: SignedInSession, limit: int = 50
    ) -> list[StoredAuditEvent]:
        _require_role(self._store, session, GlobalRole.SUPPORT)
        # Refused attempts (such as a reset stopped at step-up) are in the audit log,
        # but listing them here would read like changes that happened.
        return self._store.audit_events(
            actions=RECENT_ENROLMENT_ACTIONS, outcome="success", limit=limit
        )

    def reset_enrolment(self, session: SignedInSession, user_id: int, reason: str) -> None:
        """Remove another user's authenticator so they enrol again; needs step-up and a reason."""
        _require_role(self._store, session, GlobalRole.SUPPORT)
        target = f"user:{user_id}"
        if user_id == session.user.id:
            raise PermissionDenied(
                "You cannot reset your own authenticator here. Use a recovery code, or ask "
                "another support colleague."
            )
        if not reason.strip():
            raise InvalidInput("Enter the reason for the reset; it is kept in the audit log.")
        status = self._store.user_mfa(user_id)
        if status is None:
            raise NotFound(f"User {user_id} does not exist.")
        _require_step_up(self._store, session, "mfa-reset", target)
        self._store.reset_enrolment(
            user_id,
            AuditRecord(
                session.user.id,
                session.audit_actor(),
                "mfa-reset",
                target,
                "success",
                detail=f"reason: {reason.strip()[:500]}",
            ),
        )
        log.info("Support user %s reset the authenticator of user %s", session.user.id, user_id)


class PolicyService:
    def __init__(self, store: Store) -> None:
        self._store = store

    def save_key_backup(self, session: SignedInSession, path: Path) -> None:
        """Write the data key created at this start to `path`: administrators, after step-up.

        The data key opens every secret in the database, so its copy takes the
        same checks and leaves the same audit trail as any other secret.
        """
        _require_role(self._store, session, GlobalRole.ADMINISTRATOR)
        _require_step_up(self._store, session, "key-backup", "data key")
        self._store.save_key_backup(path)
        self._store.add_audit(
            AuditRecord(session.user.id, session.audit_actor(), "key-backup", "data key", "success")
        )
        log.info("Administrator %s saved a backup of the data key", session.user.id)

    def current(self) -> Policy:
        return self._store.load_policy()

    def update(self, session: SignedInSession, policy: Policy) -> Policy:
        """Save a new policy: administrators only, after step-up, audited with each change."""
        _require_role(self._store, session, GlobalRole.ADMINISTRATOR)
        _require_step_up(self._store, session, "policy-change", "policy")
        old = self._store.load_policy()
        changes = [
            f"{item.name}: {getattr(old, item.name)} -> {getattr(policy, item.name)}"
            for item in fields(Policy)
            if getattr(old, item.name) != getattr(policy, item.name)
        ]
        if not changes:
            return old
        self._store.save_policy(
            policy,
            AuditRecord(
                session.user.id,
                session.audit_actor(),
                "policy-change",
                "policy",
                "success",
                detail="; ".join(changes),
            ),
        )
        log.info(
            "Administrator %s changed the policy: %s",
            session.user.id,
            ", ".join(
                item.name
                for item in fields(Policy)
                if getattr(old, item.name) != getattr(policy, item.name)
            ),
        )
        return self._store.load_policy()

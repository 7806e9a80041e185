"""The SQL implementation of the services' Store protocol."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    Engine,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from desktop.domain.entities import (
    ApiKeyInfo,
    ApplicationSummary,
    Environment,
    SecurityDetails,
    Team,
    User,
)
from desktop.domain.errors import ConflictError, InvalidInput, NotFound, StorageError
from desktop.domain.policy import Policy, StepUpMode, StepUpScope
from desktop.domain.roles import GlobalRole, TeamRole
from desktop.domain.text import fold
from desktop.security.clock import Clock
from desktop.security.encryption import SecretBox, write_key_file
from desktop.security.key_store import DataKeySource
from desktop.services.ports import (
    ApplicationQuery,
    ApplicationSort,
    AuditRecord,
    Credentials,
    Draft,
    EnrolmentState,
    KeyRotation,
    SecurityDetailsChange,
    SignInFailures,
    StoredAuditEvent,
    UserMfaStatus,
)
from desktop.storage import engine as engine_setup
from desktop.storage.engine import DatabaseTarget
from desktop.storage.models import (
    ApiKeyRow,
    ApplicationRow,
    AuditRow,
    BurnedStepRow,
    CallbackUrlRow,
    DraftRow,
    EnrolmentRow,
    MembershipRow,
    PolicyRow,
    RecoveryCodeRow,
    SignInFailureRow,
    TeamRow,
    UserRow,
    UtcDateTime,
)

log = logging.getLogger(__name__)

_LIKE_ESCAPE = "\\"


def api_secret_context(client_id: str) -> str:
    return f"api-secret:{client_id}"


def totp_secret_context(user_id: int) -> str:
    return f"totp-secret:{user_id}"


def like_pattern(text: str) -> str:
    """Build a LIKE pattern matching `text` anywhere, with % and _ taken literally."""
    escaped = (
        text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


class SqlStore:
    def __init__(
        self, engine: Engine, target: DatabaseTarget, box: SecretBox, clock: Clock
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._box = box
        self.new_key_location: str | None = None
        """Where a key created by this start was stored; the UI offers a backup."""
        self._new_key: bytes | None = None
        self.target = target

    @classmethod
    def open(cls, target: DatabaseTarget, key_source: DataKeySource, *, clock: Clock) -> "SqlStore":
        """Open (creating if needed) and migrate the database, then check the data key."""
        engine = engine_setup.create_database_engine(target)
        try:
            engine_setup.migrate(engine, target)
            with Session(engine) as session, session.begin():
                if engine_setup.read_meta(session, engine_setup.META_CREATED_AT) is None:
                    engine_setup.write_meta(
                        session, engine_setup.META_CREATED_AT, clock.now().isoformat().encode()
                    )
                if session.get(PolicyRow, 1) is None:
                    session.add(_policy_row(Policy()))
                box = engine_setup.unlock_data_key(session, key_source)
        except DBAPIError as error:
            engine.dispose()
            raise StorageError(engine_setup.describe_database_error(target, error)) from error
        except BaseException:
            engine.dispose()
            raise
        log.debug("Opened database %s", target.display)
        store = cls(engine, target, box, clock)
        if key_source.created_at is not None:
            store.new_key_location = key_source.created_at.description
            store._new_key = key_source.new_key
        return store

    def save_key_backup(self, path: Path) -> None:
        """Write the key this start created to a new owner-only file at `path`."""
        if self._new_key is None:
            raise InvalidInput("No new data key was created in this session.")
        try:
            write_key_file(path, self._new_key)
        except FileExistsError as error:
            raise InvalidInput(f"{path} already exists: choose a new file name.") from error
        except OSError as error:
            raise InvalidInput(f"Could not write {path}: {error.strerror}.") from error

    def close(self) -> None:
        self._engine.dispose()

    @property
    def description(self) -> str:
        return self.target.display

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with self._sessions() as session, session.begin():
                yield session
        except DBAPIError as error:
            log.warning("Database error on %s: %s", self.target.display, type(error).__name__)
            raise StorageError(engine_setup.describe_database_error(self.target, error)) from error

    # Database facts

    def is_demo(self) -> bool:
        with self._transaction() as session:
            return engine_setup.read_meta(session, engine_setup.META_DEMO) == b"1"

    def mark_demo(self) -> None:
        with self._transaction() as session:
            engine_setup.write_meta(session, engine_setup.META_DEMO, b"1")

    def is_empty(self) -> bool:
        with self._transaction() as session:
            return session.scalar(select(UserRow.id).limit(1)) is None

    def load_policy(self) -> Policy:
        with self._transaction() as session:
            row = session.get(PolicyRow, 1)
            created = engine_setup.read_meta(session, engine_setup.META_CREATED_AT)
        if row is None:
            return Policy()
        enforced = row.enforced_from
        if enforced is None and created is not None:
            enforced = datetime.fromisoformat(created.decode())
        return Policy(
            scope=StepUpScope(row.scope),
            unlock_window=timedelta(seconds=row.window_seconds),
            idle_limit=timedelta(seconds=row.idle_seconds),
            failure_limit=row.failure_limit,
            lockout=timedelta(seconds=row.lockout_seconds),
            enforced_from=enforced,
            mode=StepUpMode(row.mode),
            issuer=row.issuer,
        )

    # Users and membership

    def find_credentials(self, username_key: str) -> Credentials | None:
        with self._transaction() as session:
            row = session.scalar(select(UserRow).where(UserRow.username_key == username_key))
            if row is None:
                return None
            return Credentials(row.id, row.password_hash, row.active)

    def get_user(self, user_id: int) -> User | None:
        with self._transaction() as session:
            row = session.get(UserRow, user_id)
            return None if row is None else _user(row)

    def team_role(self, user_id: int, team_id: int) -> TeamRole | None:
        with self._transaction() as session:
            role = session.scalar(
                select(MembershipRow.role).where(
                    MembershipRow.user_id == user_id, MembershipRow.team_id == team_id
                )
            )
        return None if role is None else TeamRole(role)

    # Creating records (the demo seed and administration)

    def create_user(
        self,
        username: str,
        password_hash: str,
        *,
        display_name: str,
        email: str | None,
        now: datetime,
        global_role: GlobalRole | None = None,
        active: bool = True,
    ) -> int:
        with self._transaction() as session:
            row = UserRow(
                username=username,
                username_key=fold(username),
                display_name=display_name,
                display_name_key=fold(display_name),
                email=email,
                email_key=fold(email or ""),
                password_hash=password_hash,
                active=active,
                global_role=None if global_role is None else global_role.value,
                created_at=now,
            )
            session.add(row)
            session.flush()
            return row.id

    def create_team(self, name: str, description: str = "") -> int:
        with self._transaction() as session:
            row = TeamRow(name=name, name_key=fold(name), description=description)
            session.add(row)
            session.flush()
            return row.id

    def add_member(self, user_id: int, team_id: int, role: TeamRole) -> None:
        with self._transaction() as session:
            session.add(MembershipRow(user_id=user_id, team_id=team_id, role=role.value))

    def create_applications(
        self, team_id: int, specs: list[tuple[str, Environment]], status: str = "active"
    ) -> list[int]:
        with self._transaction() as session:
            rows = [
                ApplicationRow(
                    team_id=team_id,
                    name=name,
                    name_key=fold(name),
                    environment=environment.value,
                    status=status,
                    public_key="",
                    version=1,
                )
                for name, environment in specs
            ]
            session.add_all(rows)
            session.flush()
            return [row.id for row in rows]

    def set_callback_urls(self, application_id: int, urls: list[str]) -> None:
        with self._transaction() as session:
            session.execute(
                delete(CallbackUrlRow).where(CallbackUrlRow.application_id == application_id)
            )
            for position, url in enumerate(urls):
                session.add(
                    CallbackUrlRow(application_id=application_id, position=position, url=url)
                )

    # Browsing

    def list_teams(self, user_id: int, see_all: bool) -> list[Team]:
        membership = (
            select(MembershipRow.team_id, MembershipRow.role)
            .where(MembershipRow.user_id == user_id)
            .subquery()
        )
        statement = (
            select(TeamRow, membership.c.role)
            .outerjoin(membership, membership.c.team_id == TeamRow.id)
            .order_by(TeamRow.name_key, TeamRow.id)
        )
        if not see_all:
            statement = statement.where(membership.c.role.is_not(None))
        with self._transaction() as session:
            return [
                Team(row.id, row.name, row.description, None if role is None else TeamRole(role))
                for row, role in session.execute(statement)
            ]

    def list_applications(self, query: ApplicationQuery) -> list[ApplicationSummary]:
        sort_column = _sort_column(query.sort)
        statement = self._application_select(query).add_columns(sort_column)
        if query.after is not None:
            value, last_id = query.after
            if query.descending:
                statement = statement.where(
                    or_(
                        sort_column < value, and_(sort_column == value, ApplicationRow.id < last_id)
                    )
                )
            else:
                statement = statement.where(
                    or_(
                        sort_column > value, and_(sort_column == value, ApplicationRow.id > last_id)
                    )
                )
        if query.descending:
            statement = statement.order_by(sort_column.desc(), ApplicationRow.id.desc())
        else:
            statement = statement.order_by(sort_column, ApplicationRow.id)
        statement = statement.limit(query.limit)
        with self._transaction() as session:
            return [
                _application(app, team_name) for app, team_name, _ in session.execute(statement)
            ]

    def count_applications(self, query: ApplicationQuery) -> int:
        statement = select(func.count()).select_from(self._application_select(query).subquery())
        with self._transaction() as session:
            return session.scalar(statement) or 0

    @staticmethod
    def _application_select(query: ApplicationQuery):  # type: ignore[no-untyped-def]
        statement = select(ApplicationRow, TeamRow.name).join(
            TeamRow, TeamRow.id == ApplicationRow.team_id
        )
        if not query.see_all_teams:
            statement = statement.where(
                ApplicationRow.team_id.in_(
                    select(MembershipRow.team_id).where(MembershipRow.user_id == query.user_id)
                )
            )
        if query.team_id is not None:
            statement = statement.where(ApplicationRow.team_id == query.team_id)
        if query.filter_text:
            pattern = like_pattern(fold(query.filter_text))
            statement = statement.where(
                or_(
                    ApplicationRow.name_key.like(pattern, escape=_LIKE_ESCAPE),
                    TeamRow.name_key.like(pattern, escape=_LIKE_ESCAPE),
                )
            )
        return statement

    def get_application(self, application_id: int) -> ApplicationSummary | None:
        statement = (
            select(ApplicationRow, TeamRow.name)
            .join(TeamRow, TeamRow.id == ApplicationRow.team_id)
            .where(ApplicationRow.id == application_id)
        )
        with self._transaction() as session:
            found = session.execute(statement).first()
        return None if found is None else _application(found[0], found[1])

    def find_applications(
        self, team_name_key: str, name_key: str, environment: Environment | None
    ) -> list[ApplicationSummary]:
        statement = (
            select(ApplicationRow, TeamRow.name)
            .join(TeamRow, TeamRow.id == ApplicationRow.team_id)
            .where(TeamRow.name_key == team_name_key, ApplicationRow.name_key == name_key)
            .order_by(ApplicationRow.environment, ApplicationRow.id)
        )
        if environment is not None:
            statement = statement.where(ApplicationRow.environment == environment.value)
        with self._transaction() as session:
            return [_application(app, team) for app, team in session.execute(statement)]

    # Security details

    def load_security_details(self, application_id: int) -> SecurityDetails:
        with self._transaction() as session:
            found = session.execute(
                select(ApplicationRow, TeamRow.name)
                .join(TeamRow, TeamRow.id == ApplicationRow.team_id)
                .where(ApplicationRow.id == application_id)
            ).first()
            if found is None:
                raise NotFound(f"Application {application_id} does not exist.")
            app, team_name = found
            keys = session.scalars(
                select(ApiKeyRow)
                .where(ApiKeyRow.application_id == application_id)
                .order_by(ApiKeyRow.created_at, ApiKeyRow.id)
            ).all()
            urls = session.scalars(
                select(CallbackUrlRow.url)
                .where(CallbackUrlRow.application_id == application_id)
                .order_by(CallbackUrlRow.position)
            ).all()
            return SecurityDetails(
                application=_application(app, team_name),
                api_keys=tuple(_api_key(key) for key in keys),
                public_key=app.public_key,
                callback_urls=tuple(urls),
                version=app.version,
            )

    def get_api_key(self, api_key_id: int) -> tuple[int, ApiKeyInfo] | None:
        with self._transaction() as session:
            row = session.get(ApiKeyRow, api_key_id)
            return None if row is None else (row.application_id, _api_key(row))

    def reveal_api_secret(self, api_key_id: int, audit: AuditRecord) -> str:
        with self._transaction() as session:
            row = session.get(ApiKeyRow, api_key_id)
            if row is None:
                raise NotFound(f"API key {api_key_id} does not exist.")
            client_id, ciphertext = row.client_id, row.secret_ciphertext
            _add_audit(session, audit, self._clock.now())
        return self._box.decrypt(ciphertext, api_secret_context(client_id))

    def add_api_key(
        self,
        application_id: int,
        client_id: str,
        secret: str,
        now: datetime,
        audit: AuditRecord | None = None,
    ) -> int:
        with self._transaction() as session:
            row = ApiKeyRow(
                application_id=application_id,
                client_id=client_id,
                secret_ciphertext=self._box.encrypt(secret, api_secret_context(client_id)),
                created_at=now,
                version=1,
            )
            session.add(row)
            session.flush()
            if audit is not None:
                _add_audit(session, audit, self._clock.now())
            return row.id

    def rotate_api_key(self, rotation: KeyRotation, audit: AuditRecord) -> int:
        with self._transaction() as session:
            old = session.get(ApiKeyRow, rotation.api_key_id)
            if old is None:
                raise NotFound(f"API key {rotation.api_key_id} does not exist.")
            application_id = old.application_id
            self._end_key(
                session,
                rotation.api_key_id,
                rotation.expected_version,
                rotation.now,
                rotation.old_valid_until,
            )
            row = ApiKeyRow(
                application_id=application_id,
                client_id=rotation.new_client_id,
                secret_ciphertext=self._box.encrypt(
                    rotation.new_secret, api_secret_context(rotation.new_client_id)
                ),
                created_at=rotation.now,
                version=1,
            )
            session.add(row)
            session.flush()
            _add_audit(session, audit, self._clock.now())
            return row.id

    def revoke_api_key(
        self, api_key_id: int, expected_version: int, now: datetime, audit: AuditRecord
    ) -> None:
        with self._transaction() as session:
            self._end_key(session, api_key_id, expected_version, now, None)
            _add_audit(session, audit, self._clock.now())

    @staticmethod
    def _end_key(
        session: Session,
        api_key_id: int,
        expected_version: int,
        now: datetime,
        valid_until: datetime | None,
    ) -> None:
        """Revoke a key now, or let it expire at `valid_until`; check its version first."""
        values: dict[str, object] = {"version": expected_version + 1, "rotated_at": now}
        if valid_until is None:
            values["revoked_at"] = now
        else:
            values["valid_until"] = valid_until
        result = session.execute(
            update(ApiKeyRow)
            .where(
                ApiKeyRow.id == api_key_id,
                ApiKeyRow.version == expected_version,
                ApiKeyRow.revoked_at.is_(None),
            )
            .values(values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(
                "This API key was changed at another desk, or is already revoked. "
                "Reload the keys and try again."
            )

    # Drafts

    def save_draft(self, draft: Draft) -> None:
        with self._transaction() as session:
            session.merge(
                DraftRow(
                    user_id=draft.user_id,
                    application_id=draft.application_id,
                    public_key=draft.public_key,
                    callback_urls=json.dumps(list(draft.callback_urls)),
                    base_version=draft.base_version,
                    updated_at=draft.updated_at,
                )
            )

    def load_draft(self, user_id: int, application_id: int) -> Draft | None:
        with self._transaction() as session:
            row = session.get(DraftRow, (user_id, application_id))
            if row is None:
                return None
            return Draft(
                user_id=row.user_id,
                application_id=row.application_id,
                public_key=row.public_key,
                callback_urls=tuple(json.loads(row.callback_urls)),
                base_version=row.base_version,
                updated_at=row.updated_at,
            )

    def discard_draft(self, user_id: int, application_id: int) -> None:
        with self._transaction() as session:
            session.execute(
                delete(DraftRow).where(
                    DraftRow.user_id == user_id, DraftRow.application_id == application_id
                )
            )

    def save_security_details(self, change: SecurityDetailsChange, audit: AuditRecord) -> int:
        new_version = change.expected_version + 1
        with self._transaction() as session:
            result = session.execute(
                update(ApplicationRow)
                .where(
                    ApplicationRow.id == change.application_id,
                    ApplicationRow.version == change.expected_version,
                )
                .values(public_key=change.public_key, version=new_version)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(
                    "Someone else saved this application's security details first. "
                    "Reload them, then make your change again."
                )
            session.execute(
                delete(CallbackUrlRow).where(CallbackUrlRow.application_id == change.application_id)
            )
            for position, url in enumerate(change.callback_urls):
                session.add(
                    CallbackUrlRow(application_id=change.application_id, position=position, url=url)
                )
            _add_audit(session, audit, self._clock.now())
        return new_version

    # MFA enrolment

    def enrolment_state(self, user_id: int) -> EnrolmentState | None:
        with self._transaction() as session:
            row = session.get(EnrolmentRow, user_id)
            if row is None:
                return None
            return EnrolmentState(
                confirmed_at=row.confirmed_at,
                last_step=row.last_step,
                last_verified_at=row.last_verified_at,
                failure_count=row.failure_count,
                locked_until=row.locked_until,
                last_failure_at=row.last_failure_at,
                created_at=row.created_at,
            )

    def totp_secret(self, user_id: int) -> str:
        with self._transaction() as session:
            ciphertext = session.scalar(
                select(EnrolmentRow.secret_ciphertext).where(EnrolmentRow.user_id == user_id)
            )
        if ciphertext is None:
            raise NotFound(f"User {user_id} has no authenticator enrolment.")
        return self._box.decrypt(ciphertext, totp_secret_context(user_id))

    def start_enrolment(self, user_id: int, secret: str, now: datetime) -> None:
        ciphertext = self._box.encrypt(secret, totp_secret_context(user_id))
        with self._transaction() as session:
            session.execute(delete(BurnedStepRow).where(BurnedStepRow.user_id == user_id))
            session.execute(delete(EnrolmentRow).where(EnrolmentRow.user_id == user_id))
            session.add(
                EnrolmentRow(
                    user_id=user_id,
                    secret_ciphertext=ciphertext,
                    created_at=now,
                    failure_count=0,
                )
            )

    def accept_step(
        self, user_id: int, step: int, now: datetime, audit: AuditRecord, confirm: bool
    ) -> bool:
        # The row count of this one conditional update decides: two desks or a
        # double click racing with the same code cannot both be accepted.
        values: dict[str, object] = {
            "last_step": step,
            "last_verified_at": now,
            "failure_count": 0,
            "locked_until": None,
        }
        if confirm:
            values["confirmed_at"] = func.coalesce(EnrolmentRow.confirmed_at, now)
        not_burned = (
            ~select(BurnedStepRow.step)
            .where(BurnedStepRow.user_id == user_id, BurnedStepRow.step == step)
            .exists()
        )
        with self._transaction() as session:
            result = session.execute(
                update(EnrolmentRow)
                .where(
                    EnrolmentRow.user_id == user_id,
                    or_(EnrolmentRow.last_step.is_(None), EnrolmentRow.last_step < step),
                    not_burned,
                )
                .values(values)
            )
            accepted = bool(result.rowcount == 1)  # type: ignore[attr-defined]
            if accepted:
                _add_audit(session, audit, self._clock.now())
        return accepted

    def record_failure(
        self, user_id: int, now: datetime, limit: int, lockout_until: datetime, audit: AuditRecord
    ) -> int:
        # Counted in SQL so that two desks cannot lose a failure between them. At
        # the limit, verification locks and the count starts again from zero.
        reaches_limit = EnrolmentRow.failure_count + 1 >= limit
        with self._transaction() as session:
            session.execute(
                update(EnrolmentRow)
                .where(EnrolmentRow.user_id == user_id)
                .values(
                    failure_count=case((reaches_limit, 0), else_=EnrolmentRow.failure_count + 1),
                    locked_until=case(
                        (reaches_limit, literal(lockout_until, UtcDateTime)),
                        else_=EnrolmentRow.locked_until,
                    ),
                    last_failure_at=now,
                )
            )
            _add_audit(session, audit, self._clock.now())
            row = session.execute(
                select(EnrolmentRow.failure_count, EnrolmentRow.locked_until).where(
                    EnrolmentRow.user_id == user_id
                )
            ).first()
        if row is None:
            return 0
        count, locked_until = row
        return limit if locked_until == lockout_until else int(count)

    def burn_step(self, user_id: int, step: int) -> None:
        with self._transaction() as session:
            exists = session.get(BurnedStepRow, (user_id, step))
            if exists is None:
                session.add(BurnedStepRow(user_id=user_id, step=step))

    def burned_steps(self, user_id: int) -> set[int]:
        with self._transaction() as session:
            return set(
                session.scalars(select(BurnedStepRow.step).where(BurnedStepRow.user_id == user_id))
            )

    # Recovery codes and resets

    def store_recovery_codes(self, user_id: int, code_hashes: list[str]) -> None:
        with self._transaction() as session:
            session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))
            session.add_all(RecoveryCodeRow(user_id=user_id, code_hash=h) for h in code_hashes)

    def unused_recovery_codes(self, user_id: int) -> list[tuple[int, str]]:
        with self._transaction() as session:
            rows = session.execute(
                select(RecoveryCodeRow.id, RecoveryCodeRow.code_hash).where(
                    RecoveryCodeRow.user_id == user_id, RecoveryCodeRow.used_at.is_(None)
                )
            )
            return [(row_id, code_hash) for row_id, code_hash in rows]

    def use_recovery_code(
        self, code_id: int, user_id: int, new_secret: str, now: datetime, audit: AuditRecord
    ) -> bool:
        ciphertext = self._box.encrypt(new_secret, totp_secret_context(user_id))
        with self._transaction() as session:
            used = session.execute(
                update(RecoveryCodeRow)
                .where(
                    RecoveryCodeRow.id == code_id,
                    RecoveryCodeRow.user_id == user_id,
                    RecoveryCodeRow.used_at.is_(None),
                )
                .values(used_at=now)
            )
            if used.rowcount != 1:  # type: ignore[attr-defined]
                return False
            # The old secret is revoked in the same transaction; the remaining
            # codes stay valid until the new enrolment issues fresh ones.
            session.execute(delete(BurnedStepRow).where(BurnedStepRow.user_id == user_id))
            session.execute(delete(EnrolmentRow).where(EnrolmentRow.user_id == user_id))
            session.add(
                EnrolmentRow(
                    user_id=user_id, secret_ciphertext=ciphertext, created_at=now, failure_count=0
                )
            )
            _add_audit(session, audit, self._clock.now())
        return True

    def reset_enrolment(self, user_id: int, audit: AuditRecord) -> None:
        with self._transaction() as session:
            for model in (BurnedStepRow, RecoveryCodeRow, EnrolmentRow):
                session.execute(delete(model).where(model.user_id == user_id))
            _add_audit(session, audit, self._clock.now())

    # Sign-in failures

    def sign_in_failures(self, username_key: str) -> SignInFailures | None:
        with self._transaction() as session:
            row = session.get(SignInFailureRow, username_key)
            return None if row is None else SignInFailures(row.failure_count, row.last_failed_at)

    def record_sign_in_failure(self, username_key: str, now: datetime) -> None:
        with self._transaction() as session:
            updated = session.execute(
                update(SignInFailureRow)
                .where(SignInFailureRow.username_key == username_key)
                .values(failure_count=SignInFailureRow.failure_count + 1, last_failed_at=now)
            )
            if updated.rowcount == 0:  # type: ignore[attr-defined]
                session.add(
                    SignInFailureRow(username_key=username_key, failure_count=1, last_failed_at=now)
                )

    def clear_sign_in_failures(self, username_key: str) -> None:
        with self._transaction() as session:
            session.execute(
                delete(SignInFailureRow).where(SignInFailureRow.username_key == username_key)
            )

    # Support

    def list_user_mfa(self, filter_text: str, limit: int) -> list[UserMfaStatus]:
        statement = select(UserRow).order_by(UserRow.username_key, UserRow.id).limit(limit)
        if filter_text.strip():
            pattern = like_pattern(fold(filter_text.strip()))
            statement = statement.where(
                or_(
                    UserRow.username_key.like(pattern, escape=_LIKE_ESCAPE),
                    UserRow.display_name_key.like(pattern, escape=_LIKE_ESCAPE),
                    UserRow.email_key.like(pattern, escape=_LIKE_ESCAPE),
                )
            )
        with self._transaction() as session:
            users = list(session.scalars(statement))
            return [self._user_mfa(session, row) for row in users]

    def user_mfa(self, user_id: int) -> UserMfaStatus | None:
        with self._transaction() as session:
            row = session.get(UserRow, user_id)
            return None if row is None else self._user_mfa(session, row)

    @staticmethod
    def _user_mfa(session: Session, row: UserRow) -> UserMfaStatus:
        enrolment = session.get(EnrolmentRow, row.id)
        codes_left = (
            session.scalar(
                select(func.count())
                .select_from(RecoveryCodeRow)
                .where(RecoveryCodeRow.user_id == row.id, RecoveryCodeRow.used_at.is_(None))
            )
            or 0
        )
        return UserMfaStatus(
            user=_user(row),
            enrolled_at=None if enrolment is None else enrolment.confirmed_at,
            pending_since=(
                enrolment.created_at
                if enrolment is not None and enrolment.confirmed_at is None
                else None
            ),
            last_verified_at=None if enrolment is None else enrolment.last_verified_at,
            locked_until=None if enrolment is None else enrolment.locked_until,
            recovery_codes_left=codes_left,
        )

    # Policy and applications

    def save_policy(self, policy: Policy, audit: AuditRecord) -> None:
        with self._transaction() as session:
            session.merge(_policy_row(policy))
            _add_audit(session, audit, self._clock.now())

    def application_version(self, application_id: int) -> int | None:
        with self._transaction() as session:
            return session.scalar(
                select(ApplicationRow.version).where(ApplicationRow.id == application_id)
            )

    def change_environment(
        self,
        application_id: int,
        expected_version: int,
        environment: Environment,
        audit: AuditRecord,
    ) -> int:
        new_version = expected_version + 1
        try:
            with self._transaction() as session:
                result = session.execute(
                    update(ApplicationRow)
                    .where(
                        ApplicationRow.id == application_id,
                        ApplicationRow.version == expected_version,
                    )
                    .values(environment=environment.value, version=new_version)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    raise ConflictError(
                        "Someone else changed this application first. Reload it and try again."
                    )
                _add_audit(session, audit, self._clock.now())
        except StorageError as error:
            if isinstance(error.__cause__, IntegrityError):
                raise InvalidInput(
                    f"The team already has an application of this name in {environment.value}. "
                    "Rename one of them first."
                ) from error
            raise
        return new_version

    # Audit

    def add_audit(self, record: AuditRecord) -> None:
        with self._transaction() as session:
            _add_audit(session, record, self._clock.now())

    def audit_events(
        self,
        *,
        actions: tuple[str, ...] = (),
        actor_id: int | None = None,
        target: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[StoredAuditEvent]:
        statement = select(AuditRow).order_by(AuditRow.occurred_at.desc(), AuditRow.id.desc())
        if outcome is not None:
            statement = statement.where(AuditRow.outcome == outcome)
        if actions:
            statement = statement.where(AuditRow.action.in_(actions))
        if actor_id is not None:
            statement = statement.where(AuditRow.actor_id == actor_id)
        if target is not None:
            statement = statement.where(AuditRow.target == target)
        if since is not None:
            statement = statement.where(AuditRow.occurred_at > since)
        with self._transaction() as session:
            return [
                StoredAuditEvent(
                    row.occurred_at,
                    row.actor_id,
                    row.actor,
                    row.action,
                    row.target,
                    row.outcome,
                    row.detail,
                )
                for row in session.scalars(statement.limit(limit))
            ]

    def count_audit(self, action: str) -> int:
        with self._transaction() as session:
            return (
                session.scalar(
                    select(func.count()).select_from(AuditRow).where(AuditRow.action == action)
                )
                or 0
            )


def _add_audit(session: Session, record: AuditRecord, now: datetime) -> None:
    session.execute(
        insert(AuditRow).values(
            occurred_at=now,
            actor_id=record.actor_id,
            actor=record.actor,
            action=record.action,
            target=record.target,
            outcome=record.outcome,
            detail=record.detail,
        )
    )


def _sort_column(sort: ApplicationSort) -> InstrumentedAttribute[str]:
    columns: dict[ApplicationSort, InstrumentedAttribute[str]] = {
        ApplicationSort.NAME: ApplicationRow.name_key,
        ApplicationSort.TEAM: TeamRow.name_key,
        ApplicationSort.ENVIRONMENT: ApplicationRow.environment,
        ApplicationSort.STATUS: ApplicationRow.status,
    }
    return columns[sort]


def _policy_row(policy: Policy) -> PolicyRow:
    return PolicyRow(
        id=1,
        scope=policy.scope.value,
        window_seconds=int(policy.unlock_window.total_seconds()),
        idle_seconds=int(policy.idle_limit.total_seconds()),
        failure_limit=policy.failure_limit,
        lockout_seconds=int(policy.lockout.total_seconds()),
        enforced_from=policy.enforced_from,
        mode=policy.mode.value,
        issuer=policy.issuer,
    )


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        email=row.email,
        active=row.active,
        global_role=None if row.global_role is None else GlobalRole(row.global_role),
    )


def _application(row: ApplicationRow, team_name: str) -> ApplicationSummary:
    return ApplicationSummary(
        id=row.id,
        name=row.name,
        team_id=row.team_id,
        team_name=team_name,
        environment=Environment(row.environment),
        status=row.status,
    )


def _api_key(row: ApiKeyRow) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        client_id=row.client_id,
        created_at=row.created_at,
        rotated_at=row.rotated_at,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        version=row.version,
    )

"""Services against a real demo database: roles, step-up, codes, sign-in and lookup."""

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from desktop.domain.errors import (
    AuthenticationFailed,
    CodeRejected,
    ConflictError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StepUpRequired,
    VerificationLocked,
)
from desktop.domain.roles import TeamRole
from desktop.domain.text import fold
from desktop.security import totp
from desktop.security.unlock import UnlockWindow
from desktop.services.browse import parse_reference
from desktop.services.bundle import Services
from desktop.services.security_details import NOT_AVAILABLE
from desktop.services.session import SignedInSession
from desktop.storage.bootstrap import open_store
from desktop.storage.seed import DEMO_USERS
from desktop.storage.store import SqlStore
from tests.clocks import ManualClock

PASSWORDS = {user.username: user.password for user in DEMO_USERS}
PRODUCTION_APP = "Payments/Checkout@production"
DEVELOPMENT_APP = "Payments/Checkout@development"
MAX_DELAY_SECONDS = 31
MINUTE = 60

SessionFactory = Callable[[str], SignedInSession]


def open_session(store: SqlStore, clock: ManualClock, username: str) -> SignedInSession:
    """Build the session that sign-in returns, without its Argon2 check (about 0.2 s).

    The sign-in tests below go through AuthService itself.
    """
    credentials = store.find_credentials(username)
    assert credentials is not None
    user = store.get_user(credentials.user_id)
    assert user is not None
    policy = store.load_policy()
    return SignedInSession(user, UnlockWindow(clock, policy.unlock_window, policy.idle_limit))


def application_id(store: SqlStore, reference: str) -> int:
    team_name, application_name, environment = parse_reference(reference)
    [application] = store.find_applications(fold(team_name), fold(application_name), environment)
    return application.id


def first_api_key(store: SqlStore, application: int) -> int:
    return store.load_security_details(application).api_keys[0].id


def enrol(services: Services, session: SignedInSession, clock: ManualClock) -> str:
    """Enrol and activate an authenticator, lock again, and return its secret.

    Activation takes codes from two adjacent steps. The clock then moves on two
    more steps, so the current and previous codes are both unused.
    """
    offer = services.stepup.enrolment_offer(session)
    secret = parse_qs(urlsplit(offer.uri).query)["secret"][0]
    services.stepup.verify(session, code_now(secret, clock))
    clock.advance(totp.PERIOD_SECONDS)
    services.stepup.verify(session, code_now(secret, clock))
    clock.advance(2 * totp.PERIOD_SECONDS)
    session.lock()
    return secret


def code_now(secret: str, clock: ManualClock, steps_ahead: int = 0) -> str:
    return totp.code_at_step(secret, totp.time_step(clock.now()) + steps_ahead)


def wrong_code(secret: str, clock: ManualClock) -> str:
    """Return a code that matches no step within the drift range, so it is plainly wrong."""
    step = totp.time_step(clock.now())
    nearby = {totp.code_at_step(secret, near) for near in range(step - 25, step + 26)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in nearby)


def database_of(store: SqlStore) -> Path:
    path = store.target.path
    assert path is not None
    return path


def audit_outcomes(store: SqlStore, action: str) -> list[str]:
    with closing(sqlite3.connect(database_of(store))) as connection:
        rows = connection.execute(
            "SELECT outcome FROM audit_events WHERE action = ? ORDER BY id", (action,)
        )
        return [outcome for (outcome,) in rows]


def change_database(store: SqlStore, statement: str, *parameters: object) -> None:
    """Change the database through a connection of its own, as another desk would."""
    with closing(sqlite3.connect(database_of(store))) as connection, connection:
        connection.execute(statement, parameters)


@pytest.fixture
def session_of(demo_store: SqlStore, clock: ManualClock) -> SessionFactory:
    def open_for(username: str) -> SignedInSession:
        return open_session(demo_store, clock, username)

    return open_for


@pytest.fixture
def owner(session_of: SessionFactory) -> SignedInSession:
    return session_of("olivia")


@pytest.fixture
def verified_owner(
    services: Services, owner: SignedInSession, clock: ManualClock
) -> SignedInSession:
    secret = enrol(services, owner, clock)
    services.stepup.verify(owner, code_now(secret, clock))
    return owner


@pytest.fixture
def production_app(demo_store: SqlStore) -> int:
    return application_id(demo_store, PRODUCTION_APP)


@pytest.fixture
def development_app(demo_store: SqlStore) -> int:
    return application_id(demo_store, DEVELOPMENT_APP)


# Roles


@pytest.mark.parametrize("username", ["vera", "sam", "ada"])
@pytest.mark.parametrize("reference", [PRODUCTION_APP, DEVELOPMENT_APP])
def test_no_secrets_without_team_role(
    services: Services,
    demo_store: SqlStore,
    session_of: SessionFactory,
    username: str,
    reference: str,
) -> None:
    application = application_id(demo_store, reference)
    api_key = first_api_key(demo_store, application)
    session = session_of(username)
    session.unlock.open()

    with pytest.raises(PermissionDenied):
        services.security.load(session, application)
    with pytest.raises(PermissionDenied):
        services.security.reveal_secret(session, api_key, "show")
    with pytest.raises(PermissionDenied):
        services.security.reveal_secret(session, api_key, "copy")
    with pytest.raises(PermissionDenied):
        services.security.save(session, application, 1, "", ["https://example.com/cb"])


def test_refusal_audited(
    services: Services, demo_store: SqlStore, session_of: SessionFactory, production_app: int
) -> None:
    viewer = session_of("vera")
    viewer.unlock.open()

    with pytest.raises(PermissionDenied):
        services.security.load(viewer, production_app)

    assert audit_outcomes(demo_store, "security-details-open") == ["denied"]


@pytest.mark.parametrize(
    ("username", "allowed"),
    [("olivia", True), ("adam", True), ("vera", False), ("sam", False), ("ada", False)],
)
def test_may_open_by_role(
    services: Services,
    session_of: SessionFactory,
    production_app: int,
    username: str,
    allowed: bool,
) -> None:
    assert services.security.may_open(session_of(username), production_app) is allowed


def test_support_member_still_refused(
    services: Services, demo_store: SqlStore, session_of: SessionFactory, production_app: int
) -> None:
    support = session_of("sam")
    payments = demo_store.get_application(production_app)
    assert payments is not None
    demo_store.add_member(support.user.id, payments.team_id, TeamRole.OWNER)
    support.unlock.open()

    with pytest.raises(PermissionDenied, match="Support"):
        services.security.load(support, production_app)


# Step-up


def test_production_needs_step_up(
    services: Services, demo_store: SqlStore, owner: SignedInSession, production_app: int
) -> None:
    api_key = first_api_key(demo_store, production_app)

    assert services.security.needs_step_up(owner, production_app)
    with pytest.raises(StepUpRequired):
        services.security.load(owner, production_app)
    with pytest.raises(StepUpRequired):
        services.security.reveal_secret(owner, api_key, "show")
    with pytest.raises(StepUpRequired):
        services.security.save(owner, production_app, 1, "", [])


def test_step_up_refusal_audited(
    services: Services, demo_store: SqlStore, owner: SignedInSession, production_app: int
) -> None:
    with pytest.raises(StepUpRequired):
        services.security.load(owner, production_app)

    assert audit_outcomes(demo_store, "security-details-open") == ["step-up-required"]


def test_development_opens_without_step_up(
    services: Services, demo_store: SqlStore, owner: SignedInSession, development_app: int
) -> None:
    api_key = first_api_key(demo_store, development_app)

    details = services.security.load(owner, development_app)
    secret = services.security.reveal_secret(owner, api_key, "show")

    assert details.application.id == development_app
    assert len(secret) >= 43  # 256 bits in URL-safe base64


def test_verified_owner_loads_production(
    services: Services, demo_store: SqlStore, verified_owner: SignedInSession, production_app: int
) -> None:
    api_key = first_api_key(demo_store, production_app)

    details = services.security.load(verified_owner, production_app)
    secret = services.security.reveal_secret(verified_owner, api_key, "copy")

    assert details.api_keys[0].id == api_key
    assert len(secret) >= 43
    assert audit_outcomes(demo_store, "api-secret-copy") == ["success"]


def test_sign_in_verify_load(services: Services, clock: ManualClock, production_app: int) -> None:
    app_admin = services.auth.sign_in("adam", PASSWORDS["adam"])

    services.stepup.verify(app_admin, code_now(enrol(services, app_admin, clock), clock))

    assert services.security.load(app_admin, production_app).application.id == production_app


def test_step_up_ends_after_window(
    services: Services, clock: ManualClock, verified_owner: SignedInSession, production_app: int
) -> None:
    for _ in range(14):
        clock.advance(MINUTE)
        verified_owner.record_activity()
        services.security.load(verified_owner, production_app)

    clock.advance(MINUTE)
    verified_owner.record_activity()

    with pytest.raises(StepUpRequired):
        services.security.load(verified_owner, production_app)


def test_step_up_ends_when_idle(
    services: Services, clock: ManualClock, verified_owner: SignedInSession, production_app: int
) -> None:
    clock.advance(5 * MINUTE)

    with pytest.raises(StepUpRequired):
        services.security.load(verified_owner, production_app)


def test_sign_out_locks(services: Services, verified_owner: SignedInSession) -> None:
    services.auth.sign_out(verified_owner)

    assert not verified_owner.unlock.is_open()


# Codes


def test_code_with_spaces_accepted(
    services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    code = code_now(enrol(services, owner, clock), clock)

    services.stepup.verify(owner, f" {code[:3]} {code[3:]} ")

    assert owner.unlock.is_open()


def test_previous_step_accepted(
    services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret = enrol(services, owner, clock)

    services.stepup.verify(owner, code_now(secret, clock, steps_ahead=-1))

    assert owner.unlock.is_open()


def test_next_step_rejected(services: Services, owner: SignedInSession, clock: ManualClock) -> None:
    secret = enrol(services, owner, clock)

    with pytest.raises(CodeRejected):
        services.stepup.verify(owner, code_now(secret, clock, steps_ahead=1))

    assert not owner.unlock.is_open()


def test_code_two_steps_old_rejected(
    services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret = enrol(services, owner, clock)

    with pytest.raises(CodeRejected):
        services.stepup.verify(owner, code_now(secret, clock, steps_ahead=-2))

    assert not owner.unlock.is_open()


def test_malformed_code_invalid_input(
    services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    enrol(services, owner, clock)

    with pytest.raises(InvalidInput, match="12a456"):
        services.stepup.verify(owner, "12a456")


def test_replay_same_session(
    services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    code = code_now(enrol(services, owner, clock), clock)
    services.stepup.verify(owner, code)

    with pytest.raises(CodeRejected, match="just used"):
        services.stepup.verify(owner, code)


def test_replay_after_next_step(
    services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    code = code_now(enrol(services, owner, clock), clock)
    services.stepup.verify(owner, code)
    clock.advance(totp.PERIOD_SECONDS)

    with pytest.raises(CodeRejected, match="just used"):
        services.stepup.verify(owner, code)


def test_replay_other_session(
    services: Services,
    demo_store: SqlStore,
    session_of: SessionFactory,
    owner: SignedInSession,
    clock: ManualClock,
) -> None:
    code = code_now(enrol(services, owner, clock), clock)
    services.stepup.verify(owner, code)
    other_desk = session_of("olivia")

    with pytest.raises(CodeRejected, match="someone else") as raised:
        services.stepup.verify(other_desk, code)

    assert "just used" not in str(raised.value)
    assert not other_desk.unlock.is_open()
    assert audit_outcomes(demo_store, "mfa-verify") == ["success", "replay-unknown"]


def test_wrong_code_counted(
    services: Services, demo_store: SqlStore, owner: SignedInSession, clock: ManualClock
) -> None:
    secret = enrol(services, owner, clock)

    with pytest.raises(CodeRejected, match="not correct"):
        services.stepup.verify(owner, wrong_code(secret, clock))

    state = demo_store.enrolment_state(owner.user.id)
    assert state is not None
    assert state.failure_count == 1
    assert not owner.unlock.is_open()


def test_success_resets_failures(
    services: Services, demo_store: SqlStore, owner: SignedInSession, clock: ManualClock
) -> None:
    secret = enrol(services, owner, clock)
    with pytest.raises(CodeRejected):
        services.stepup.verify(owner, wrong_code(secret, clock))

    services.stepup.verify(owner, code_now(secret, clock))

    state = demo_store.enrolment_state(owner.user.id)
    assert state is not None
    assert state.failure_count == 0


def test_lockout_after_failure_limit(
    services: Services, demo_store: SqlStore, owner: SignedInSession, clock: ManualClock
) -> None:
    limit = demo_store.load_policy().failure_limit
    assert limit == 5
    secret = enrol(services, owner, clock)
    wrong = wrong_code(secret, clock)

    for _ in range(limit - 1):
        with pytest.raises(CodeRejected) as raised:
            services.stepup.verify(owner, wrong)
        assert type(raised.value) is CodeRejected
        clock.advance(MAX_DELAY_SECONDS)

    with pytest.raises(VerificationLocked, match="paused"):
        services.stepup.verify(owner, wrong)
    with pytest.raises(VerificationLocked, match="Try again"):
        services.stepup.verify(owner, code_now(secret, clock))
    assert not owner.unlock.is_open()


def test_lockout_holds_on_second_desk(
    services: Services, demo_store: SqlStore, owner: SignedInSession, clock: ManualClock
) -> None:
    secret = enrol(services, owner, clock)
    wrong = wrong_code(secret, clock)
    for _ in range(demo_store.load_policy().failure_limit):
        with pytest.raises(CodeRejected):
            services.stepup.verify(owner, wrong)
        clock.advance(MAX_DELAY_SECONDS)
    database = database_of(demo_store)

    second_store = open_store(
        str(database), demo=True, key_file=database.with_name("demo.key"), clock=clock
    )
    try:
        second_desk = Services.create(second_store, clock)
        session = open_session(second_store, clock, "olivia")

        with pytest.raises(VerificationLocked):
            second_desk.stepup.verify(session, code_now(secret, clock))

        clock.advance(15 * MINUTE)
        second_desk.stepup.verify(session, code_now(secret, clock))
        assert session.unlock.is_open()
    finally:
        second_store.close()


def test_failure_delay_grows(
    services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret = enrol(services, owner, clock)
    wrong = wrong_code(secret, clock)
    with pytest.raises(CodeRejected, match="That code is not correct") as first:
        services.stepup.verify(owner, wrong)
    assert "Wait" not in str(first.value)
    with pytest.raises(CodeRejected, match="Wait 2 seconds before the next try"):
        services.stepup.verify(owner, wrong)
    with pytest.raises(CodeRejected, match="Wait 2 seconds before entering another code"):
        services.stepup.verify(owner, code_now(secret, clock))
    clock.advance(2)
    with pytest.raises(CodeRejected, match="Wait 4 seconds before the next try"):
        services.stepup.verify(owner, wrong)
    clock.advance(4)
    services.stepup.verify(owner, code_now(secret, clock))
    assert owner.unlock.is_open()


def test_drift_ahead_names_minutes(
    services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret = enrol(services, owner, clock)
    five_minutes_ahead = code_now(secret, clock, steps_ahead=10)

    with pytest.raises(CodeRejected, match="5 minute") as raised:
        services.stepup.verify(owner, five_minutes_ahead)

    assert "ahead" in str(raised.value)


def test_drift_behind_names_minutes(
    services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret = enrol(services, owner, clock)
    seven_minutes_behind = code_now(secret, clock, steps_ahead=-14)

    with pytest.raises(CodeRejected, match="7 minute") as raised:
        services.stepup.verify(owner, seven_minutes_behind)

    assert "behind" in str(raised.value)


def test_drift_step_never_accepted(
    services: Services, demo_store: SqlStore, owner: SignedInSession, clock: ManualClock
) -> None:
    secret = enrol(services, owner, clock)
    five_minutes_ahead = code_now(secret, clock, steps_ahead=10)
    with pytest.raises(CodeRejected):
        services.stepup.verify(owner, five_minutes_ahead)

    clock.advance(5 * MINUTE)
    assert code_now(secret, clock) == five_minutes_ahead

    with pytest.raises(CodeRejected):
        services.stepup.verify(owner, five_minutes_ahead)
    assert not owner.unlock.is_open()
    state = demo_store.enrolment_state(owner.user.id)
    assert state is not None
    assert state.failure_count == 2


def test_enrolment_offer_stable(services: Services, owner: SignedInSession) -> None:
    first = services.stepup.enrolment_offer(owner)
    second = services.stepup.enrolment_offer(owner)

    assert first.uri == second.uri
    assert ":olivia%40example.co.uk?" in first.uri


def test_enrolment_offer_after_confirm(services: Services, verified_owner: SignedInSession) -> None:
    assert services.stepup.status(verified_owner).enrolled

    with pytest.raises(PermissionDenied):
        services.stepup.enrolment_offer(verified_owner)


# Sign-in


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("nobody", PASSWORDS["olivia"]),
        ("ivan", PASSWORDS["ivan"]),
        ("olivia", "wrong-password"),
    ],
)
def test_sign_in_failure_message(services: Services, username: str, password: str) -> None:
    with pytest.raises(AuthenticationFailed) as raised:
        services.auth.sign_in(username, password)

    assert str(raised.value) == str(AuthenticationFailed())


def test_sign_in_failure_audited(services: Services, demo_store: SqlStore) -> None:
    with pytest.raises(AuthenticationFailed):
        services.auth.sign_in("nobody", "wrong-password")

    assert audit_outcomes(demo_store, "sign-in") == ["failed"]


@pytest.mark.parametrize(("username", "password"), [("", "x"), ("   ", "x"), ("olivia", "")])
def test_sign_in_empty_invalid(services: Services, username: str, password: str) -> None:
    with pytest.raises(InvalidInput):
        services.auth.sign_in(username, password)


def test_sign_in_username_case_insensitive(services: Services) -> None:
    session = services.auth.sign_in("  OLIVIA ", PASSWORDS["olivia"])

    assert session.user.username == "olivia"
    assert not session.unlock.is_open()


# Changes made at another desk


def test_membership_removed_elsewhere(
    services: Services, demo_store: SqlStore, verified_owner: SignedInSession, production_app: int
) -> None:
    services.security.load(verified_owner, production_app)

    change_database(demo_store, "DELETE FROM memberships WHERE user_id = ?", verified_owner.user.id)

    with pytest.raises(PermissionDenied):
        services.security.load(verified_owner, production_app)


def test_role_lowered_elsewhere(
    services: Services, demo_store: SqlStore, verified_owner: SignedInSession, production_app: int
) -> None:
    change_database(
        demo_store,
        "UPDATE memberships SET role = 'viewer' WHERE user_id = ?",
        verified_owner.user.id,
    )

    with pytest.raises(PermissionDenied):
        services.security.load(verified_owner, production_app)


def test_user_deactivated_elsewhere(
    services: Services, demo_store: SqlStore, verified_owner: SignedInSession, production_app: int
) -> None:
    change_database(demo_store, "UPDATE users SET active = 0 WHERE id = ?", verified_owner.user.id)

    with pytest.raises(PermissionDenied, match="no longer active"):
        services.security.load(verified_owner, production_app)
    assert not verified_owner.unlock.is_open()


# Saving


def test_save_stores_trimmed_urls(
    services: Services, owner: SignedInSession, development_app: int
) -> None:
    version = services.security.load(owner, development_app).version
    typed = ["  https://a.example.com/cb ", "", "http://[::1]:8080/cb"]

    saved = services.security.save(owner, development_app, version, "", typed).details

    assert saved.callback_urls == ("https://a.example.com/cb", "http://[::1]:8080/cb")
    assert saved.version == version + 1


def test_save_bad_url_saves_nothing(
    services: Services, owner: SignedInSession, development_app: int
) -> None:
    before = services.security.load(owner, development_app)
    typed = ["https://a.example.com/cb", "http://example.com/cb"]

    with pytest.raises(InvalidInput, match="Nothing was saved") as raised:
        services.security.save(owner, development_app, before.version, "", typed)

    assert "http://example.com/cb" in str(raised.value)
    assert services.security.load(owner, development_app) == before


def test_save_stale_version_conflict(
    services: Services, owner: SignedInSession, development_app: int
) -> None:
    version = services.security.load(owner, development_app).version
    services.security.save(owner, development_app, version, "", ["https://a.example.com/cb"])

    with pytest.raises(ConflictError):
        services.security.save(owner, development_app, version, "", ["https://b.example.com/cb"])

    saved = services.security.load(owner, development_app)
    assert saved.callback_urls == ("https://a.example.com/cb",)


# Finding applications by reference

UNKNOWN_REFERENCES = ["Payments/No Such App", "No Such Team/Checkout"]
# Olivia is not a member of Open Banking Sandbox.
HIDDEN_REFERENCES = [
    "Open Banking Sandbox/Account Viewer",
    "Open Banking Sandbox/Account Viewer@production",
]


@pytest.mark.parametrize("reference", UNKNOWN_REFERENCES + HIDDEN_REFERENCES)
def test_resolve_not_available(services: Services, owner: SignedInSession, reference: str) -> None:
    with pytest.raises(NotFound) as raised:
        services.browse.resolve(owner, reference)

    assert str(raised.value) == f"'{reference}': {NOT_AVAILABLE}"


def test_resolve_hidden_same_as_unknown(services: Services, owner: SignedInSession) -> None:
    messages = []
    for reference in ("Open Banking Sandbox/Account Viewer", "Open Banking Sandbox/No Such App"):
        with pytest.raises(NotFound) as raised:
            services.browse.resolve(owner, reference)
        messages.append(str(raised.value).replace(reference, "TEAM/APPLICATION"))

    assert messages[0] == messages[1]


def test_resolve_visible_for_viewer(services: Services, session_of: SessionFactory) -> None:
    found = services.browse.resolve(session_of("vera"), "payments/CHECKOUT")

    assert len(found) == 3
    assert {application.team_name for application in found} == {"Payments"}


def test_resolve_environment(services: Services, owner: SignedInSession) -> None:
    [found] = services.browse.resolve(owner, "Payments/Checkout@PRODUCTION")

    assert found.environment.value == "production"


@pytest.mark.parametrize(
    "reference", ["Checkout", "/Checkout", "Payments/", "Payments/Checkout@prod"]
)
def test_resolve_malformed_reference(
    services: Services, owner: SignedInSession, reference: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.browse.resolve(owner, reference)

    assert reference in str(raised.value)


def test_sign_in_delay_grows_per_username(services: Services, clock: ManualClock) -> None:
    for username in ("nobody", "olivia"):
        for _ in range(3):
            with pytest.raises(AuthenticationFailed) as failed:
                services.auth.sign_in(username, "wrong-password")
            assert str(failed.value) == "The username or password is incorrect."
        with pytest.raises(AuthenticationFailed, match="Wait 1 second,"):
            services.auth.sign_in(username, "demo-owner-2026")
        clock.advance(1)
    session = services.auth.sign_in("olivia", "demo-owner-2026")
    assert session.user.username == "olivia"


def test_sign_in_delay_spares_other_users(services: Services) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            services.auth.sign_in("olivia", "wrong-password")
    assert services.auth.sign_in("adam", "demo-appadmin-2026").user.username == "adam"

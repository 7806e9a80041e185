"""No secret reaches the disk in a readable form: database, WAL, logs or other files.

A scan looks for each secret raw and in its common encodings, so a secret
stored unencrypted, logged, or bound into a logged SQL statement is found.
"""

import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from desktop import paths
from desktop.domain.entities import Environment
from desktop.domain.errors import StorageError
from desktop.domain.roles import TeamRole
from desktop.logging_setup import setup_logging
from desktop.security import totp
from desktop.security.passwords import hash_password
from desktop.services.bundle import Services
from desktop.services.ports import AuditRecord
from desktop.settings import DatabaseChoice, save_database_choice
from desktop.storage.bootstrap import open_store
from desktop.storage.engine import _backup_sqlite as backup_sqlite
from desktop.storage.seed import new_api_secret, new_client_id
from desktop.storage.store import SqlStore
from tests.clocks import ManualClock

PASSWORD = "correct horse battery staple 2026"
DESCRIPTION_MARKER = "team-description-marker-5f1c"


def encoded_forms(secret: bytes) -> dict[str, bytes]:
    """Return `secret` raw and in the encodings a careless write would use."""
    return {
        "raw": secret,
        "hex": secret.hex().encode(),
        "upper-case hex": secret.hex().upper().encode(),
        "base32": base64.b32encode(secret).rstrip(b"="),
        "lower-case base32": base64.b32encode(secret).rstrip(b"=").lower(),
        "base64": base64.b64encode(secret).rstrip(b"="),
        "URL-safe base64": base64.urlsafe_b64encode(secret).rstrip(b"="),
    }


def find_traces(folder: Path, secrets: dict[str, bytes], skipped: set[Path]) -> list[str]:
    """List every file under `folder` that contains a secret in any encoded form."""
    traces = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path in skipped:
            continue
        content = path.read_bytes()
        for label, secret in secrets.items():
            for form, encoded in encoded_forms(secret).items():
                if encoded in content:
                    traces.append(f"{label} as {form} in {path.relative_to(folder)}")
    return traces


def api_secret_bytes(secret: str) -> bytes:
    return base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))


def totp_secret_bytes(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


@pytest.fixture
def log_folder(user_folders: Path) -> Iterator[Path]:
    """Log everything to the product's log file, SQL statements included.

    With SQL logging on, a secret bound as a statement parameter would reach
    the log file if the engine did not hide parameters.
    """
    root = logging.getLogger()
    sql_logger = logging.getLogger("sqlalchemy.engine")
    handlers_before = list(root.handlers)
    levels_before = (root.level, sql_logger.level)
    log_file = setup_logging(paths.log_dir(), verbose=True)
    assert log_file is not None
    sql_logger.setLevel(logging.INFO)
    yield log_file.parent
    for handler in root.handlers[:]:
        if handler not in handlers_before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(levels_before[0])
    sql_logger.setLevel(levels_before[1])


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[SqlStore]:
    opened = open_store(
        str(tmp_path / "desk.sqlite3"), demo=False, key_file=tmp_path / "desk.key", clock=clock
    )
    yield opened
    opened.close()


def write_secrets(store: SqlStore, clock: ManualClock) -> dict[str, bytes]:
    """Store API secrets, a password and a TOTP enrolment through the product's own calls."""
    team_id = store.create_team("Payments", DESCRIPTION_MARKER)
    production, development = store.create_applications(
        team_id, [("Checkout", Environment.PRODUCTION), ("Checkout", Environment.DEVELOPMENT)]
    )
    api_secrets = [new_api_secret(), new_api_secret()]
    store.add_api_key(production, new_client_id(), api_secrets[0], clock.now())
    development_key = store.add_api_key(development, new_client_id(), api_secrets[1], clock.now())
    user_id = store.create_user(
        "olivia",
        hash_password(PASSWORD),
        display_name="Olivia Owner",
        email="olivia@example.co.uk",
        now=clock.now(),
    )
    store.add_member(user_id, team_id, TeamRole.OWNER)

    services = Services.create(store, clock)
    session = services.auth.sign_in("olivia", PASSWORD)
    offer = services.stepup.enrolment_offer(session)
    totp_secret = parse_qs(urlsplit(offer.uri).query)["secret"][0]
    services.stepup.verify(session, totp.code_at_step(totp_secret, totp.time_step(clock.now())))
    revealed = services.security.reveal_secret(session, development_key, "show")
    assert revealed == api_secrets[1]

    return {
        "API secret 1": api_secret_bytes(api_secrets[0]),
        "API secret 2": api_secret_bytes(api_secrets[1]),
        "API secret 1 text": api_secrets[0].encode(),
        "TOTP secret": totp_secret_bytes(totp_secret),
        "password": PASSWORD.encode(),
    }


def write_drafts_backups_and_settings(store: SqlStore, clock: ManualClock, database: Path) -> None:
    """Leave every other kind of file StepDesk writes: a draft, a backup, the settings."""
    services = Services.create(store, clock)
    session = services.auth.sign_in("olivia", PASSWORD)
    [development] = store.find_applications("payments", "checkout", Environment.DEVELOPMENT)
    services.security.save_draft(session, development.id, 1, "", ["https://draft.example.co.uk/cb"])
    assert store.load_draft(session.user.id, development.id) is not None
    backup_sqlite(database, "scan")
    save_database_choice(DatabaseChoice(str(database), demo=False))
    assert list(database.parent.glob("desk.before-scan.*"))


def force_database_errors(store: SqlStore, clock: ManualClock) -> tuple[str, list[StorageError]]:
    """Make two inserts fail on unique constraints and return the unsaved secret and the errors."""
    errors = []
    with pytest.raises(StorageError) as duplicate_team:
        store.create_team("PAYMENTS", DESCRIPTION_MARKER)
    errors.append(duplicate_team.value)

    unsaved_secret = new_api_secret()
    [application] = store.find_applications("payments", "checkout", Environment.PRODUCTION)
    taken_client_id = store.load_security_details(application.id).api_keys[0].client_id
    with pytest.raises(StorageError) as duplicate_key:
        store.add_api_key(application.id, taken_client_id, unsaved_secret, clock.now())
    errors.append(duplicate_key.value)
    return unsaved_secret, errors


def test_secrets_absent_from_files(
    tmp_path: Path, log_folder: Path, store: SqlStore, clock: ManualClock
) -> None:
    secrets = write_secrets(store, clock)
    unsaved_secret, _errors = force_database_errors(store, clock)
    secrets["unsaved API secret"] = api_secret_bytes(unsaved_secret)
    database = tmp_path / "desk.sqlite3"
    write_drafts_backups_and_settings(store, clock, database)
    skipped = {tmp_path / "desk.key"}

    assert database.with_name("desk.sqlite3-wal").stat().st_size > 0
    assert (log_folder / "stepdesk.log").stat().st_size > 0
    assert find_traces(tmp_path, secrets, skipped) == []

    store.close()
    assert find_traces(tmp_path, secrets, skipped) == []


def test_storage_error_hides_parameters(
    log_folder: Path, store: SqlStore, clock: ManualClock
) -> None:
    write_secrets(store, clock)

    unsaved_secret, errors = force_database_errors(store, clock)

    for error in errors:
        assert DESCRIPTION_MARKER not in str(error)
        assert unsaved_secret not in str(error)
        assert DESCRIPTION_MARKER not in str(error.__cause__)
        assert "parameters hidden" in str(error.__cause__)
        assert str(store.target.path) in str(error)


def test_sql_log_hides_parameters(log_folder: Path, store: SqlStore, clock: ManualClock) -> None:
    write_secrets(store, clock)

    log_text = (log_folder / "stepdesk.log").read_text(encoding="utf-8")

    assert "INSERT INTO teams" in log_text
    assert DESCRIPTION_MARKER not in log_text


@pytest.mark.parametrize("form", list(encoded_forms(b"x")))
def test_scan_finds_planted_audit_detail(
    tmp_path: Path, store: SqlStore, clock: ManualClock, form: str
) -> None:
    secret = new_api_secret().encode()
    planted = encoded_forms(secret)[form].decode("ascii")

    store.add_audit(AuditRecord(None, "test", "plant", "test", "success", detail=planted))

    traces = find_traces(tmp_path, {"planted": secret}, {tmp_path / "desk.key"})
    assert any(trace.startswith(f"planted as {form} in desk.sqlite3") for trace in traces)


def test_scan_finds_planted_log_line(tmp_path: Path, log_folder: Path) -> None:
    secret = new_api_secret().encode()

    logging.getLogger("tests.planted").warning("careless: %s", secret.hex())
    for handler in logging.getLogger().handlers:
        handler.flush()

    traces = find_traces(tmp_path, {"planted": secret}, set())
    assert any(trace.startswith("planted as hex in home/") for trace in traces), traces


def test_data_key_only_in_key_file(tmp_path: Path, store: SqlStore, clock: ManualClock) -> None:
    write_secrets(store, clock)
    key_file = tmp_path / "desk.key"
    key = base64.urlsafe_b64decode(key_file.read_bytes().strip())

    traces = find_traces(tmp_path, {"data key": key}, set())

    assert "data key as URL-safe base64 in desk.key" in traces
    assert [trace for trace in traces if not trace.endswith(" in desk.key")] == []

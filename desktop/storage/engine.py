"""Opening a database: target resolution, engine set-up, migrations, data key."""

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from desktop.domain.errors import EncryptionKeyError, StorageError
from desktop.security.encryption import SecretBox, generate_key
from desktop.security.key_store import DataKeySource
from desktop.storage.models import ApiKeyRow, EnrolmentRow, Meta

log = logging.getLogger(__name__)

KNOWN_BACKENDS = frozenset({"sqlite", "postgresql"})
MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 5000

META_DEMO = "demo"
META_CREATED_AT = "created_at"
META_KEY_ID = "key_id"
META_KEY_VERIFIER = "key_verifier"


@dataclass(frozen=True)
class DatabaseTarget:
    url: URL
    path: Path | None
    """The file of an SQLite database, None for a server."""

    @property
    def display(self) -> str:
        if self.path is not None:
            return str(self.path)
        return self.url.render_as_string(hide_password=True)


def resolve_target(value: str) -> DatabaseTarget:
    """Read `--database`: a URL when it contains '://' and names a known dialect, else a path.

    So `C:\\data\\desk.db` and `./desk.db` are paths, and
    `postgresql://desk@db.example/stepdesk` is a URL.
    """
    if "://" in value:
        try:
            url = make_url(value)
        except ArgumentError as error:
            raise StorageError(f"The database URL '{value}' is not valid: {error}.") from error
        if url.get_backend_name() not in KNOWN_BACKENDS:
            raise StorageError(
                f"The database URL '{url.render_as_string(hide_password=True)}' names "
                f"'{url.get_backend_name()}'; use sqlite:// or postgresql://."
            )
        if url.get_backend_name() == "sqlite":
            if not url.database:
                raise StorageError("An in-memory SQLite URL keeps nothing; give a file path.")
            return _file_target(Path(url.database))
        return DatabaseTarget(url, None)
    if not value.strip():
        raise StorageError("The database path is empty: give a file path or a URL.")
    return _file_target(Path(value).expanduser())


def _file_target(path: Path) -> DatabaseTarget:
    path = path.absolute()
    if path.is_dir():
        raise StorageError(f"The database path {path} is a folder: give the path of a file.")
    if not path.parent.is_dir():
        raise StorageError(f"The folder {path.parent} does not exist: create it or choose another.")
    return DatabaseTarget(URL.create("sqlite", database=str(path)), path)


def create_database_engine(target: DatabaseTarget) -> Engine:
    # hide_parameters keeps bound values, which may be secrets, out of error messages.
    options: dict[str, Any] = {"hide_parameters": True}
    if target.path is not None:
        options["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
    url = target.url
    if url.drivername == "postgresql":
        # SQLAlchemy's default PostgreSQL driver is psycopg2; StepDesk ships psycopg 3.
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, **options)
    if target.path is not None:
        event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def migrate(engine: Engine, target: DatabaseTarget) -> None:
    """Bring the schema to the newest revision, backing up an SQLite file first."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        if current == head:
            return
        if current is not None and target.path is not None:
            _backup_sqlite(target.path, current)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as error:
        raise StorageError(describe_database_error(target, error)) from error
    log.info("Database %s migrated from %s to %s", target.display, current, head)


def _backup_sqlite(path: Path, revision: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup_path = path.with_name(f"{path.stem}.before-{revision}.{stamp}{path.suffix}")
    source = sqlite3.connect(path)
    try:
        destination = sqlite3.connect(backup_path)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    log.info("Backed up %s to %s before migrating", path, backup_path)


def describe_database_error(target: DatabaseTarget, error: SQLAlchemyError) -> str:
    """Turn a driver error into a message naming the database and what to do."""
    text = str(getattr(error, "orig", error)).strip()
    lowered = text.lower()
    where = target.display
    if "file is not a database" in lowered or "malformed" in lowered:
        return (
            f"{where} is not a StepDesk database or is damaged ({text}). "
            "Choose another file, or restore it from a backup."
        )
    if "readonly" in lowered or "read-only" in lowered:
        return f"{where} is read-only ({text}). Make the file writable or open a copy."
    if "locked" in lowered or "busy" in lowered:
        return f"{where} is locked by another program ({text}). Wait a moment and try again."
    if "full" in lowered:
        return f"The disk holding {where} is full ({text}). Free some space and try again."
    if "unable to open" in lowered:
        return f"{where} cannot be opened ({text}). Check the path and its permissions."
    return f"The database {where} failed: {text}."


def read_meta(session: Session, key: str) -> bytes | None:
    return session.scalar(select(Meta.value).where(Meta.key == key))


def write_meta(session: Session, key: str, value: bytes) -> None:
    session.merge(Meta(key=key, value=value))


def unlock_data_key(session: Session, source: DataKeySource) -> SecretBox:
    """Load the data key and check it against the database's key id and verifier.

    A new key is created only when the database has no key id and contains no
    encrypted data. Otherwise a missing or different key is an error, so no
    secret is ever written under a second key.
    """
    stored_id = read_meta(session, META_KEY_ID)
    verifier = read_meta(session, META_KEY_VERIFIER)
    key = source.load()
    if key is None:
        if stored_id is not None or _holds_encrypted_data(session):
            raise EncryptionKeyError(
                f"The data key is missing from {source.describe()}, but this database was "
                "set up with a key. Restore the key from your backup, or pass --key-file."
            )
        key = generate_key()
        source.create(key)
    box = SecretBox(key)
    if stored_id is None:
        write_meta(session, META_KEY_ID, box.key_id.encode("ascii"))
        write_meta(session, META_KEY_VERIFIER, box.make_verifier())
        return box
    if stored_id.decode("ascii") != box.key_id or verifier is None or not box.matches(verifier):
        raise EncryptionKeyError(
            f"The data key in {source.describe()} does not belong to this database (key id "
            f"{box.key_id}, expected {stored_id.decode('ascii')}). Use the key that was "
            "created with it, or pass --key-file."
        )
    return box


def _holds_encrypted_data(session: Session) -> bool:
    for model in (ApiKeyRow, EnrolmentRow):
        if session.scalar(select(model).limit(1)) is not None:
            return True
    return False

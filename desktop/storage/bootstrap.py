"""Open the database the command line names, with the demo rules applied."""

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL

from desktop import paths
from desktop.domain.errors import StorageError
from desktop.security.clock import Clock
from desktop.security.key_store import DataKeySource, default_key_source, key_file_only
from desktop.storage.engine import DatabaseTarget, resolve_target
from desktop.storage.seed import seed_demo
from desktop.storage.store import SqlStore

log = logging.getLogger(__name__)


def open_store(
    database: str | None, *, demo: bool, key_file: Path | None, clock: Clock
) -> SqlStore:
    """Open `database` (or the default file); with `demo`, create and seed the demo one.

    `--demo` refuses a server URL and any existing database not marked as a
    demo, so the published demo passwords never reach a real database.
    """
    if database is None:
        default = paths.demo_database() if demo else paths.default_database()
        _create_data_folder(default.parent)
        database = str(default)
    target = resolve_target(database)
    if demo and target.path is None:
        raise StorageError(
            f"--demo works only with a local demo file, not with {target.display}. "
            "Leave out --demo to use a shared database."
        )
    # SQLite treats an empty file as a new database.
    is_new_file = target.path is not None and (
        not target.path.exists() or target.path.stat().st_size == 0
    )
    if demo and not is_new_file and target.path is not None and not _marked_demo(target.path):
        # Checked before the key, so the message names the real problem.
        raise StorageError(
            f"{target.display} is not a demo database, so --demo will not use it. "
            "Leave out --demo, or give --database a new file name."
        )
    store = SqlStore.open(target, _key_source(target, demo, key_file), clock=clock)
    try:
        if demo:
            # A database created without --demo is refused even while it has no
            # users, so its first users never share the published demo passwords.
            if not (is_new_file or store.is_demo()):
                raise StorageError(
                    f"{target.display} is not a demo database, so --demo will not use it. "
                    "Leave out --demo, or give --database a new file name."
                )
            if store.is_empty():
                seed_demo(store, clock.now())
    except BaseException:
        store.close()
        raise
    log.debug("Database ready: %s (demo: %s)", target.display, store.is_demo())
    return store


def _key_source(target: DatabaseTarget, demo: bool, key_file: Path | None) -> DataKeySource:
    if key_file is not None:
        return key_file_only(key_file)
    if target.path is None:
        raise StorageError(
            f"The shared database {target.display} needs --key-file: every desk must use "
            "the same key file, which your administrator provides."
        )
    if demo:
        # Demo databases are thrown away often; their key stays in a file.
        return key_file_only(paths.default_key_file(demo=True))
    return default_key_source(str(target.path), paths.default_key_file(demo=False))


def _marked_demo(path: Path) -> bool:
    """Read the demo mark without writing; a file that is not a database counts as unmarked."""
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
            row = connection.execute("SELECT value FROM meta WHERE key = 'demo'").fetchone()
    except sqlite3.Error:
        return False
    return row is not None and bytes(row[0]) == b"1"


def location_to_remember(target: DatabaseTarget) -> str:
    """Return the database's file path, or its server URL without the password.

    This is what the settings file may keep: a password stays in the
    PostgreSQL password file or the environment, never in the settings.
    """
    if target.path is not None:
        return str(target.path)
    url = target.url
    # URL.set() skips None values, so the URL is rebuilt without the password.
    without_password = URL.create(
        url.drivername, url.username, None, url.host, url.port, url.database, url.query
    )
    return without_password.render_as_string(hide_password=False)


def _create_data_folder(folder: Path) -> None:
    """Create the user's data folder, which does not exist before the first start."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(
            f"The data folder {folder} cannot be created ({error}). "
            "Give --database a file in a folder you can write to."
        ) from error

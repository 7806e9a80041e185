"""Open the database the command line names, with the demo rules applied."""

import logging
from pathlib import Path

from desktop import paths
from desktop.domain.errors import StorageError
from desktop.security.clock import Clock
from desktop.storage.engine import resolve_target
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
    store = SqlStore.open(target, key_file or paths.default_key_file(demo), clock=clock)
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


def _create_data_folder(folder: Path) -> None:
    """Create the user's data folder, which does not exist before the first start."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(
            f"The data folder {folder} cannot be created ({error}). "
            "Give --database a file in a folder you can write to."
        ) from error

"""Settings kept between runs, in a JSON file in the user's configuration folder.

The file contains no secret: a database URL is stored without its password.
"""

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop import paths

log = logging.getLogger(__name__)

SETTINGS_FILE_NAME = "settings.json"


@dataclass(frozen=True)
class DatabaseChoice:
    """The database to open, as the first-run dialog or the command line names it."""

    database: str | None
    """A file path or a URL; None means the default file (of the demo database with `demo`)."""
    demo: bool = False


def settings_file() -> Path:
    return paths.config_dir() / SETTINGS_FILE_NAME


def load_database_choice() -> DatabaseChoice | None:
    """Return the database chosen at an earlier start, or None if none is stored or readable."""
    stored = _read_settings().get("database")
    if stored is None:
        return None
    database = stored.get("location") if isinstance(stored, dict) else None
    demo = stored.get("demo") if isinstance(stored, dict) else None
    if not (database is None or isinstance(database, str)) or not isinstance(demo, bool):
        log.warning("Ignoring the database entry of %s: it has the wrong types", settings_file())
        return None
    return DatabaseChoice(database, demo)


def save_database_choice(choice: DatabaseChoice) -> None:
    """Remember `choice` for the next start, keeping other settings; failures are logged."""
    settings = _read_settings()
    settings["database"] = {"location": choice.database, "demo": choice.demo}
    path = settings_file()
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
        # The rename replaces the old file in one step, so a crash leaves
        # either the old settings or the new ones.
        os.replace(temporary, path)
    except OSError as error:
        log.warning("Cannot save the settings file %s: %s", path, error)
        return
    log.debug("Remembered the database choice in %s", path)


def load_key_file() -> Path | None:
    """Return the key file a shared deployment names in `"key_file"`, if any.

    Administrators set it once per desk so that every desk opens the shared
    database with the same key; --key-file overrides it.
    """
    value = _read_settings().get("key_file")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        log.warning("Ignoring key_file in %s: it must be a file path", settings_file())
        return None
    return Path(value).expanduser()


def _read_settings() -> dict[str, Any]:
    path = settings_file()
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("Ignoring the settings file %s: %s", path, error)
        return {}
    if not isinstance(settings, dict):
        log.warning("Ignoring the settings file %s: it does not hold a JSON object", path)
        return {}
    return settings

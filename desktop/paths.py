"""Locations of StepDesk's files: the user's folders, never the program's own."""

from pathlib import Path
from typing import Literal

import platformdirs

from desktop import APP_NAME

_APP_AUTHOR: Literal[False] = False  # no vendor folder level on Windows


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, _APP_AUTHOR))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, _APP_AUTHOR))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, _APP_AUTHOR))


def default_database() -> Path:
    return data_dir() / "stepdesk.sqlite3"


def demo_database() -> Path:
    return data_dir() / "demo.sqlite3"


def default_key_file(demo: bool) -> Path:
    """Return the default key file; the demo database has its own, so neither blocks the other."""
    return config_dir() / ("demo.key" if demo else "stepdesk.key")

"""Files that ship with StepDesk, found the same way from source and from an executable.

From a source checkout they sit in `resources/` beside the `desktop` package.
A PyInstaller executable carries them in its bundle: the `_internal` folder
of a one-folder build, or the temporary folder that a one-file executable
unpacks into and deletes at exit. Nothing is ever written there, because the
one-file folder would lose it; user data goes to the folders in `desktop.paths`.
"""

import os
import sys
from enum import StrEnum
from pathlib import Path

from desktop import APP_NAME
from desktop.domain.errors import MissingResource

RESOURCES_ENV = "STEPDESK_RESOURCES"
"""Environment variable that names another resources folder, for tests and packagers."""

APP_ICON_PNG = "icons/stepdesk.png"
APP_ICON_ICO = "icons/stepdesk.ico"
APP_ICON_SVG = "icons/stepdesk.svg"

REQUIRED_RESOURCES = (APP_ICON_PNG, APP_ICON_ICO, APP_ICON_SVG)
"""Every file that a complete installation has; --self-test checks each one."""


class Packaging(StrEnum):
    SOURCE = "source"
    ONEDIR = "onedir"
    ONEFILE = "onefile"


def bundle_root() -> Path | None:
    """Return the folder holding a PyInstaller executable's files, or None from source."""
    if not getattr(sys, "frozen", False):
        return None
    # PyInstaller's bootloader sets sys._MEIPASS in both build modes.
    return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)).resolve()


def packaging() -> Packaging:
    root = bundle_root()
    if root is None:
        return Packaging.SOURCE
    # A one-folder build keeps its files beside the executable; a one-file
    # build unpacks them into a temporary folder elsewhere.
    executable_folder = Path(sys.executable).resolve().parent
    if root == executable_folder or executable_folder in root.parents:
        return Packaging.ONEDIR
    return Packaging.ONEFILE


def resources_dir() -> Path:
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override).expanduser().absolute()
    root = bundle_root()
    if root is not None:
        return root / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(relative: str) -> Path:
    """Return the path of `relative` (such as "icons/stepdesk.png") under resources_dir().

    Raises MissingResource naming the full path when the file is absent or
    empty, which means a damaged installation.
    """
    path = resources_dir() / relative
    if not path.is_file() or path.stat().st_size == 0:
        raise MissingResource(
            f"The resource file {path} is missing or empty. "
            f"Reinstall {APP_NAME}, or unset {RESOURCES_ENV} if you set it."
        )
    return path


def inside_bundle(path: Path) -> bool:
    """Return True if `path` lies in the executable's bundle, where nothing may be written."""
    root = bundle_root()
    if root is None:
        return False
    resolved = path.resolve()
    return resolved == root or root in resolved.parents

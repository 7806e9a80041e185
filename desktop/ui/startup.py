"""Preparing the Qt application before its first window: icon, crash reporting, timing."""

import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from desktop.domain.errors import MissingResource
from desktop.resources import APP_ICON_PNG, resource_path
from desktop.ui import crash
from desktop.ui.application import HEADLESS_PLATFORMS, ensure_application

log = logging.getLogger(__name__)

FIRST_PAINT_MESSAGE = "First window painted: %s"
"""Logged at DEBUG; tests/benchmark_startup.py reads it to time the start-up."""


def prepare_application(log_file: Path | None) -> QApplication:
    app = ensure_application()
    set_app_icon(app)
    crash.install(log_file, interactive=not is_headless(app))
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        app.installEventFilter(FirstPaintLogger(app))
    return app


def is_headless(app: QApplication) -> bool:
    return app.platformName() in HEADLESS_PLATFORMS


def set_app_icon(app: QApplication) -> bool:
    """Give every window the StepDesk icon; a missing icon is logged, not fatal."""
    try:
        path = resource_path(APP_ICON_PNG)
    except MissingResource as error:
        log.warning("%s", error)
        return False
    icon = QIcon(str(path))
    if icon.isNull():
        log.warning("The icon %s cannot be read as an image", path)
        return False
    app.setWindowIcon(icon)
    return True


class FirstPaintLogger(QObject):
    """Logs when the first top-level window has been painted, then removes itself."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (
            event.type() == QEvent.Type.Paint
            and isinstance(watched, QWidget)
            and watched.isWindow()
        ):
            log.debug(FIRST_PAINT_MESSAGE, watched.windowTitle())
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
        return False

"""The Qt application: message routing, the sign-in loop and the main window."""

import logging
import sys

from PySide6.QtCore import QMessageLogContext, QObject, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import APP_NAME, __version__
from desktop.domain.policy import StepUpMode
from desktop.security.clock import Clock
from desktop.services.bundle import Services
from desktop.services.ports import Store
from desktop.services.session import SignedInSession
from desktop.ui.main_window import MainWindow
from desktop.ui.session_lock import SessionLockSource
from desktop.ui.sign_in import SignInDialog
from desktop.ui.step_up_dialog import StepUpDialog
from desktop.ui.timers import QtTimerFactory, TimerFactory

log = logging.getLogger(__name__)
qt_log = logging.getLogger("desktop.qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


# Messages the offscreen and minimal platforms print for window features they
# lack. They report nothing wrong with StepDesk.
HARMLESS_QT_MESSAGES = ("This plugin does not support propagateSizeHints",)


def route_qt_messages() -> None:
    """Send Qt's own messages to logging, then on to the handler installed before."""
    previous = None

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        level = _QT_LEVELS.get(kind, logging.WARNING)
        if message.startswith(HARMLESS_QT_MESSAGES):
            level = logging.DEBUG
        qt_log.log(level, "%s", message)
        if previous is not None:
            previous(kind, context, message)

    previous = qInstallMessageHandler(handler)


def ensure_application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    return app


HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal"})


def show_startup_error(message: str) -> None:
    """Report an error before any window exists, on stderr and in a message box.

    A windowed executable has no console, so the box is what a person sees.
    On a headless platform the box could never be closed, so it is left out.
    """
    if sys.stderr is not None:
        print(f"{APP_NAME}: {message}", file=sys.stderr)
    app = ensure_application()
    if app.platformName() not in HEADLESS_PLATFORMS:
        QMessageBox.critical(None, APP_NAME, message)


class DeskController(QObject):
    """Runs sign-in, the main window, and sign-out back to sign-in."""

    def __init__(
        self,
        services: Services,
        timers: TimerFactory,
        open_reference: str | None = None,
        lock_source: SessionLockSource | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._timers = timers
        self._lock_source = lock_source
        self._open_reference = open_reference
        self.window: MainWindow | None = None
        self.sign_in_dialog: SignInDialog | None = None

    def start(self) -> None:
        dialog = SignInDialog(
            self._services.auth, self._services.database_name, self._services.is_demo
        )
        dialog.signed_in.connect(self._open_window)
        dialog.rejected.connect(self._quit)
        self.sign_in_dialog = dialog
        dialog.show()

    def _open_window(self, session: SignedInSession) -> None:
        if self.sign_in_dialog is not None:
            self.sign_in_dialog.deleteLater()
            self.sign_in_dialog = None
        if self._services.policy.current().mode is StepUpMode.AT_SIGN_IN:
            # The verification at sign-in also opens the unlock window.
            dialog = StepUpDialog(
                self._services.stepup,
                session,
                "Your organisation asks for a code from your authenticator app at sign-in.",
            )
            verified = dialog.exec() == StepUpDialog.DialogCode.Accepted
            dialog.deleteLater()
            if not verified:
                self._services.auth.sign_out(session)
                self.start()
                return
        window = MainWindow(self._services, session, self._timers, self._lock_source)
        window.sign_out_requested.connect(lambda: self._sign_out(window, session))
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.destroyed.connect(self._window_gone)
        self.window = window
        window.resize(1100, 720)
        window.show()
        if self._open_reference:
            reference, self._open_reference = self._open_reference, None
            window.open_reference(reference)

    def _sign_out(self, window: MainWindow, session: SignedInSession) -> None:
        window.lock_and_clear()
        self._services.auth.sign_out(session)
        self.window = None
        window.hide()
        window.deleteLater()
        self.start()

    def _window_gone(self) -> None:
        # Closing the window quits; sign-out has already let go of it.
        if self.window is not None:
            self.window = None
            self._quit()

    def _quit(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.quit()


def run(store: Store, clock: Clock, open_reference: str | None = None) -> int:
    app = ensure_application()
    route_qt_messages()
    services = Services.create(store, clock)
    controller = DeskController(services, QtTimerFactory(), open_reference)
    app.setQuitOnLastWindowClosed(False)
    controller.start()
    code = app.exec()
    if controller.window is not None:
        controller.window.lock_and_clear()
    log.info("%s exits with %s", APP_NAME, code)
    return code

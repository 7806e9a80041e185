"""Unhandled exceptions: write the traceback to the log, then tell the person where it is.

Saved data is not at risk from such an error: every save is one database
transaction that has committed or rolled back before control returns to Qt,
so only edits not yet saved can be lost.
"""

import logging
import sys
import threading
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop import APP_NAME

log = logging.getLogger(__name__)

SUMMARY_MAX_CHARS = 300


class CrashReporter(QObject):
    """Replaces sys.excepthook and threading.excepthook while the UI runs."""

    quit_requested = Signal()
    """Emitted when the person chooses to quit after an error."""

    _thread_failed = Signal(str)
    """Carries an error from another thread to the GUI thread, where this object lives."""

    def __init__(
        self, log_file: Path | None, interactive: bool, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._log_file = log_file
        self._interactive = interactive
        self._showing = False
        # Emitted from another thread, the signal is queued to the GUI thread,
        # the only one that may create widgets.
        self._thread_failed.connect(self._report)

    def install(self) -> None:
        sys.excepthook = self.handle_exception
        threading.excepthook = self.handle_thread_exception

    def handle_exception(
        self,
        kind: type[BaseException],
        value: BaseException,
        traceback: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, traceback)
            return
        log.critical("Unhandled exception", exc_info=(kind, value, traceback))
        self._report(summarise(kind, value))

    def handle_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        thread_name = args.thread.name if args.thread is not None else "unknown"
        if args.exc_value is not None:
            exc_info = (args.exc_type, args.exc_value, args.exc_traceback)
            log.critical("Unhandled exception in thread %s", thread_name, exc_info=exc_info)
        else:
            log.critical("Unhandled %s in thread %s", args.exc_type.__name__, thread_name)
        self._thread_failed.emit(summarise(args.exc_type, args.exc_value))

    def log_file_text(self) -> str:
        if self._log_file is None:
            return (
                f"{APP_NAME} could not open its log file, so the details went to the "
                "console (standard error) only."
            )
        return f"The details are in the log file {self._log_file}."

    def _report(self, summary: str) -> None:
        if sys.stderr is not None:
            print(
                f"{APP_NAME}: unexpected error: {summary}. {self.log_file_text()}", file=sys.stderr
            )
        # A dialog on a headless platform could never be closed, and a second
        # error while one is open is only logged.
        if not self._interactive or self._showing:
            return
        self._showing = True
        try:
            box = crash_dialog(summary, self.log_file_text())
            box.exec()
            clicked = box.clickedButton()
            quit_chosen = (
                clicked is not None and box.buttonRole(clicked) == QMessageBox.ButtonRole.AcceptRole
            )
            box.deleteLater()
        finally:
            self._showing = False
        if quit_chosen:
            log.info("Quitting after an unexpected error, as the person chose")
            self.quit_requested.emit()


def summarise(kind: type[BaseException], value: BaseException | None) -> str:
    text = f"{kind.__name__}: {value}" if value is not None and str(value) else kind.__name__
    if len(text) > SUMMARY_MAX_CHARS:
        text = text[: SUMMARY_MAX_CHARS - 1] + "…"
    return text


def crash_dialog(summary: str, log_file_text: str, parent: QWidget | None = None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(f"{APP_NAME} – unexpected error")
    box.setText(f"{APP_NAME} hit an unexpected error and may not work as expected.\n\n{summary}")
    box.setInformativeText(
        f"{log_file_text} Everything you saved before is safe in the database. Only "
        f"changes not yet saved may be lost. Quit and start {APP_NAME} again if something "
        "does not work."
    )
    quit_button = box.addButton("&Quit " + APP_NAME, QMessageBox.ButtonRole.AcceptRole)
    quit_button.setAccessibleName("Quit " + APP_NAME)
    continue_button = box.addButton("&Continue", QMessageBox.ButtonRole.RejectRole)
    continue_button.setAccessibleName("Continue")
    box.setDefaultButton(quit_button)
    box.setEscapeButton(continue_button)
    return box


def install(log_file: Path | None, interactive: bool) -> CrashReporter:
    """Install a CrashReporter whose Quit choice quits the running application."""
    reporter = CrashReporter(log_file, interactive)
    reporter.quit_requested.connect(QApplication.quit)
    reporter.install()
    return reporter

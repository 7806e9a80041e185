"""Unhandled exceptions: traceback in the log file, a dialog that names it, saved data kept."""

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from desktop.logging_setup import setup_logging
from desktop.services.ports import AuditRecord
from desktop.storage.bootstrap import open_store
from desktop.storage.store import SqlStore
from desktop.ui.crash import CrashReporter, install
from tests.clocks import ManualClock
from tests.ui_helpers import find, when_dialog_opens


class DeskFault(RuntimeError):
    pass


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Log to a file as the app does, and take the handlers away again afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    path = setup_logging(tmp_path / "log")
    assert path is not None
    yield path
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def raise_and_report(reporter: CrashReporter) -> None:
    try:
        raise DeskFault("the tab lost its application")
    except DeskFault:
        reporter.handle_exception(*sys.exc_info())  # type: ignore[arg-type]


def test_traceback_written_to_log(log_file: Path, qapp: QApplication) -> None:
    reporter = CrashReporter(log_file, interactive=False)

    raise_and_report(reporter)

    logged = log_file.read_text(encoding="utf-8")
    assert "CRITICAL desktop.ui.crash: Unhandled exception" in logged
    assert "Traceback (most recent call last):" in logged
    assert "DeskFault: the tab lost its application" in logged


def test_dialog_names_log_file(log_file: Path, qtbot: QtBot) -> None:
    reporter = CrashReporter(log_file, interactive=True)
    dialog_texts: list[str] = []

    def read_and_continue(dialog: QDialog) -> None:
        assert isinstance(dialog, QMessageBox)
        dialog_texts.append(dialog.text() + "\n" + dialog.informativeText())
        assert dialog.defaultButton() is find(dialog, QPushButton, "Quit StepDesk")
        find(dialog, QPushButton, "Continue").click()

    seen = when_dialog_opens(read_and_continue)
    with qtbot.assertNotEmitted(reporter.quit_requested):
        raise_and_report(reporter)

    assert seen == ["StepDesk – unexpected error"]
    assert f"The details are in the log file {log_file}." in dialog_texts[0]
    assert "DeskFault: the tab lost its application" in dialog_texts[0]
    assert "Everything you saved before is safe" in dialog_texts[0]


def test_quit_choice_requests_quit(log_file: Path, qtbot: QtBot) -> None:
    reporter = CrashReporter(log_file, interactive=True)

    when_dialog_opens(lambda dialog: find(dialog, QPushButton, "Quit StepDesk").click())
    with qtbot.waitSignal(reporter.quit_requested, timeout=5000):
        raise_and_report(reporter)


def test_headless_prints_instead(
    log_file: Path, qapp: QApplication, capsys: pytest.CaptureFixture[str]
) -> None:
    reporter = CrashReporter(log_file, interactive=False)

    raise_and_report(reporter)

    err = capsys.readouterr().err
    assert "StepDesk: unexpected error: DeskFault: the tab lost its application." in err
    assert str(log_file) in err
    assert QApplication.activeModalWidget() is None


def test_thread_error_shown_in_gui_thread(log_file: Path, qtbot: QtBot) -> None:
    reporter = CrashReporter(log_file, interactive=True)
    dialog_texts: list[str] = []

    def read_and_continue(dialog: QDialog) -> None:
        assert isinstance(dialog, QMessageBox)
        dialog_texts.append(dialog.text())
        find(dialog, QPushButton, "Continue").click()

    def fail() -> None:
        raise DeskFault("the clipboard timer thread failed")

    previous = threading.excepthook
    threading.excepthook = reporter.handle_thread_exception
    try:
        worker = threading.Thread(target=fail, name="clipboard-timer")
        worker.start()
        worker.join()
        when_dialog_opens(read_and_continue)
        qtbot.waitUntil(lambda: bool(dialog_texts), timeout=5000)
    finally:
        threading.excepthook = previous

    assert "DeskFault: the clipboard timer thread failed" in dialog_texts[0]
    assert "Unhandled exception in thread clipboard-timer" in log_file.read_text(encoding="utf-8")


def test_install_replaces_hooks(log_file: Path, qapp: QApplication) -> None:
    previous_hook, previous_thread_hook = sys.excepthook, threading.excepthook
    try:
        reporter = install(log_file, interactive=False)

        assert sys.excepthook == reporter.handle_exception
        assert threading.excepthook == reporter.handle_thread_exception
    finally:
        sys.excepthook, threading.excepthook = previous_hook, previous_thread_hook


def test_missing_log_file_said(qapp: QApplication) -> None:
    reporter = CrashReporter(None, interactive=False)

    assert "could not open its log file" in reporter.log_file_text()


def test_saved_data_kept(log_file: Path, qapp: QApplication, demo_store: SqlStore) -> None:
    database = demo_store.target.path
    assert database is not None
    demo_store.add_audit(AuditRecord(None, "test", "saved-before-error", "Checkout", "success"))
    reporter = CrashReporter(log_file, interactive=False)

    raise_and_report(reporter)
    demo_store.close()

    reopened = open_store(
        str(database), demo=True, key_file=database.with_name("demo.key"), clock=ManualClock()
    )
    try:
        assert reopened.count_audit("saved-before-error") == 1
    finally:
        reopened.close()

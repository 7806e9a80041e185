"""End to end through real widgets: sign in, step up with the QR code, edit, lock."""

from collections.abc import Callable
from datetime import timedelta

import pyotp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QTreeView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.domain.entities import ApplicationSummary, Environment
from desktop.services.bundle import Services
from desktop.services.ports import AuditRecord
from desktop.storage.store import SqlStore
from desktop.ui.application import DeskController
from desktop.ui.application_tab import ApplicationTab
from desktop.ui.main_window import MainWindow
from desktop.ui.sign_in import SignInDialog
from tests.clocks import ManualClock
from tests.timers import ManualTimerFactory
from tests.ui_helpers import decode_qr, find, find_all, otpauth_secret, when_dialog_opens

OWNER = ("olivia", "demo-owner-2026")
VIEWER = ("vera", "demo-viewer-2026")


def sign_in(qtbot: QtBot, services: Services, username: str, password: str) -> SignInDialog:
    dialog = SignInDialog(services.auth, services.database_name, services.is_demo)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(find(dialog, QLineEdit, "Username"), username)
    qtbot.keyClicks(find(dialog, QLineEdit, "Password"), password)
    qtbot.mouseClick(find(dialog, QPushButton, "Sign in"), Qt.MouseButton.LeftButton)
    return dialog


def open_window(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory, user: tuple[str, str]
) -> MainWindow:
    dialog = sign_in(qtbot, services, *user)
    assert dialog.session is not None, find(dialog, QLabel, "Sign-in message").text()
    window = MainWindow(services, dialog.session, timers)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def production_checkout(window: MainWindow) -> ApplicationSummary:
    model = window.applications_model
    for row in range(model.rowCount()):
        application = model.application_at(row)
        if application.name == "Checkout" and application.environment is Environment.PRODUCTION:
            return application
    raise AssertionError("Payments / Checkout (production) is not listed")


def security_tab_names(tab: ApplicationTab) -> list[str]:
    bar = tab.sections.tabBar()
    return [bar.accessibleTabName(index) for index in range(bar.count())]


def enrol_and_verify(clock: ManualClock, decoded: list[str]) -> Callable[[QDialog], None]:
    """Scan the QR code, enter two codes in a row, and close the recovery codes page."""

    def action(dialog: QDialog) -> None:
        uri = decode_qr(find(dialog, QWidget, "QR code"))
        decoded.append(uri)
        authenticator = pyotp.TOTP(otpauth_secret(uri))
        code_field = find(dialog, QLineEdit, "Authentication code")
        code_field.setText(authenticator.at(clock.now()))
        find(dialog, QPushButton, "Verify").click()
        clock.advance(30)
        code_field.setText(authenticator.at(clock.now()))
        find(dialog, QPushButton, "Verify").click()
        codes = find(dialog, QPlainTextEdit, "Recovery codes").toPlainText().splitlines()
        assert len(codes) == 10
        find(dialog, QPushButton, "Done").click()

    return action


def type_into_input_dialog(text: str) -> None:
    """Accept the next QInputDialog with `text` entered."""

    def answer(dialog: QDialog) -> None:
        assert isinstance(dialog, QInputDialog)
        dialog.setTextValue(text)
        dialog.accept()

    when_dialog_opens(answer)


def cancel(dialog: QDialog) -> None:
    dialog.reject()


def widget_texts(root: QWidget) -> list[str]:
    texts = [edit.text() for edit in root.findChildren(QLineEdit)]
    texts += [edit.toPlainText() for edit in root.findChildren(QPlainTextEdit)]
    texts += [label.text() for label in root.findChildren(QLabel)]
    return texts


@pytest.fixture
def api_secret(demo_store: SqlStore, services: Services) -> "callable":  # type: ignore[valid-type]
    def read(window: MainWindow, application: ApplicationSummary) -> str:
        key = demo_store.load_security_details(application.id).api_keys[0]
        return demo_store.reveal_api_secret(key.id, AuditRecord(None, "test", "read", "", "ok"))

    return read


def test_owner_steps_up_edits_and_window_locks(
    qtbot: QtBot,
    services: Services,
    clock: ManualClock,
    timers: ManualTimerFactory,
    api_secret,  # type: ignore[no-untyped-def]
) -> None:
    window = open_window(qtbot, services, timers, OWNER)
    application = production_checkout(window)
    tab = window.open_application(application)
    assert "Security details" in security_tab_names(tab)

    decoded: list[str] = []
    seen = when_dialog_opens(enrol_and_verify(clock, decoded))
    tab.show_security_details()
    qtbot.waitUntil(lambda: tab.security_panel is not None and tab.security_panel.is_unlocked)
    assert seen == ["Verify it's you"]
    assert decoded[0].startswith("otpauth://totp/StepDesk:olivia%40example.co.uk?")

    secret_field = find(tab, QLineEdit, "API secret")
    assert secret_field.text() == ""
    qtbot.mouseClick(find(tab, QPushButton, "Show secret"), Qt.MouseButton.LeftButton)
    secret = api_secret(window, application)
    assert secret_field.text() == secret
    # The countdown shows the smaller of the absolute (15 min) and idle (5 min) limits.
    assert find(window, QLabel, "Unlock time remaining").text() == "05:00"

    callbacks = find(tab, QListWidget, "Callback URLs")
    callbacks.setCurrentRow(0)
    type_into_input_dialog("https://checkout.example.co.uk/cb")
    find(tab, QPushButton, "Edit callback URL").click()
    type_into_input_dialog("http://127.0.0.1:8400/cb")
    find(tab, QPushButton, "Add callback URL").click()
    qtbot.mouseClick(find(tab, QPushButton, "Save"), Qt.MouseButton.LeftButton)
    saved = services.security.load(window._session, application.id)
    assert saved.callback_urls == (
        "https://checkout.example.co.uk/cb",
        "http://127.0.0.1:8400/cb",
    )

    # Typing every four minutes keeps the idle limit away but never extends the window.
    for _ in range(3):
        clock.advance(4 * 60)
        qtbot.keyClick(callbacks, Qt.Key.Key_End)
        timers.fire_running()
        assert tab.security_panel.is_unlocked  # type: ignore[union-attr]
    clock.advance(timedelta(minutes=3, seconds=1).total_seconds())
    timers.fire_running()
    assert not tab.security_panel.is_unlocked  # type: ignore[union-attr]
    assert all(secret not in text for text in widget_texts(window))
    assert not secret_field.isUndoAvailable()
    assert callbacks.count() == 0
    public_key = find(tab, QPlainTextEdit, "Public key")
    assert not public_key.document().isUndoAvailable()
    assert find(window, QLabel, "Unlock time remaining").text() == ""

    seen_again = when_dialog_opens(cancel)
    tab.security_panel.open_details()  # type: ignore[union-attr]
    assert seen_again == ["Verify it's you"]
    window.close()


@pytest.mark.parametrize("button", ["Show secret", "Copy secret"])
def test_clock_jump_makes_secret_buttons_ask(
    qtbot: QtBot,
    services: Services,
    clock: ManualClock,
    timers: ManualTimerFactory,
    button: str,
) -> None:
    window = open_window(qtbot, services, timers, OWNER)
    tab = window.open_application(production_checkout(window))
    when_dialog_opens(enrol_and_verify(clock, []))
    tab.show_security_details()
    qtbot.waitUntil(lambda: tab.security_panel is not None and tab.security_panel.is_unlocked)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")

    # No timer fires: the service alone must notice that the window has ended.
    clock.advance(16 * 60)
    seen = when_dialog_opens(cancel)
    qtbot.mouseClick(find(tab, QPushButton, button), Qt.MouseButton.LeftButton)
    assert seen == ["Verify it's you"]
    assert find(tab, QLineEdit, "API secret").text() == ""
    assert clipboard.text() == "before"
    assert tab.security_panel is not None
    assert not tab.security_panel.is_unlocked
    window.close()


def test_viewer_gets_no_security_details_tab(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory
) -> None:
    window = open_window(qtbot, services, timers, VIEWER)
    tab = window.open_application(production_checkout(window))
    assert "Security details" not in security_tab_names(tab)
    assert find_all(window, QWidget, "Security details") == []
    assert find_all(window, QPushButton, "Show secret") == []
    window.close()


def test_open_reference_still_needs_step_up(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory
) -> None:
    window = open_window(qtbot, services, timers, OWNER)
    tab = window.open_reference("payments/checkout@production")
    assert tab is not None
    assert tab.application.environment is Environment.PRODUCTION
    seen = when_dialog_opens(cancel)
    tab.show_security_details()
    assert seen == ["Verify it's you"]
    assert tab.security_panel is not None
    assert not tab.security_panel.is_unlocked
    assert find(tab, QLineEdit, "API secret").text() == ""
    window.close()


def test_open_reference_unknown_and_hidden_alike(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory
) -> None:
    window = open_window(qtbot, services, timers, VIEWER)
    messages: list[str] = []

    def read_message(dialog: QDialog) -> None:
        messages.append(dialog.findChild(QLabel, "qt_msgbox_label").text())
        dialog.accept()

    when_dialog_opens(read_message)
    assert window.open_reference("Payments/No Such App") is None
    when_dialog_opens(read_message)
    assert window.open_reference("Open Banking Sandbox/Account Viewer") is None
    assert messages[0].split(":", 1)[1] == messages[1].split(":", 1)[1]
    window.close()


def test_sign_in_failures_read_alike(qtbot: QtBot, services: Services) -> None:
    texts = []
    for username, password in (
        ("olivia", "wrong-password"),
        ("nobody", "demo-owner-2026"),
        ("ivan", "demo-inactive-2026"),
    ):
        dialog = sign_in(qtbot, services, username, password)
        assert dialog.session is None
        texts.append(find(dialog, QLabel, "Sign-in message").text())
    assert texts[0] == texts[1] == texts[2]


def test_main_window_lists_views_by_name(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory
) -> None:
    window = open_window(qtbot, services, timers, OWNER)
    assert find(window, QTreeView, "Teams").model() is window.teams_model
    assert find(window, QTableView, "Applications").model() is window.applications_model
    assert find(window, QLabel, "Demo database").text().strip() == "DEMO"
    find(window, QLineEdit, "Filter applications").setText("refunds")
    assert window.applications_model.rowCount() == 2
    assert isinstance(window.tabs, QTabWidget)
    window.close()


def test_controller_opens_reference_after_sign_in(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory
) -> None:
    controller = DeskController(services, timers, open_reference="Payments/Refunds@production")
    controller.start()
    dialog = controller.sign_in_dialog
    # The controller owns and deletes its dialog and window, so qtbot does not track them.
    assert dialog is not None
    qtbot.keyClicks(find(dialog, QLineEdit, "Username"), OWNER[0])
    qtbot.keyClicks(find(dialog, QLineEdit, "Password"), OWNER[1])
    qtbot.mouseClick(find(dialog, QPushButton, "Sign in"), Qt.MouseButton.LeftButton)
    window = controller.window
    assert window is not None
    tab = window.tabs.currentWidget()
    assert isinstance(tab, ApplicationTab)
    assert (tab.application.name, tab.application.environment) == (
        "Refunds",
        Environment.PRODUCTION,
    )
    assert tab.security_panel is not None
    assert not tab.security_panel.is_unlocked
    assert find(tab, QLineEdit, "API secret").text() == ""
    seen = when_dialog_opens(cancel)
    tab.show_security_details()
    assert seen == ["Verify it's you"]
    controller.window = None  # closing the window must not quit the test's application
    window.close()
    qtbot.waitUntil(lambda: not timers.running())


def test_wrong_code_shows_message_and_keeps_locked(
    qtbot: QtBot, services: Services, clock: ManualClock, timers: ManualTimerFactory
) -> None:
    window = open_window(qtbot, services, timers, OWNER)
    tab = window.open_application(production_checkout(window))
    messages: list[str] = []

    def type_codes(dialog: QDialog) -> None:
        code_field = find(dialog, QLineEdit, "Authentication code")
        message = find(dialog, QLabel, "Verification message")
        for typed in ("12a456", "12345", "000000"):
            code_field.setText(typed)
            find(dialog, QPushButton, "Verify").click()
            messages.append(message.text())
        dialog.reject()

    when_dialog_opens(type_codes)
    tab.show_security_details()
    assert "'12a456' must contain digits only" in messages[0]
    assert "'12345' has 5 digits" in messages[1]
    assert messages[2].startswith("That code is not correct")
    assert tab.security_panel is not None
    assert not tab.security_panel.is_unlocked
    window.close()

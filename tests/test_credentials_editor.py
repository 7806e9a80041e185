"""The unlocked credentials editor on real widgets and a real database."""

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PySide6.QtCore import Qt
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.domain.entities import ApplicationSummary
from desktop.security import totp
from desktop.services.bundle import Services
from desktop.services.session import SignedInSession
from desktop.storage.store import SqlStore
from desktop.ui.application_tab import ApplicationTab
from desktop.ui.clipboard import CLIPBOARD_HINTS
from desktop.ui.main_window import MainWindow
from tests.clocks import ManualClock
from tests.test_ui_flow import enrol_and_verify, production_checkout
from tests.timers import ManualTimerFactory
from tests.ui_helpers import find, otpauth_secret, when_dialog_opens

OWNER = ("olivia", "demo-owner-2026")


class RecordingCaptureGuard:
    """A fake of the screen-capture adapter that records what it is asked to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def set_excluded(self, window: QWidget, excluded: bool) -> bool:
        self.calls.append((type(window).__name__, excluded))
        return True


class NoLockSource:
    def start(self, window: QWidget, on_lock: object) -> bool:
        return False

    def stop(self) -> None:
        pass


def pem_public_key(bits: int = 2048) -> tuple[str, str]:
    """Return a new RSA key pair as (public PEM, private PEM)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return public_pem.decode(), private_pem.decode()


@pytest.fixture
def guard() -> RecordingCaptureGuard:
    return RecordingCaptureGuard()


@pytest.fixture
def window(
    qtbot: QtBot,
    services: Services,
    timers: ManualTimerFactory,
    guard: RecordingCaptureGuard,
) -> Iterator[MainWindow]:
    session = services.auth.sign_in(*OWNER)
    main = MainWindow(services, session, timers, NoLockSource(), guard)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close()


def unlocked_tab(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, decoded: list[str] | None = None
) -> ApplicationTab:
    """Open Payments / Checkout (production) and unlock it; `decoded` receives the QR URI."""
    tab = window.open_application(production_checkout(window))
    when_dialog_opens(enrol_and_verify(clock, [] if decoded is None else decoded))
    tab.show_security_details()
    qtbot.waitUntil(lambda: tab.security_panel is not None and tab.security_panel.is_unlocked)
    return tab


def session_of(window: MainWindow) -> SignedInSession:
    return window._session


def audit_actions(store: SqlStore, *actions: str) -> list[str]:
    return [event.action for event in store.audit_events(actions=actions)]


def message(tab: QWidget) -> str:
    return find(tab, QLabel, "Editor message").text()


# API keys


def test_keys_listed_with_columns(qtbot: QtBot, window: MainWindow, clock: ManualClock) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    view = find(tab, QTableView, "API keys")
    model = view.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Key id", "Created", "Last rotated", "Valid until", "Status"]
    assert model.rowCount() == 1
    assert model.index(0, 4).data() == "Active"
    assert find(tab, QLineEdit, "API key").text() == model.index(0, 0).data()


def test_keys_model_passes_tester(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, qtmodeltester: object
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    qtmodeltester.check(find(tab, QTableView, "API keys").model())  # type: ignore[attr-defined]


def test_regenerate_immediately_revokes_old(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, demo_store: SqlStore
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    old_key = find(tab, QLineEdit, "API key").text()
    questions: list[str] = []

    def immediately(dialog: QDialog) -> None:
        questions.append(" ".join(label.text() for label in dialog.findChildren(QLabel)))
        find(dialog, QRadioButton, "Stop the old key immediately").setChecked(True)
        find(dialog, QPushButton, "Regenerate").click()

    when_dialog_opens(immediately)
    find(tab, QPushButton, "Regenerate secret").click()
    assert "Payments / Checkout (production)" in questions[0]
    model = find(tab, QTableView, "API keys").model()
    statuses = {model.index(r, 0).data(): model.index(r, 4).data() for r in range(2)}
    assert statuses[old_key] == "Revoked"
    assert find(tab, QLineEdit, "API key").text() != old_key
    assert audit_actions(demo_store, "api-key-regenerate") == ["api-key-regenerate"]


def test_regenerate_with_overlap_keeps_both(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, services: Services
) -> None:
    tab = unlocked_tab(qtbot, window, clock)

    def overlap(dialog: QDialog) -> None:
        find(dialog, QRadioButton, "Keep the old key working").setChecked(True)
        find(dialog, QSpinBox, "Overlap hours").setValue(48)
        find(dialog, QPushButton, "Regenerate").click()

    when_dialog_opens(overlap)
    find(tab, QPushButton, "Regenerate secret").click()
    details = services.security.load(session_of(window), tab.application.id)
    assert len(details.api_keys) == 2
    old, new = details.api_keys
    assert old.valid_until is not None
    assert (old.valid_until - clock.now()).total_seconds() == 48 * 3600
    assert old.is_usable(clock.now())
    assert new.is_usable(clock.now())
    assert "stops in 48 hours" in message(tab)


def test_regenerate_cancel_changes_nothing(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, services: Services
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    when_dialog_opens(lambda dialog: dialog.reject())
    find(tab, QPushButton, "Regenerate secret").click()
    assert len(services.security.load(session_of(window), tab.application.id).api_keys) == 1


def test_revoke_confirms_naming_application(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, demo_store: SqlStore
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    texts: list[str] = []

    def confirm(dialog: QDialog) -> None:
        assert isinstance(dialog, QMessageBox)
        texts.append(dialog.text())
        dialog.button(QMessageBox.StandardButton.Yes).click()

    when_dialog_opens(confirm)
    find(tab, QPushButton, "Revoke key").click()
    assert "Payments / Checkout (production)" in texts[0]
    model = find(tab, QTableView, "API keys").model()
    assert model.index(0, 4).data() == "Revoked"
    assert not find(tab, QPushButton, "Show secret").isEnabled()
    assert audit_actions(demo_store, "api-key-revoke") == ["api-key-revoke"]


def test_add_key_then_show_its_secret(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, demo_store: SqlStore
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    find(tab, QPushButton, "Add key").click()
    view = find(tab, QTableView, "API keys")
    assert view.model().rowCount() == 2
    assert view.selectionModel().selectedRows()[0].row() == 1
    find(tab, QPushButton, "Show secret").click()
    assert len(find(tab, QLineEdit, "API secret").text()) >= 43  # 256 bits in base64url
    assert audit_actions(demo_store, "api-key-add", "api-secret-show") == [
        "api-secret-show",
        "api-key-add",
    ]


# Clipboard


def test_copy_secret_hints_and_countdown(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, timers: ManualTimerFactory
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    find(tab, QPushButton, "Copy secret").click()
    clipboard = QGuiApplication.clipboard()
    copied = clipboard.text()
    assert len(copied) >= 43
    formats = clipboard.mimeData(QClipboard.Mode.Clipboard).formats()
    for hint in CLIPBOARD_HINTS:
        assert hint in formats, hint
    countdown = find(window, QLabel, "Clipboard countdown")
    assert countdown.text() == "Clipboard clears in 20 s"
    for _ in range(19):
        window.clipboard._tick()
    assert countdown.text() == "Clipboard clears in 1 s"
    assert clipboard.text() == copied
    window.clipboard._tick()
    assert clipboard.text() == ""
    assert countdown.text() == ""


def test_clipboard_kept_when_replaced(qtbot: QtBot, window: MainWindow, clock: ManualClock) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    find(tab, QPushButton, "Copy secret").click()
    QGuiApplication.clipboard().setText("something the user copied later")
    find(tab, QPushButton, "Lock now").click()
    assert QGuiApplication.clipboard().text() == "something the user copied later"


def test_clipboard_cleared_on_lock(qtbot: QtBot, window: MainWindow, clock: ManualClock) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    find(tab, QPushButton, "Copy secret").click()
    assert QGuiApplication.clipboard().text() != ""
    find(tab, QPushButton, "Lock now").click()
    assert QGuiApplication.clipboard().text() == ""


# Public key


def test_pem_key_checked_and_saved_as_jwks(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, services: Services
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    public_pem, _ = pem_public_key()
    find(tab, QPlainTextEdit, "Public key").setPlainText(public_pem)
    find(tab, QPushButton, "Check public key").click()
    details_text = find(tab, QLabel, "Public key details").text()
    assert "RSA 2048 bits" in details_text
    assert "kid " in details_text
    find(tab, QPushButton, "Save").click()
    saved = services.security.load(session_of(window), tab.application.id)
    assert saved.public_key.lstrip().startswith("{")
    assert '"kty": "RSA"' in saved.public_key


def test_private_key_rejected_and_not_saved(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, services: Services
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    _, private_pem = pem_public_key()
    find(tab, QPlainTextEdit, "Public key").setPlainText(private_pem)
    find(tab, QPushButton, "Save").click()
    assert "rotate" in message(tab).lower() or "replace" in message(tab).lower()
    saved = services.security.load(session_of(window), tab.application.id)
    assert saved.public_key == ""


def test_load_public_key_from_file(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, tmp_path: Path
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    public_pem, _ = pem_public_key()
    key_file = tmp_path / "app.pem"
    key_file.write_text(public_pem, encoding="utf-8")
    assert tab.security_panel is not None
    tab.security_panel.editor.load_public_key_file(key_file)
    assert find(tab, QPlainTextEdit, "Public key").toPlainText() == public_pem.strip()
    assert "RSA 2048 bits" in find(tab, QLabel, "Public key details").text()


def test_unreachable_jwks_url_kept_with_warning(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, services: Services
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    url = "https://127.0.0.1:9/.well-known/jwks.json"  # the discard port: nothing listens
    find(tab, QPlainTextEdit, "Public key").setPlainText(url)
    find(tab, QPushButton, "Save").click()
    assert message(tab).startswith("Saved.")
    assert "could not be checked" in message(tab)
    assert services.security.load(session_of(window), tab.application.id).public_key == url


# Callback URLs


def test_invalid_callback_marked_and_save_refused(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, services: Services
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    assert tab.security_panel is not None
    callbacks = tab.security_panel.editor.callbacks
    callbacks.add_url("http://app.example.com/cb")
    item = find(tab, QListWidget, "Callback URLs").item(1)
    assert "use https" in item.toolTip()
    problems = find(tab, QLabel, "Callback URL problems")
    assert problems.isVisibleTo(tab)
    find(tab, QPushButton, "Save").click()
    assert message(tab).startswith("Not saved: fix the marked callback URLs first.")
    saved = services.security.load(session_of(window), tab.application.id)
    assert len(saved.callback_urls) == 1

    callbacks.list.setCurrentRow(1)
    callbacks.edit_current("http://localhost:8080/cb")
    assert "prefer http://127.0.0.1" in callbacks.list.item(1).toolTip()
    find(tab, QPushButton, "Save").click()
    assert message(tab).startswith("Saved.")
    assert "localhost" in message(tab)


def test_callbacks_reorder_and_remove(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, services: Services
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    assert tab.security_panel is not None
    callbacks = tab.security_panel.editor.callbacks
    first = callbacks.urls()[0]
    callbacks.add_url("https://second.example.com/cb")
    find(tab, QPushButton, "Move callback URL up").click()
    assert callbacks.urls() == ["https://second.example.com/cb", first]
    callbacks.list.setCurrentRow(1)
    find(tab, QPushButton, "Remove callback URL").click()
    find(tab, QPushButton, "Save").click()
    saved = services.security.load(session_of(window), tab.application.id)
    assert saved.callback_urls == ("https://second.example.com/cb",)


def test_add_callback_through_dialog(qtbot: QtBot, window: MainWindow, clock: ManualClock) -> None:
    tab = unlocked_tab(qtbot, window, clock)

    def answer(dialog: QDialog) -> None:
        assert isinstance(dialog, QInputDialog)
        dialog.setTextValue("  com.example.app:/oauth  ")
        dialog.accept()

    when_dialog_opens(answer)
    find(tab, QPushButton, "Add callback URL").click()
    assert tab.security_panel is not None
    assert tab.security_panel.editor.callbacks.urls()[-1] == "com.example.app:/oauth"


# Drafts


def test_draft_kept_on_lock_and_offered_after_verification(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, services: Services
) -> None:
    decoded: list[str] = []
    tab = unlocked_tab(qtbot, window, clock, decoded)
    assert tab.security_panel is not None
    tab.security_panel.editor.callbacks.add_url("https://draft.example.com/cb")
    find(tab, QPushButton, "Lock now").click()
    assert tab.security_panel.editor.callbacks.urls() == []

    clock.advance(60)
    when_dialog_opens(verify_again(clock, decoded))
    tab.security_panel.open_details()
    notice = find(tab, QLabel, "Draft notice")
    assert notice.isVisibleTo(tab)
    assert "unsaved changes" in notice.text()
    find(tab, QPushButton, "Restore draft").click()
    assert "https://draft.example.com/cb" in tab.security_panel.editor.callbacks.urls()
    find(tab, QPushButton, "Save").click()
    saved = services.security.load(session_of(window), tab.application.id)
    assert "https://draft.example.com/cb" in saved.callback_urls
    assert services.security.load_draft(session_of(window), tab.application.id) is None


def test_draft_not_offered_to_other_user(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, services: Services
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    assert tab.security_panel is not None
    tab.security_panel.editor.callbacks.add_url("https://draft.example.com/cb")
    find(tab, QPushButton, "Lock now").click()
    adam = services.auth.sign_in("adam", "demo-appadmin-2026")
    adam.unlock.open()
    assert services.security.load_draft(adam, tab.application.id) is None


def test_private_key_never_drafted(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, demo_store: SqlStore
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    _, private_pem = pem_public_key()
    find(tab, QPlainTextEdit, "Public key").setPlainText(private_pem)
    assert tab.security_panel is not None
    tab.security_panel.editor.callbacks.add_url("https://draft.example.com/cb")
    find(tab, QPushButton, "Lock now").click()
    draft = demo_store.load_draft(session_of(window).user.id, tab.application.id)
    assert draft is not None
    assert draft.public_key == ""
    assert "https://draft.example.com/cb" in draft.callback_urls


def test_draft_discarded_only_on_request(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, demo_store: SqlStore
) -> None:
    decoded: list[str] = []
    tab = unlocked_tab(qtbot, window, clock, decoded)
    assert tab.security_panel is not None
    tab.security_panel.editor.callbacks.add_url("https://draft.example.com/cb")
    find(tab, QPushButton, "Lock now").click()
    user_id = session_of(window).user.id
    for _ in range(2):
        clock.advance(60)
        when_dialog_opens(verify_again(clock, decoded))
        tab.security_panel.open_details()
        find(tab, QPushButton, "Lock now").click()
        assert demo_store.load_draft(user_id, tab.application.id) is not None
    clock.advance(60)
    when_dialog_opens(verify_again(clock, decoded))
    tab.security_panel.open_details()
    find(tab, QPushButton, "Discard draft").click()
    assert demo_store.load_draft(user_id, tab.application.id) is None


def test_autosave_keeps_draft_for_crash(
    qtbot: QtBot,
    window: MainWindow,
    clock: ManualClock,
    timers: ManualTimerFactory,
    demo_store: SqlStore,
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    assert tab.security_panel is not None
    tab.security_panel.editor.callbacks.add_url("https://draft.example.com/cb")
    autosave = [t for t in timers.running() if t.interval_ms == tab.security_panel.AUTOSAVE_MS]
    assert len(autosave) == 1
    autosave[0].callback()
    draft = demo_store.load_draft(session_of(window).user.id, tab.application.id)
    assert draft is not None
    assert "https://draft.example.com/cb" in draft.callback_urls


# Concurrency


def test_conflict_shows_both_values_and_picks_per_field(
    qtbot: QtBot,
    window: MainWindow,
    clock: ManualClock,
    services: Services,
    demo_store: SqlStore,
    tmp_path: Path,
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    assert tab.security_panel is not None
    editor = tab.security_panel.editor
    my_key, _ = pem_public_key()
    their_key, _ = pem_public_key()
    editor.callbacks.add_url("https://mine.example.com/cb")
    find(tab, QPlainTextEdit, "Public key").setPlainText(my_key)

    other_desk(demo_store, tab.application, their_key, ["https://theirs.example.com/cb"], tmp_path)

    shown: list[str] = []

    def resolve(dialog: QDialog) -> None:
        shown.extend(edit.accessibleName() for edit in dialog.findChildren(QPlainTextEdit))
        theirs_url = find(dialog, QPlainTextEdit, "Callback URLs: their value").toPlainText()
        assert theirs_url == "https://theirs.example.com/cb"
        find(dialog, QRadioButton, "Public key: Take theirs").setChecked(True)
        find(dialog, QRadioButton, "Callback URLs: Keep mine").setChecked(True)
        find(dialog, QPushButton, "Use these values").click()

    when_dialog_opens(resolve)
    find(tab, QPushButton, "Save").click()
    assert sorted(shown) == [
        "Callback URLs: my value",
        "Callback URLs: their value",
        "Public key: my value",
        "Public key: their value",
    ]
    saved = services.security.load(session_of(window), tab.application.id)
    assert "https://mine.example.com/cb" in saved.callback_urls
    assert "https://theirs.example.com/cb" not in saved.callback_urls
    their_saved = demo_store.load_security_details(tab.application.id).public_key
    assert saved.public_key == their_saved
    assert saved.version == 3


def other_desk(
    store: SqlStore,
    application: ApplicationSummary,
    public_key: str,
    urls: list[str],
    folder: Path,
) -> None:
    database = store.target.path
    assert database is not None
    key_text = folder / "their-key.pem"
    key_text.write_text(public_key, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.save_probe",
            str(database),
            str(database.with_name("demo.key")),
            str(application.id),
            str(key_text),
            *urls,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# Screen capture


def test_capture_excluded_while_unlocked(
    qtbot: QtBot,
    window: MainWindow,
    clock: ManualClock,
    guard: RecordingCaptureGuard,
    demo_store: SqlStore,
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    assert ("StepUpDialog", True) in guard.calls
    assert guard.calls[-1] == ("MainWindow", True)
    window.capture_action.setChecked(True)
    assert guard.calls[-1] == ("MainWindow", False)
    assert find(window, QLabel, "Screen sharing").isVisibleTo(window)
    window.capture_action.setChecked(False)
    assert guard.calls[-1] == ("MainWindow", True)
    find(tab, QPushButton, "Lock now").click()
    assert guard.calls[-1] == ("MainWindow", False)
    outcomes = [e.outcome for e in demo_store.audit_events(actions=("screen-capture",))]
    assert outcomes == ["blocked", "allowed"]


def verify_again(clock: ManualClock, decoded: list[str]) -> Callable[[QDialog], None]:
    """Enter the current code in the step-up dialog of an enrolled user."""
    secret = otpauth_secret(decoded[0])

    def enter(dialog: QDialog) -> None:
        code = totp.code_at_step(secret, totp.time_step(clock.now()))
        find(dialog, QLineEdit, "Authentication code").setText(code)
        find(dialog, QPushButton, "Verify").click()

    return enter


def test_quit_keeps_draft(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, demo_store: SqlStore
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    assert tab.security_panel is not None
    tab.security_panel.editor.callbacks.add_url("https://before-quit.example.com/cb")
    application_id = tab.application.id
    user_id = session_of(window).user.id
    window.close()
    draft = demo_store.load_draft(user_id, application_id)
    assert draft is not None
    assert "https://before-quit.example.com/cb" in draft.callback_urls


def test_stale_key_view_conflicts(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, services: Services
) -> None:
    tab = unlocked_tab(qtbot, window, clock)
    session = session_of(window)
    key_id = services.security.load(session, tab.application.id).api_keys[0].id
    # Another desk revokes the key while this editor still shows it as active.
    services.security.revoke_key(session, key_id)

    def confirm(dialog: QDialog) -> None:
        assert isinstance(dialog, QMessageBox)
        dialog.button(QMessageBox.StandardButton.Yes).click()

    when_dialog_opens(confirm)
    find(tab, QPushButton, "Revoke key").click()
    assert "changed at another desk, or is already revoked" in message(tab)


def test_unlock_button_offers_draft(qtbot: QtBot, window: MainWindow, clock: ManualClock) -> None:
    decoded: list[str] = []
    tab = unlocked_tab(qtbot, window, clock, decoded)
    assert tab.security_panel is not None
    tab.security_panel.editor.callbacks.add_url("https://draft.example.com/cb")
    find(tab, QPushButton, "Lock now").click()
    clock.advance(60)
    when_dialog_opens(verify_again(clock, decoded))
    find(tab, QPushButton, "Unlock security details").click()
    assert find(tab, QLabel, "Draft notice").isVisibleTo(tab)

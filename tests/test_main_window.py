"""The workspace around step-up: enrolling early, OS session locks, notices, policy mode."""

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.domain.entities import Environment
from desktop.domain.policy import StepUpMode
from desktop.services.bundle import Services
from desktop.services.ports import AuditRecord
from desktop.services.session import SignedInSession
from desktop.storage.store import SqlStore
from desktop.ui.application import DeskController
from desktop.ui.main_window import MainWindow
from tests.clocks import ManualClock
from tests.test_ui_flow import enrol_and_verify, production_checkout
from tests.timers import ManualTimerFactory
from tests.ui_helpers import find, find_all, when_dialog_opens

OWNER = ("olivia", "demo-owner-2026")


class RecordingLockSource:
    """A fake of the OS session adapter that records the window's calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.on_lock: Callable[[], None] | None = None

    def start(self, window: QWidget, on_lock: Callable[[], None]) -> bool:
        self.calls.append("start")
        self.on_lock = on_lock
        return True

    def stop(self) -> None:
        self.calls.append("stop")


def make_window(
    qtbot: QtBot,
    services: Services,
    timers: ManualTimerFactory,
    session: SignedInSession,
    lock_source: RecordingLockSource | None = None,
) -> MainWindow:
    window = MainWindow(services, session, timers, lock_source or RecordingLockSource())
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def owner(services: Services) -> SignedInSession:
    return services.auth.sign_in(*OWNER)


def test_enrol_from_account_menu(
    qtbot: QtBot,
    services: Services,
    timers: ManualTimerFactory,
    clock: ManualClock,
    owner: SignedInSession,
) -> None:
    window = make_window(qtbot, services, timers, owner)
    assert window.enrol_action.isEnabled()
    seen = when_dialog_opens(enrol_and_verify(clock, []))
    window.enrol_action.trigger()
    assert seen == ["Verify it's you"]
    assert services.stepup.status(owner).enrolled
    assert owner.unlock.is_open()
    assert not window.enrol_action.isEnabled()
    window.close()


def test_os_session_lock_wipes_editor(
    qtbot: QtBot,
    services: Services,
    timers: ManualTimerFactory,
    clock: ManualClock,
    owner: SignedInSession,
) -> None:
    source = RecordingLockSource()
    window = make_window(qtbot, services, timers, owner, source)
    assert source.calls == ["start"]
    tab = window.open_application(production_checkout(window))
    when_dialog_opens(enrol_and_verify(clock, []))
    tab.show_security_details()
    qtbot.waitUntil(lambda: tab.security_panel is not None and tab.security_panel.is_unlocked)
    find(tab, QPushButton, "Show secret").click()
    assert find(tab, QLineEdit, "API secret").text() != ""

    assert source.on_lock is not None
    source.on_lock()
    assert not owner.unlock.is_open()
    assert find(tab, QLineEdit, "API secret").text() == ""
    assert tab.security_panel is not None
    assert not tab.security_panel.is_unlocked
    window.close()
    assert source.calls == ["start", "stop"]


def test_notices_shown_after_sign_in(
    qtbot: QtBot,
    services: Services,
    timers: ManualTimerFactory,
    demo_store: SqlStore,
    clock: ManualClock,
) -> None:
    first = services.auth.sign_in(*OWNER)
    clock.advance(60)
    demo_store.add_audit(
        AuditRecord(1, "olivia", "mfa-enrolled", f"user:{first.user.id}", "success")
    )
    clock.advance(60)
    session = services.auth.sign_in(*OWNER)
    window = make_window(qtbot, services, timers, session)
    notices = find(window, QLabel, "Account notices")
    assert notices.isVisibleTo(window)
    assert notices.text().startswith("A new authenticator was added to your account on")
    window.close()


def test_environment_change_needs_step_up(
    qtbot: QtBot,
    services: Services,
    timers: ManualTimerFactory,
    clock: ManualClock,
    owner: SignedInSession,
    demo_store: SqlStore,
) -> None:
    window = make_window(qtbot, services, timers, owner)
    application = next(
        window.applications_model.application_at(row)
        for row in range(window.applications_model.rowCount())
        if window.applications_model.application_at(row).name == "Refunds"
        and window.applications_model.application_at(row).environment is Environment.DEVELOPMENT
    )
    tab = window.open_application(application)
    find(tab, QComboBox, "New environment").setCurrentIndex(
        list(Environment).index(Environment.INTEGRATION)
    )

    def confirm_then_verify(dialog: QDialog) -> None:
        assert isinstance(dialog, QMessageBox)
        when_dialog_opens(enrol_and_verify(clock, []))
        dialog.button(QMessageBox.StandardButton.Yes).click()

    seen = when_dialog_opens(confirm_then_verify)
    find(tab, QPushButton, "Change environment").click()
    qtbot.waitUntil(lambda: tab.application.environment is Environment.INTEGRATION)
    assert seen == ["Change environment"]
    assert find(tab, QLabel, "Environment").text() == "Integration"
    events = demo_store.audit_events(actions=("environment-change",))
    assert [event.outcome for event in events] == ["success", "step-up-required"]
    assert events[0].detail == "development -> integration"
    window.close()


def test_at_sign_in_mode_asks_before_window(
    qtbot: QtBot,
    services: Services,
    timers: ManualTimerFactory,
    clock: ManualClock,
    demo_store: SqlStore,
) -> None:
    admin = services.auth.sign_in("ada", "demo-admin-2026")
    admin.unlock.open()
    policy = services.policy.current()
    services.policy.update(
        admin, type(policy)(**{**policy.__dict__, "mode": StepUpMode.AT_SIGN_IN})
    )

    controller = DeskController(services, timers, lock_source=RecordingLockSource())
    controller.start()
    dialog = controller.sign_in_dialog
    assert dialog is not None
    find(dialog, QLineEdit, "Username").setText(OWNER[0])
    find(dialog, QLineEdit, "Password").setText(OWNER[1])
    seen = when_dialog_opens(enrol_and_verify(clock, []))
    find(dialog, QPushButton, "Sign in").click()
    assert seen == ["Verify it's you"]
    window = controller.window
    assert window is not None
    assert find(window, QLabel, "Step-up state").text() == "Unlocked"
    controller.window = None
    window.close()
    qtbot.waitUntil(lambda: not timers.running())


def test_at_sign_in_cancel_returns_to_sign_in(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory
) -> None:
    admin = services.auth.sign_in("ada", "demo-admin-2026")
    admin.unlock.open()
    policy = services.policy.current()
    services.policy.update(
        admin, type(policy)(**{**policy.__dict__, "mode": StepUpMode.AT_SIGN_IN})
    )

    controller = DeskController(services, timers, lock_source=RecordingLockSource())
    controller.start()
    dialog = controller.sign_in_dialog
    assert dialog is not None
    find(dialog, QLineEdit, "Username").setText(OWNER[0])
    find(dialog, QLineEdit, "Password").setText(OWNER[1])
    when_dialog_opens(lambda step_up: step_up.reject())
    find(dialog, QPushButton, "Sign in").click()
    assert controller.window is None
    assert controller.sign_in_dialog is not None
    assert controller.sign_in_dialog is not dialog
    controller.sign_in_dialog.close()


def test_sign_out_shows_clean_sign_in(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory, clock: ManualClock
) -> None:
    controller = DeskController(services, timers, lock_source=RecordingLockSource())
    controller.start()
    dialog = controller.sign_in_dialog
    assert dialog is not None
    find(dialog, QLineEdit, "Username").setText(OWNER[0])
    find(dialog, QLineEdit, "Password").setText(OWNER[1])
    find(dialog, QPushButton, "Sign in").click()
    window = controller.window
    assert window is not None
    window.open_application(production_checkout(window))
    window.sign_out_requested.emit()
    assert controller.window is None
    next_dialog = controller.sign_in_dialog
    assert next_dialog is not None
    assert find(next_dialog, QLineEdit, "Username").text() == ""
    assert find(next_dialog, QLineEdit, "Password").text() == ""
    assert not timers.running()
    next_dialog.close()


def test_users_panel_for_support_only(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory
) -> None:
    support = make_window(
        qtbot, services, timers, services.auth.sign_in("sam", "demo-support-2026")
    )
    assert support.users_panel is not None
    assert find(support, QWidget, "Users").isVisibleTo(support) is False  # on its own sidebar tab
    owner = make_window(qtbot, services, timers, services.auth.sign_in(*OWNER))
    assert owner.users_panel is None
    assert find_all(owner, QWidget, "Users") == []
    support.close()
    owner.close()


def test_policy_menu_for_administrators_only(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory
) -> None:
    admin = make_window(qtbot, services, timers, services.auth.sign_in("ada", "demo-admin-2026"))
    titles = [action.text() for action in admin.menuBar().actions()]
    assert "Ad&ministration" in titles
    seen = when_dialog_opens(lambda dialog: dialog.reject())
    admin.policy_action.trigger()
    assert seen == ["Step-up policy"]
    owner = make_window(qtbot, services, timers, services.auth.sign_in(*OWNER))
    assert "Ad&ministration" not in [action.text() for action in owner.menuBar().actions()]
    admin.close()
    owner.close()


def test_future_enforcement_offers_step_up(
    qtbot: QtBot, services: Services, timers: ManualTimerFactory, clock: ManualClock
) -> None:
    from datetime import timedelta

    admin = services.auth.sign_in("ada", "demo-admin-2026")
    admin.unlock.open()
    policy = services.policy.current()
    later = clock.now() + timedelta(days=14)
    services.policy.update(admin, type(policy)(**{**policy.__dict__, "enforced_from": later}))

    window = make_window(qtbot, services, timers, services.auth.sign_in(*OWNER))
    prompts: list[str] = []
    # Records any request for a code; none may come before the enforcement date.
    window.prompt_step_up = lambda reason: prompts.append(reason) or False  # type: ignore[method-assign]
    tab = window.open_application(production_checkout(window))
    tab.show_security_details()
    assert tab.security_panel is not None
    assert tab.security_panel.is_unlocked
    assert prompts == []
    message = find(tab, QLabel, "Editor message").text()
    assert message.startswith("Verification with an authenticator app is not required here yet.")
    window.close()

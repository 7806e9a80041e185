"""The support desk's Users panel over a real demo database."""

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableView,
)
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.security import totp
from desktop.services.bundle import Services
from desktop.services.ports import AuditRecord, StoredAuditEvent, UserMfaStatus
from desktop.services.session import SignedInSession
from desktop.services.stepup import VerifyOutcome
from desktop.storage.store import SqlStore
from desktop.ui.users_panel import UserColumn, UsersModel, UsersPanel, UsersRole
from tests.clocks import ManualClock
from tests.ui_helpers import find, otpauth_secret, when_dialog_opens

SUPPORT = ("sam", "demo-support-2026")
OWNER = ("olivia", "demo-owner-2026")
APP_ADMIN = ("adam", "demo-appadmin-2026")
VIEWER = ("vera", "demo-viewer-2026")
STEP_UP_REASON = "Resetting another user's authenticator needs a fresh verification."
RESET_QUESTION = (
    "Reset the authenticator of Olivia Owner (olivia)? "
    "They will set up a new one at their next verification."
)
HEADERS = ["Username", "Name", "Authenticator", "Last verified", "Recovery codes left"]


class StepUpPrompts:
    """A step-up prompt that records each reason and unlocks the session, or cancels."""

    def __init__(self, session: SignedInSession, verified: bool) -> None:
        self.session = session
        self.verified = verified
        self.reasons: list[str] = []

    def __call__(self, reason: str) -> bool:
        self.reasons.append(reason)
        if self.verified:
            self.session.unlock.open()
        return self.verified


@pytest.fixture
def india_time() -> Iterator[None]:
    """Run in Asia/Kolkata (UTC+05:30), so cells prove their conversion to local time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Asia/Kolkata")
        time.tzset()
        yield
    time.tzset()


def sign_in(services: Services, user: tuple[str, str]) -> SignedInSession:
    return services.auth.sign_in(*user)


def enrol(services: Services, clock: ManualClock, user: tuple[str, str]) -> None:
    """Activate an authenticator for `user` with codes of two adjacent time steps."""
    session = sign_in(services, user)
    secret = otpauth_secret(services.stepup.enrolment_offer(session).uri)
    step = totp.time_step(clock.now())
    first = services.stepup.verify(session, totp.code_at_step(secret, step))
    assert first.outcome is VerifyOutcome.NEXT_CODE_NEEDED
    clock.advance(30)
    second = services.stepup.verify(session, totp.code_at_step(secret, step + 1))
    assert second.outcome is VerifyOutcome.UNLOCKED


def status_of(services: Services, username: str) -> UserMfaStatus:
    support = sign_in(services, SUPPORT)
    [status] = [
        status
        for status in services.support.find_users(support, username)
        if status.user.username == username
    ]
    return status


def successful_resets(store: SqlStore) -> list[StoredAuditEvent]:
    return [
        event for event in store.audit_events(actions=("mfa-reset",)) if event.outcome == "success"
    ]


def make_panel(
    qtbot: QtBot,
    services: Services,
    clock: ManualClock,
    session: SignedInSession,
    prompt: Callable[[str], bool],
) -> UsersPanel:
    panel = UsersPanel(services.support, session, prompt, now=clock.now)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def table_cells(model: QAbstractItemModel) -> list[list[str]]:
    return [
        [model.index(row, column).data() for column in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


def usernames(model: QAbstractItemModel) -> list[str]:
    return [model.index(row, UserColumn.USERNAME).data() for row in range(model.rowCount())]


def select_user(panel: UsersPanel, username: str) -> None:
    table = find(panel, QTableView, "Users")
    row = usernames(table.model()).index(username)
    table.selectRow(row)


def fill_reason_and_reset(reason: str, questions: list[str]) -> Callable[[QDialog], None]:
    def action(dialog: QDialog) -> None:
        questions.append(find(dialog, QLabel, "Reset question").text())
        find(dialog, QPlainTextEdit, "Reset reason").setPlainText(reason)
        find(dialog, QPushButton, "Reset").click()

    return action


# The model


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "python-tester"])
def test_users_model_passes_model_tester(
    qtmodeltester: ModelTester, services: Services, clock: ManualClock, force_py: bool
) -> None:
    enrol(services, clock, APP_ADMIN)
    model = UsersModel(services.support, sign_in(services, SUPPORT), clock.now)
    qtmodeltester.check(model, force_py=force_py)
    model.refresh()
    assert model.rowCount() == 6
    model.set_filter_text("AD")
    assert model.rowCount() == 2
    model.set_filter_text("no such user")
    assert model.rowCount() == 0
    assert model.index(0, 0, model.index(0, 0)).isValid() is False
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags


def test_users_model_cells_for_filter(
    india_time: None, services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    enrol(services, clock, APP_ADMIN)  # enrolled at 12:00:35 UTC, 17:30:35 in Kolkata
    olivia = sign_in(services, OWNER)
    services.stepup.enrolment_offer(olivia)
    vera = sign_in(services, VIEWER)
    services.stepup.enrolment_offer(vera)
    demo_store.record_failure(
        vera.user.id,
        clock.now(),
        1,
        clock.now() + timedelta(minutes=15),
        AuditRecord(vera.user.id, "vera", "mfa-verify", "user", "failed"),
    )
    model = UsersModel(services.support, sign_in(services, SUPPORT), clock.now)

    model.set_filter_text("EXAMPLE.CO")

    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)] == HEADERS
    assert table_cells(model) == [
        ["adam", "Adam App-Admin", "Enrolled 04 Dec 2026", "04 Dec 2026 17:30", "10"],
        ["olivia", "Olivia Owner", "Set-up pending", "Never", "0"],
        ["sam", "Sam Support", "Not set up", "Never", "0"],
        ["vera", "Vera Viewer", "Locked until 17:45", "Never", "0"],
    ]
    adam = model.index(0, UserColumn.AUTHENTICATOR)
    assert adam.data(UsersRole.USER_ID) == status_of(services, "adam").user.id
    status = adam.data(UsersRole.STATUS)
    assert isinstance(status, UserMfaStatus)
    assert status.recovery_codes_left == 10


def test_users_model_marks_inactive_users(services: Services, clock: ManualClock) -> None:
    model = UsersModel(services.support, sign_in(services, SUPPORT), clock.now)
    model.set_filter_text("ivan")
    assert table_cells(model) == [["ivan", "Ivan Inactive (inactive)", "Not set up", "Never", "0"]]


# Finding users


def test_filter_finds_users_ignoring_case(
    qtbot: QtBot, services: Services, clock: ManualClock
) -> None:
    session = sign_in(services, SUPPORT)
    panel = make_panel(qtbot, services, clock, session, StepUpPrompts(session, verified=True))
    model = find(panel, QTableView, "Users").model()
    field = find(panel, QLineEdit, "Find users")
    assert len(usernames(model)) == 6

    qtbot.keyClicks(field, "OLIV")
    assert usernames(model) == ["olivia"]

    field.clear()
    qtbot.keyClicks(field, "sUpPoRt")
    assert usernames(model) == ["sam"]

    field.setText("Administrator")
    assert usernames(model) == ["ada"]

    field.setText("%")
    assert usernames(model) == []


# Resetting


def test_reset_with_reason_removes_enrolment(
    qtbot: QtBot, services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    enrol(services, clock, OWNER)
    assert status_of(services, "olivia").enrolled_at is not None
    session = sign_in(services, SUPPORT)
    prompts = StepUpPrompts(session, verified=True)
    panel = make_panel(qtbot, services, clock, session, prompts)
    select_user(panel, "olivia")
    button = find(panel, QPushButton, "Reset authenticator")
    assert button.isEnabled()

    questions: list[str] = []
    seen = when_dialog_opens(fill_reason_and_reset("Phone lost, ticket 4521", questions))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    assert seen == ["Reset authenticator"]
    assert questions == [RESET_QUESTION]
    assert prompts.reasons == [STEP_UP_REASON]
    status = status_of(services, "olivia")
    assert status.enrolled_at is None
    assert status.pending_since is None
    assert status.recovery_codes_left == 0
    [event] = successful_resets(demo_store)
    assert event.actor == "sam"
    assert event.target == f"user:{status.user.id}"
    assert event.detail == "reason: Phone lost, ticket 4521"
    message = find(panel, QLabel, "Users message").text()
    assert message.startswith("The authenticator of Olivia Owner (olivia) was reset.")
    row = usernames(find(panel, QTableView, "Users").model()).index("olivia")
    assert panel.model.index(row, UserColumn.AUTHENTICATOR).data() == "Not set up"
    recent = find(panel, QListWidget, "Recent enrolments")
    assert "authenticator reset · by sam" in recent.item(0).text()
    assert recent.item(0).toolTip() == "reason: Phone lost, ticket 4521"


def test_reset_cancelled_step_up_keeps_enrolment(
    qtbot: QtBot, services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    enrol(services, clock, OWNER)
    session = sign_in(services, SUPPORT)
    prompts = StepUpPrompts(session, verified=False)
    panel = make_panel(qtbot, services, clock, session, prompts)
    select_user(panel, "olivia")

    when_dialog_opens(fill_reason_and_reset("Phone lost", []))
    qtbot.mouseClick(find(panel, QPushButton, "Reset authenticator"), Qt.MouseButton.LeftButton)

    assert prompts.reasons == [STEP_UP_REASON]
    status = status_of(services, "olivia")
    assert status.enrolled_at is not None
    assert status.recovery_codes_left == 10
    assert successful_resets(demo_store) == []
    message = find(panel, QLabel, "Users message").text()
    assert message.startswith("The authenticator was not reset")


def test_reset_disabled_for_own_row(qtbot: QtBot, services: Services, clock: ManualClock) -> None:
    # Both have an authenticator, so only the own-row rule can disable the button for sam.
    enrol(services, clock, SUPPORT)
    enrol(services, clock, OWNER)
    session = sign_in(services, SUPPORT)
    panel = make_panel(qtbot, services, clock, session, StepUpPrompts(session, verified=True))
    button = find(panel, QPushButton, "Reset authenticator")
    assert not button.isEnabled()

    select_user(panel, "sam")
    assert not button.isEnabled()
    assert button.toolTip() == "You cannot reset your own authenticator here."

    select_user(panel, "olivia")
    assert button.isEnabled()

    select_user(panel, "vera")
    assert not button.isEnabled()
    assert button.toolTip() == "Vera Viewer (vera) has no authenticator to reset."


def test_reset_refuses_empty_reason(
    qtbot: QtBot, services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    enrol(services, clock, OWNER)
    session = sign_in(services, SUPPORT)
    prompts = StepUpPrompts(session, verified=True)
    panel = make_panel(qtbot, services, clock, session, prompts)
    select_user(panel, "olivia")
    messages: list[str] = []
    still_open: list[bool] = []

    def try_empty_reasons(dialog: QDialog) -> None:
        for reason in ("", "  \n "):
            find(dialog, QPlainTextEdit, "Reset reason").setPlainText(reason)
            find(dialog, QPushButton, "Reset").click()
            messages.append(find(dialog, QLabel, "Reset message").text())
            still_open.append(dialog.isVisible())
        find(dialog, QPushButton, "Cancel").click()

    seen = when_dialog_opens(try_empty_reasons)
    qtbot.mouseClick(find(panel, QPushButton, "Reset authenticator"), Qt.MouseButton.LeftButton)

    assert seen == ["Reset authenticator"]
    expected = "Enter the reason for the reset. It is kept in the audit log."
    assert messages == [expected, expected]
    assert still_open == [True, True]
    assert prompts.reasons == []
    assert status_of(services, "olivia").enrolled_at is not None
    assert demo_store.audit_events(actions=("mfa-reset",)) == []


def test_non_support_user_sees_permission_denied(
    qtbot: QtBot, services: Services, clock: ManualClock
) -> None:
    session = sign_in(services, OWNER)
    panel = make_panel(qtbot, services, clock, session, StepUpPrompts(session, verified=True))

    assert find(panel, QLabel, "Users message").text() == "Only support users may do this."
    assert find(panel, QTableView, "Users").model().rowCount() == 0
    assert find(panel, QListWidget, "Recent enrolments").count() == 0
    assert not find(panel, QPushButton, "Reset authenticator").isEnabled()


def test_recent_enrolments_lists_new_authenticators(
    qtbot: QtBot, services: Services, clock: ManualClock
) -> None:
    enrol(services, clock, APP_ADMIN)
    session = sign_in(services, SUPPORT)
    panel = make_panel(qtbot, services, clock, session, StepUpPrompts(session, verified=True))

    recent = find(panel, QListWidget, "Recent enrolments")
    assert [recent.item(row).text() for row in range(recent.count())] == [
        f"{clock.now().astimezone().strftime('%d %b %Y %H:%M')} · adam · "
        "authenticator added · by adam"
    ]

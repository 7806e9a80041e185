"""The step-up policy dialog over a real demo database."""

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QDateTime, QTimeZone
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.domain.entities import Environment
from desktop.domain.policy import Policy, StepUpMode, StepUpScope
from desktop.services.bundle import Services
from desktop.services.session import SignedInSession
from desktop.storage.store import SqlStore
from desktop.ui.policy_dialog import PolicyDialog
from tests.clocks import ManualClock
from tests.ui_helpers import find

ADMINISTRATOR = ("ada", "demo-admin-2026")
OWNER = ("olivia", "demo-owner-2026")
SUPPORT = ("sam", "demo-support-2026")
STEP_UP_REASON = "Changing the step-up policy needs a fresh verification."
# Microseconds that a date field cannot show, to prove an unedited date is kept exactly.
CREATED = datetime(2026, 12, 4, 12, 0, 5, 123456, tzinfo=UTC)
CONTROLS: list[tuple[type[QWidget], str]] = [
    (QComboBox, "Step-up scope"),
    (QSpinBox, "Unlock window"),
    (QSpinBox, "Idle limit"),
    (QSpinBox, "Failure limit"),
    (QSpinBox, "Lockout period"),
    (QDateTimeEdit, "Enforcement date"),
    (QLineEdit, "Issuer name"),
    (QComboBox, "Mode"),
]


@pytest.fixture
def clock() -> ManualClock:
    """Seed the demo database at CREATED, which becomes the default enforcement date."""
    return ManualClock(CREATED)


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


def open_dialog(
    qtbot: QtBot, services: Services, clock: ManualClock, user: tuple[str, str], verified: bool
) -> tuple[PolicyDialog, StepUpPrompts]:
    session = services.auth.sign_in(*user)
    prompts = StepUpPrompts(session, verified)
    dialog = PolicyDialog(services.policy, session, prompts, now=clock.now)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog, prompts


def in_qt(moment: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(
        round(moment.timestamp() * 1000), QTimeZone.utc()
    ).toLocalTime()


def save(dialog: PolicyDialog) -> None:
    find(dialog, QPushButton, "Save policy").click()


def policy_changes(store: SqlStore) -> list[str]:
    return [
        event.detail
        for event in store.audit_events(actions=("policy-change",))
        if event.outcome == "success"
    ]


def test_dialog_shows_current_policy(qtbot: QtBot, services: Services, clock: ManualClock) -> None:
    dialog, _ = open_dialog(qtbot, services, clock, ADMINISTRATOR, verified=True)

    assert dialog.windowTitle() == "Step-up policy"
    assert find(dialog, QComboBox, "Step-up scope").currentText() == "Production applications only"
    assert find(dialog, QSpinBox, "Unlock window").value() == 15
    assert find(dialog, QSpinBox, "Idle limit").value() == 5
    assert find(dialog, QSpinBox, "Idle limit").maximum() == 15
    assert find(dialog, QSpinBox, "Failure limit").value() == 5
    assert find(dialog, QSpinBox, "Lockout period").value() == 15
    shown = find(dialog, QDateTimeEdit, "Enforcement date").dateTime()
    assert shown.toMSecsSinceEpoch() == in_qt(CREATED).toMSecsSinceEpoch()
    assert find(dialog, QLineEdit, "Issuer name").text() == "StepDesk"
    assert find(dialog, QComboBox, "Mode").currentText() == "Step-up when needed"
    assert find(dialog, QLabel, "Enforcement notice").text() == ""


def test_every_control_has_labelled_buddy(
    qtbot: QtBot, services: Services, clock: ManualClock
) -> None:
    dialog, _ = open_dialog(qtbot, services, clock, ADMINISTRATOR, verified=True)
    buddies = {label.buddy(): label.text() for label in dialog.findChildren(QLabel)}
    for kind, name in CONTROLS:
        control = find(dialog, kind, name)
        assert control in buddies, f"{name} has no label"
        assert "&" in buddies[control], f"the label of {name} has no mnemonic"


def test_idle_maximum_follows_window(qtbot: QtBot, services: Services, clock: ManualClock) -> None:
    dialog, _ = open_dialog(qtbot, services, clock, ADMINISTRATOR, verified=True)
    window = find(dialog, QSpinBox, "Unlock window")
    idle = find(dialog, QSpinBox, "Idle limit")

    window.setValue(3)
    assert idle.maximum() == 3
    assert idle.value() == 3

    window.setValue(40)
    assert idle.maximum() == 40
    idle.setValue(40)
    assert idle.value() == 40


def test_save_after_step_up_changes_policy(
    qtbot: QtBot, services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    dialog, prompts = open_dialog(qtbot, services, clock, ADMINISTRATOR, verified=True)
    saved: list[object] = []
    dialog.policy_saved.connect(saved.append)
    find(dialog, QComboBox, "Step-up scope").setCurrentText("Every environment")
    find(dialog, QSpinBox, "Unlock window").setValue(30)
    find(dialog, QSpinBox, "Idle limit").setValue(10)
    find(dialog, QSpinBox, "Failure limit").setValue(7)
    find(dialog, QSpinBox, "Lockout period").setValue(20)
    find(dialog, QLineEdit, "Issuer name").setText("  Example Portal ")
    find(dialog, QComboBox, "Mode").setCurrentText("At sign-in")

    save(dialog)

    expected = Policy(
        scope=StepUpScope.EVERY_ENVIRONMENT,
        unlock_window=timedelta(minutes=30),
        idle_limit=timedelta(minutes=10),
        failure_limit=7,
        lockout=timedelta(minutes=20),
        enforced_from=CREATED,
        mode=StepUpMode.AT_SIGN_IN,
        issuer="Example Portal",
    )
    assert services.policy.current() == expected
    assert prompts.reasons == [STEP_UP_REASON]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.saved_policy == expected
    assert saved == [expected]
    [detail] = policy_changes(demo_store)
    assert detail.split("; ") == [
        "scope: production -> all",
        "unlock_window: 0:15:00 -> 0:30:00",
        "idle_limit: 0:05:00 -> 0:10:00",
        "failure_limit: 5 -> 7",
        "lockout: 0:15:00 -> 0:20:00",
        "mode: step-up -> at-sign-in",
        "issuer: StepDesk -> Example Portal",
    ]


def test_empty_issuer_rejected(
    qtbot: QtBot, services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    dialog, prompts = open_dialog(qtbot, services, clock, ADMINISTRATOR, verified=True)
    before = services.policy.current()
    find(dialog, QSpinBox, "Failure limit").setValue(8)
    find(dialog, QLineEdit, "Issuer name").setText("   ")

    save(dialog)

    assert find(dialog, QLabel, "Policy message").text() == (
        "The issuer name is empty: enter the name users see in their app."
    )
    assert dialog.isVisible()
    assert prompts.reasons == []
    assert services.policy.current() == before
    assert policy_changes(demo_store) == []


def test_failure_limit_kept_within_bounds(
    qtbot: QtBot, services: Services, clock: ManualClock
) -> None:
    dialog, _ = open_dialog(qtbot, services, clock, ADMINISTRATOR, verified=True)
    failures = find(dialog, QSpinBox, "Failure limit")
    for typed, kept in ((2, 3), (11, 10), (3, 3), (10, 10)):
        failures.setValue(typed)
        assert failures.value() == kept
    for name in ("Unlock window", "Lockout period"):
        spin = find(dialog, QSpinBox, name)
        assert (spin.minimum(), spin.maximum()) == (1, 60)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        (OWNER, "Only administrator users may do this."),
        (SUPPORT, "Only administrator users may do this."),
    ],
    ids=["owner", "support"],
)
def test_non_administrator_save_denied(
    qtbot: QtBot,
    services: Services,
    demo_store: SqlStore,
    clock: ManualClock,
    user: tuple[str, str],
    message: str,
) -> None:
    dialog, prompts = open_dialog(qtbot, services, clock, user, verified=True)
    before = services.policy.current()
    find(dialog, QSpinBox, "Failure limit").setValue(9)

    save(dialog)

    assert find(dialog, QLabel, "Policy message").text() == message
    assert dialog.isVisible()
    assert dialog.saved_policy is None
    assert prompts.reasons == []
    assert services.policy.current() == before
    assert policy_changes(demo_store) == []


def test_cancelled_step_up_saves_nothing(
    qtbot: QtBot, services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    dialog, prompts = open_dialog(qtbot, services, clock, ADMINISTRATOR, verified=False)
    before = services.policy.current()
    find(dialog, QSpinBox, "Failure limit").setValue(9)

    save(dialog)

    assert prompts.reasons == [STEP_UP_REASON]
    assert find(dialog, QLabel, "Policy message").text().startswith("The policy was not saved")
    assert dialog.isVisible()
    assert services.policy.current() == before
    assert policy_changes(demo_store) == []


def test_future_enforcement_date_shows_notice(
    qtbot: QtBot, services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    dialog, _ = open_dialog(qtbot, services, clock, ADMINISTRATOR, verified=True)
    date_field = find(dialog, QDateTimeEdit, "Enforcement date")
    notice = find(dialog, QLabel, "Enforcement notice")
    future = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)

    date_field.setDateTime(in_qt(future))

    shown = in_qt(future).toString("dd MMM yyyy HH:mm")
    assert notice.text() == f"Step-up is offered but not required until {shown}."
    assert notice.isVisible()

    save(dialog)

    policy = services.policy.current()
    assert policy.enforced_from == future
    assert not policy.requires_step_up(Environment.PRODUCTION, clock.now())
    [detail] = policy_changes(demo_store)
    assert detail == f"enforced_from: {CREATED} -> {future}"


def test_past_enforcement_date_hides_notice(
    qtbot: QtBot, services: Services, clock: ManualClock
) -> None:
    dialog, _ = open_dialog(qtbot, services, clock, ADMINISTRATOR, verified=True)
    date_field = find(dialog, QDateTimeEdit, "Enforcement date")
    notice = find(dialog, QLabel, "Enforcement notice")

    date_field.setDateTime(in_qt(clock.now() + timedelta(days=1)))
    assert notice.isVisible()
    date_field.setDateTime(in_qt(clock.now() - timedelta(days=1)))

    assert notice.text() == ""
    assert not notice.isVisible()


def test_unedited_date_kept_exactly(
    qtbot: QtBot, services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    dialog, _ = open_dialog(qtbot, services, clock, ADMINISTRATOR, verified=True)
    find(dialog, QSpinBox, "Lockout period").setValue(30)

    save(dialog)

    assert services.policy.current().enforced_from == CREATED
    assert policy_changes(demo_store) == ["lockout: 0:15:00 -> 0:30:00"]

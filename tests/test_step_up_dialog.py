"""Every state of the "Verify it's you" dialog, on real widgets and a real database."""

import stat
from pathlib import Path

import pyotp
import pytest
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from desktop.security import totp
from desktop.services.bundle import Services
from desktop.services.session import SignedInSession
from desktop.storage.store import SqlStore
from desktop.ui.step_up_dialog import StepUpDialog
from tests.clocks import ManualClock
from tests.ui_helpers import decode_qr, find, find_all, otpauth_secret

PERIOD = totp.PERIOD_SECONDS


@pytest.fixture
def owner(services: Services) -> SignedInSession:
    return services.auth.sign_in("olivia", "demo-owner-2026")


def open_dialog(
    qtbot: QtBot,
    services: Services,
    session: SignedInSession,
    save_to: Path | None = None,
) -> StepUpDialog:
    dialog = StepUpDialog(
        services.stepup,
        session,
        "Testing needs a fresh verification.",
        choose_location=lambda _parent: save_to,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def enter(dialog: QDialog, code: str) -> str:
    """Type `code`, press Verify, and return the message the dialog shows."""
    find(dialog, QLineEdit, "Authentication code").setText(code)
    find(dialog, QPushButton, "Verify").click()
    message = find(dialog, QLabel, "Verification message")
    return message.text() if message.isVisibleTo(dialog) else ""


def message_of(dialog: QDialog) -> str:
    return find(dialog, QLabel, "Verification message").text()


def activate(
    qtbot: QtBot, services: Services, session: SignedInSession, clock: ManualClock
) -> tuple[str, list[str]]:
    """Enrol through the dialog; return the secret and the recovery codes it showed."""
    dialog = open_dialog(qtbot, services, session)
    authenticator = pyotp.TOTP(otpauth_secret(decode_qr(find(dialog, QWidget, "QR code"))))
    enter(dialog, authenticator.at(clock.now()))
    clock.advance(PERIOD)
    enter(dialog, authenticator.at(clock.now()))
    codes = find(dialog, QPlainTextEdit, "Recovery codes").toPlainText().splitlines()
    find(dialog, QPushButton, "Done").click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    clock.advance(2 * PERIOD)
    session.lock()
    return authenticator.secret, codes


def test_enrolment_shows_qr_and_grouped_key(
    qtbot: QtBot, services: Services, owner: SignedInSession
) -> None:
    dialog = open_dialog(qtbot, services, owner)
    uri = decode_qr(find(dialog, QWidget, "QR code"))
    setup_key = find(dialog, QLineEdit, "Setup key").text()
    assert setup_key.replace(" ", "") == otpauth_secret(uri)
    assert all(len(group) == 4 for group in setup_key.split(" "))
    assert setup_key == setup_key.upper()
    assert dialog.focusWidget() is find(dialog, QLineEdit, "Authentication code")


def test_qr_decodes_from_whole_dialog(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    # A grab of the whole dialog shows whether other controls cover the QR code.
    dialog = open_dialog(qtbot, services, owner)
    uri = decode_qr(dialog)
    assert uri.startswith("otpauth://totp/StepDesk:olivia%40example.co.uk?secret=")
    enter(dialog, pyotp.TOTP(otpauth_secret(uri)).at(clock.now()))
    assert decode_qr(dialog) == uri


def test_first_code_asks_for_next(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    dialog = open_dialog(qtbot, services, owner)
    secret = otpauth_secret(decode_qr(find(dialog, QWidget, "QR code")))
    message = enter(dialog, pyotp.TOTP(secret).at(clock.now()))
    assert message.startswith("Your first code was accepted.")
    assert "Two codes in a row" in message
    assert dialog.isVisible()
    assert not owner.unlock.is_open()


def test_late_second_code_restarts_pair(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    dialog = open_dialog(qtbot, services, owner)
    authenticator = pyotp.TOTP(otpauth_secret(decode_qr(find(dialog, QWidget, "QR code"))))
    enter(dialog, authenticator.at(clock.now()))
    clock.advance(3 * PERIOD)
    message = enter(dialog, authenticator.at(clock.now()))
    assert message.startswith("That code was not the one right after your first code")
    clock.advance(PERIOD)
    enter(dialog, authenticator.at(clock.now()))
    assert owner.unlock.is_open()


def test_second_code_shows_recovery_codes(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock, tmp_path: Path
) -> None:
    target = tmp_path / "codes.txt"
    dialog = open_dialog(qtbot, services, owner, save_to=target)
    authenticator = pyotp.TOTP(otpauth_secret(decode_qr(find(dialog, QWidget, "QR code"))))
    enter(dialog, authenticator.at(clock.now()))
    clock.advance(PERIOD)
    enter(dialog, authenticator.at(clock.now()))

    codes = find(dialog, QPlainTextEdit, "Recovery codes").toPlainText().splitlines()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert owner.unlock.is_open()
    find(dialog, QPushButton, "Save as text file").click()
    saved = target.read_text(encoding="utf-8")
    assert all(code in saved for code in codes)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    find(dialog, QPushButton, "Done").click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert find(dialog, QPlainTextEdit, "Recovery codes").toPlainText() == ""


def test_enrolled_user_sees_code_field_only(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret, _ = activate(qtbot, services, owner, clock)
    dialog = open_dialog(qtbot, services, owner)
    assert find_all(dialog, QWidget, "QR code") == []
    assert find_all(dialog, QLineEdit, "Setup key") == []
    enter(dialog, totp.code_at_step(secret, totp.time_step(clock.now())))
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert owner.unlock.is_open()


def test_wrong_code_explains(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret, _ = activate(qtbot, services, owner, clock)
    dialog = open_dialog(qtbot, services, owner)
    step = totp.time_step(clock.now())
    nearby = {totp.code_at_step(secret, s) for s in range(step - 25, step + 26)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in nearby)
    assert enter(dialog, wrong).startswith("That code is not correct")
    assert find(dialog, QLineEdit, "Authentication code").text() == ""
    assert dialog.isVisible()


def test_malformed_code_named(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    activate(qtbot, services, owner, clock)
    dialog = open_dialog(qtbot, services, owner)
    assert "'12345' has 5 digits" in enter(dialog, "12345")
    assert "'abc123' must contain digits only" in enter(dialog, "abc123")


def test_replay_says_just_used(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret, _ = activate(qtbot, services, owner, clock)
    code = totp.code_at_step(secret, totp.time_step(clock.now()))
    first = open_dialog(qtbot, services, owner)
    enter(first, code)
    owner.lock()
    second = open_dialog(qtbot, services, owner)
    assert enter(second, code) == "This code was just used — wait for the next one."


def test_replay_from_other_desk_warns(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret, _ = activate(qtbot, services, owner, clock)
    code = totp.code_at_step(secret, totp.time_step(clock.now()))
    other_desk = services.auth.sign_in("olivia", "demo-owner-2026")
    services.stepup.verify(other_desk, code)
    dialog = open_dialog(qtbot, services, owner)
    assert "perhaps by someone else" in enter(dialog, code)


def test_lockout_shows_wait(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret, _ = activate(qtbot, services, owner, clock)
    dialog = open_dialog(qtbot, services, owner)
    step = totp.time_step(clock.now())
    nearby = {totp.code_at_step(secret, s) for s in range(step - 30, step + 30)}
    wrongs = [code for code in (f"{n:06d}" for n in range(100)) if code not in nearby][:5]
    messages = []
    for wrong in wrongs:
        messages.append(enter(dialog, wrong))
        clock.advance(31)
    assert "paused for 15 minutes" in messages[-1]
    reopened = open_dialog(qtbot, services, owner)
    assert "verification is paused until" in message_of(reopened)
    code = totp.code_at_step(secret, totp.time_step(clock.now()))
    assert "Try again in" in enter(reopened, code)
    assert not owner.unlock.is_open()


def test_drift_names_minutes(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    secret, _ = activate(qtbot, services, owner, clock)
    dialog = open_dialog(qtbot, services, owner)
    ahead = totp.code_at_step(secret, totp.time_step(clock.now()) + 8)
    message = enter(dialog, ahead)
    assert "about 4 minute(s) ahead of this computer's clock" in message
    assert "set the time automatically" in message


def test_recovery_code_replaces_authenticator(
    qtbot: QtBot,
    services: Services,
    owner: SignedInSession,
    clock: ManualClock,
    demo_store: SqlStore,
) -> None:
    old_secret, codes = activate(qtbot, services, owner, clock)
    dialog = open_dialog(qtbot, services, owner)
    find(dialog, QPushButton, "Use a recovery code").click()
    find(dialog, QLineEdit, "Recovery code").setText(codes[3].lower())
    find(dialog, QPushButton, "Verify").click()

    assert "old authenticator no longer works" in message_of(dialog)
    assert not owner.unlock.is_open()
    new_secret = otpauth_secret(decode_qr(find(dialog, QWidget, "QR code")))
    assert new_secret != old_secret
    events = demo_store.audit_events(actions=("mfa-recovery-code",))
    assert [event.outcome for event in events] == ["success"]

    old_code = totp.code_at_step(old_secret, totp.time_step(clock.now()))
    assert not enter(dialog, old_code).startswith("Your first code was accepted")
    clock.advance(31)
    enter(dialog, pyotp.TOTP(new_secret).at(clock.now()))
    clock.advance(PERIOD)
    enter(dialog, pyotp.TOTP(new_secret).at(clock.now()))
    new_codes = find(dialog, QPlainTextEdit, "Recovery codes").toPlainText().splitlines()
    assert set(new_codes).isdisjoint(codes)
    assert owner.unlock.is_open()


def test_recovery_code_works_once(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    _, codes = activate(qtbot, services, owner, clock)
    services.stepup.use_recovery_code(owner, codes[0])
    new_offer = services.stepup.enrolment_offer(owner)
    authenticator = pyotp.TOTP(otpauth_secret(new_offer.uri))
    services.stepup.verify(owner, authenticator.at(clock.now()))
    clock.advance(PERIOD)
    services.stepup.verify(owner, authenticator.at(clock.now()))
    owner.lock()
    dialog = open_dialog(qtbot, services, owner)
    find(dialog, QPushButton, "Use a recovery code").click()
    find(dialog, QLineEdit, "Recovery code").setText(codes[0])
    find(dialog, QPushButton, "Verify").click()
    assert "not valid or was already used" in message_of(dialog)


def test_malformed_recovery_code_named(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    activate(qtbot, services, owner, clock)
    dialog = open_dialog(qtbot, services, owner)
    find(dialog, QPushButton, "Use a recovery code").click()
    find(dialog, QLineEdit, "Recovery code").setText("1234")
    find(dialog, QPushButton, "Verify").click()
    assert "'1234' is not a recovery code" in message_of(dialog)


def test_new_authenticator_noticed_at_sign_in(
    qtbot: QtBot, services: Services, owner: SignedInSession, clock: ManualClock
) -> None:
    activate(qtbot, services, owner, clock)
    clock.advance(60)
    later = services.auth.sign_in("olivia", "demo-owner-2026")
    assert len(later.notices) == 1
    assert later.notices[0].startswith("A new authenticator was added to your account on")
    clock.advance(60)
    again = services.auth.sign_in("olivia", "demo-owner-2026")
    assert again.notices == []

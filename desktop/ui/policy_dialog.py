"""The step-up policy dialog, where administrators change the policy within its bounds.

Policy checks the bounds, and PolicyService checks the role and step-up. The
spin boxes only keep what is typed within the same ranges.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, QTimeZone, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.errors import InvalidInput, PermissionDenied, StepUpRequired, StorageError
from desktop.domain.policy import Policy, StepUpMode, StepUpScope
from desktop.services.session import SignedInSession
from desktop.services.support import PolicyService
from desktop.ui.application_tab import StepUpPrompt
from desktop.ui.widgets import local_date_time, utc_now

log = logging.getLogger(__name__)

Now = Callable[[], datetime]

STEP_UP_REASON = "Changing the step-up policy needs a fresh verification."
DATE_TIME_FORMAT = "dd MMM yyyy HH:mm"
ISSUER_MAX_LENGTH = 100
"""Length of the issuer column of the policy table."""

# The same bounds as Policy checks, in whole minutes.
WINDOW_MINUTES = (1, 60)
IDLE_MINIMUM_MINUTES = 1
FAILURE_LIMITS = (3, 10)
LOCKOUT_MINUTES = (1, 60)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_SCOPE_LABELS = {
    StepUpScope.PRODUCTION_ONLY: "Production applications only",
    StepUpScope.EVERY_ENVIRONMENT: "Every environment",
}
_MODE_LABELS = {
    StepUpMode.STEP_UP: "Step-up when needed",
    StepUpMode.AT_SIGN_IN: "At sign-in",
}


def to_qdatetime(moment: datetime) -> QDateTime:
    """Convert an aware datetime to a QDateTime in local time, to the millisecond."""
    milliseconds = round(moment.timestamp() * 1000)
    return QDateTime.fromMSecsSinceEpoch(milliseconds, QTimeZone.utc()).toLocalTime()


def from_qdatetime(value: QDateTime) -> datetime:
    """Convert a QDateTime in any zone to an aware UTC datetime."""
    return _EPOCH + timedelta(milliseconds=value.toMSecsSinceEpoch())


def whole_minutes(duration: timedelta) -> int:
    return round(duration.total_seconds() / 60)


def _minutes_spin(minimum: int, maximum: int, accessible_name: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(minimum, maximum)
    spin.setSuffix(" min")
    spin.setAccessibleName(accessible_name)
    return spin


def _combo(labels: dict[StepUpScope, str] | dict[StepUpMode, str], name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    for value, label in labels.items():
        combo.addItem(label, value.value)
    return combo


class PolicyDialog(QDialog):
    """Shows the current step-up policy and saves an administrator's changes.

    The constructor reads the policy and raises StorageError if it cannot.
    Saving prompts for step-up once when the service requires it. After a save
    the dialog is accepted, and `saved_policy` contains the policy as stored.
    `now` gives the time that the enforcement date is compared with.
    """

    policy_saved = Signal(object)
    """Emitted with the stored Policy after a successful save."""

    def __init__(
        self,
        policy_service: PolicyService,
        session: SignedInSession,
        prompt_step_up: StepUpPrompt,
        parent: QWidget | None = None,
        *,
        now: Now = utc_now,
    ) -> None:
        super().__init__(parent)
        self._service = policy_service
        self._session = session
        self._prompt_step_up = prompt_step_up
        self._now = now
        self._original = policy_service.current()
        self._saved_policy: Policy | None = None
        self.setWindowTitle("Step-up policy")

        self._scope = _combo(_SCOPE_LABELS, "Step-up scope")
        self._window = _minutes_spin(*WINDOW_MINUTES, "Unlock window")
        self._idle = _minutes_spin(IDLE_MINIMUM_MINUTES, WINDOW_MINUTES[1], "Idle limit")
        self._window.valueChanged.connect(self._idle.setMaximum)
        self._failures = QSpinBox()
        self._failures.setRange(*FAILURE_LIMITS)
        self._failures.setSuffix(" codes")
        self._failures.setAccessibleName("Failure limit")
        self._lockout = _minutes_spin(*LOCKOUT_MINUTES, "Lockout period")
        self._enforced = QDateTimeEdit()
        self._enforced.setAccessibleName("Enforcement date")
        self._enforced.setDisplayFormat(DATE_TIME_FORMAT)
        self._enforced.setCalendarPopup(True)
        self._issuer = QLineEdit()
        self._issuer.setAccessibleName("Issuer name")
        self._issuer.setMaxLength(ISSUER_MAX_LENGTH)
        self._mode = _combo(_MODE_LABELS, "Mode")

        self._notice = QLabel()
        self._notice.setAccessibleName("Enforcement notice")
        self._notice.setWordWrap(True)
        self._message = QLabel()
        self._message.setAccessibleName("Policy message")
        self._message.setWordWrap(True)
        self._message.hide()

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        save_button.setText("&Save")
        save_button.setAccessibleName("Save policy")
        save_button.setDefault(True)
        cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel_button.setAccessibleName("Cancel")
        cancel_button.setAutoDefault(False)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(self._form())
        layout.addWidget(self._notice)
        layout.addWidget(self._message)
        layout.addWidget(buttons)

        self._show_policy(self._original)
        self._enforced.dateTimeChanged.connect(self._update_notice)
        self._update_notice()

    # Public API

    @property
    def saved_policy(self) -> Policy | None:
        """The policy as stored by the last successful save, or None before one."""
        return self._saved_policy

    def save(self) -> None:
        """Build a Policy from the fields and save it, or show the message of the failure."""
        try:
            policy = self._policy_from_fields()
        except InvalidInput as error:
            self._show_message(str(error))
            return
        saved = self._update(policy)
        if saved is None:
            return
        self._saved_policy = saved
        self.policy_saved.emit(saved)
        self.accept()

    # Fields

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        for text, field in (
            ("Step-up s&cope:", self._scope),
            ("&Unlock window:", self._window),
            ("&Idle limit:", self._idle),
            ("&Failure limit:", self._failures),
            ("&Lockout period:", self._lockout),
            ("&Enforcement date:", self._enforced),
            ("Issuer &name:", self._issuer),
            ("&Mode:", self._mode),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, field)
        return form

    def _show_policy(self, policy: Policy) -> None:
        self._scope.setCurrentIndex(self._scope.findData(policy.scope.value))
        self._window.setValue(whole_minutes(policy.unlock_window))
        self._idle.setMaximum(self._window.value())
        self._idle.setValue(whole_minutes(policy.idle_limit))
        self._failures.setValue(policy.failure_limit)
        self._lockout.setValue(whole_minutes(policy.lockout))
        # Without a stored date step-up is required from the database's creation,
        # so the field starts at now and the policy keeps None unless it is edited.
        initial = policy.enforced_from if policy.enforced_from is not None else self._now()
        self._initial_enforcement = to_qdatetime(initial)
        self._enforced.setDateTime(self._initial_enforcement)
        self._issuer.setText(policy.issuer)
        self._mode.setCurrentIndex(self._mode.findData(policy.mode.value))

    def _policy_from_fields(self) -> Policy:
        """Build the policy the fields show. Raises InvalidInput outside the bounds."""
        original = self._original
        return Policy(
            scope=StepUpScope(self._scope.currentData()),
            unlock_window=self._duration(self._window, original.unlock_window),
            idle_limit=self._duration(self._idle, original.idle_limit),
            failure_limit=self._failures.value(),
            lockout=self._duration(self._lockout, original.lockout),
            enforced_from=self._enforced_from(),
            mode=StepUpMode(self._mode.currentData()),
            issuer=self._issuer.text().strip(),
        )

    @staticmethod
    def _duration(spin: QSpinBox, original: timedelta) -> timedelta:
        # A stored value that is not whole minutes stays as it is unless edited,
        # so saving other changes does not round it.
        if spin.value() == whole_minutes(original):
            return original
        return timedelta(minutes=spin.value())

    def _enforced_from(self) -> datetime | None:
        edited = self._enforced.dateTime()
        if edited == self._initial_enforcement:
            # The field has millisecond precision, so an unedited date returns the
            # stored value with its microseconds, or None.
            return self._original.enforced_from
        # The field shows minutes, so an edited date starts at the minute shown.
        return from_qdatetime(edited).replace(second=0, microsecond=0)

    def _update_notice(self) -> None:
        enforced_from = self._enforced_from()
        if enforced_from is not None and enforced_from > self._now():
            self._notice.setText(
                f"Step-up is offered but not required until {local_date_time(enforced_from)}."
            )
            self._notice.show()
        else:
            self._notice.setText("")
            self._notice.hide()

    # Saving

    def _update(self, policy: Policy) -> Policy | None:
        """Call the service, asking for step-up once if it requires it. None on failure."""
        for attempt in range(2):
            try:
                return self._service.update(self._session, policy)
            except StepUpRequired:
                if attempt == 0 and self._prompt_step_up(STEP_UP_REASON):
                    continue
                log.info("Policy change by user %s stopped at step-up", self._session.user.id)
                self._show_message(
                    "The policy was not saved, because the verification did not complete. "
                    "Save again and enter a code from your authenticator app."
                )
                return None
            except (PermissionDenied, InvalidInput, StorageError) as error:
                log.warning(
                    "Saving the policy for user %s failed: %s",
                    self._session.user.id,
                    type(error).__name__,
                )
                self._show_message(str(error))
                return None
        return None

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.show()

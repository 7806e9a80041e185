"""The support desk's Users panel: find users, see their authenticators, reset one.

SupportService makes every check. The panel lists what the service returns,
and the service lets a reset through only for a support user after step-up.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    StepUpRequired,
    StorageError,
)
from desktop.services.ports import StoredAuditEvent, UserMfaStatus
from desktop.services.session import SignedInSession
from desktop.services.support import SupportService
from desktop.ui.application_tab import StepUpPrompt
from desktop.ui.table_model import FlatTableModel
from desktop.ui.widgets import local_date_time, utc_now

log = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex
Now = Callable[[], datetime]

_ROOT = QModelIndex()
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOL_TIP = Qt.ItemDataRole.ToolTipRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_USER_ROLE = int(Qt.ItemDataRole.UserRole)

DEFAULT_USER_LIMIT = 200
REASON_MAX_LENGTH = 500
"""SupportService.reset_enrolment keeps only this many characters of a reason."""

STEP_UP_REASON = "Resetting another user's authenticator needs a fresh verification."

_ACTION_LABELS = {
    "mfa-enrolled": "authenticator added",
    "mfa-recovery-code": "authenticator replaced with a recovery code",
    "mfa-reset": "authenticator reset",
}


def local_date(moment: datetime) -> str:
    """Format an aware datetime as a local date, such as "04 Dec 2026"."""
    return moment.astimezone().strftime("%d %b %Y")


def authenticator_label(status: UserMfaStatus, now: datetime) -> str:
    """Describe a user's authenticator: locked, enrolled, pending or not set up."""
    locked_until = status.locked_until
    if locked_until is not None and locked_until > now:
        if locked_until.astimezone().date() == now.astimezone().date():
            return f"Locked until {locked_until.astimezone().strftime('%H:%M')}"
        return f"Locked until {local_date_time(locked_until)}"
    if status.enrolled_at is not None:
        return f"Enrolled {local_date(status.enrolled_at)}"
    if status.pending_since is not None:
        return "Set-up pending"
    return "Not set up"


def has_authenticator(status: UserMfaStatus) -> bool:
    """Tell whether a reset would remove anything: an enrolment or recovery codes."""
    return (
        status.enrolled_at is not None
        or status.pending_since is not None
        or status.recovery_codes_left > 0
    )


def user_label(status: UserMfaStatus) -> str:
    return f"{status.user.display_name} ({status.user.username})"


class UserColumn(IntEnum):
    USERNAME = 0
    NAME = 1
    AUTHENTICATOR = 2
    LAST_VERIFIED = 3
    RECOVERY_CODES = 4

    @property
    def title(self) -> str:
        return _COLUMN_TITLES[self]


_COLUMN_TITLES = {
    UserColumn.USERNAME: "Username",
    UserColumn.NAME: "Name",
    UserColumn.AUTHENTICATOR: "Authenticator",
    UserColumn.LAST_VERIFIED: "Last verified",
    UserColumn.RECOVERY_CODES: "Recovery codes left",
}


class UsersRole(IntEnum):
    """Data roles of UsersModel. Every column of a row returns the same values."""

    USER_ID = _USER_ROLE
    STATUS = _USER_ROLE + 1
    """The UserMfaStatus of the row."""


class UsersModel(FlatTableModel):
    """A flat table of users and the state of their authenticators, for support users.

    Rows load on `refresh` and `set_filter_text`, not in the constructor, so a
    caller can connect `loading_failed` first. A PermissionDenied or
    StorageError empties the table and is reported through `loading_failed`.
    """

    loading_failed = Signal(str)
    """The message of the PermissionDenied or StorageError raised while loading rows."""

    def __init__(
        self,
        support: SupportService,
        session: SignedInSession,
        now: Now = utc_now,
        limit: int = DEFAULT_USER_LIMIT,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        self._support = support
        self._session = session
        self._now = now
        self._limit = limit
        self._filter_text = ""
        self._rows: list[UserMfaStatus] = []
        # Lock times are compared with the time of loading, so cells change
        # only on a reset of the model, never silently between two reads.
        self._loaded_at = now()
        self._truncated = False

    # Public API

    @property
    def filter_text(self) -> str:
        return self._filter_text

    @property
    def truncated(self) -> bool:
        """True when more users match than the `limit` rows loaded."""
        return self._truncated

    @property
    def limit(self) -> int:
        return self._limit

    def set_filter_text(self, text: str) -> None:
        """Show only users whose username, name or e-mail contains `text`, ignoring case."""
        self._filter_text = text
        self.refresh()

    def refresh(self) -> None:
        """Reload the users matching the filter, showing changes made since."""
        failure: PermissionDenied | StorageError | None = None
        # NOTE: one query loads at most `limit` users, because
        # SupportService.find_users takes no cursor for paging.
        try:
            rows = self._support.find_users(self._session, self._filter_text, self._limit + 1)
        except (PermissionDenied, StorageError) as error:
            failure = error
            rows = []
        self.beginResetModel()
        self._rows = rows[: self._limit]
        self._truncated = len(rows) > self._limit
        self._loaded_at = self._now()
        self.endResetModel()
        if failure is not None:
            log.warning(
                "Loading users for user %s failed: %s",
                self._session.user.id,
                type(failure).__name__,
            )
            self.loading_failed.emit(str(failure))

    def status_at(self, row: int) -> UserMfaStatus:
        """Return the status shown at `row`, or raise IndexError outside the loaded rows."""
        if not 0 <= row < len(self._rows):
            raise IndexError(f"row {row} is not loaded: the model has {len(self._rows)} rows")
        return self._rows[row]

    def row_of_user(self, user_id: int) -> int | None:
        for row, status in enumerate(self._rows):
            if status.user.id == user_id:
                return row
        return None

    # QAbstractItemModel

    def row_total(self) -> int:
        return len(self._rows)

    def column_total(self) -> int:
        return len(UserColumn)

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        if not self.checkIndex(index, QAbstractItemModel.CheckIndexOption.IndexIsValid):
            return None
        status = self._rows[index.row()]
        column = UserColumn(index.column())
        if role == _DISPLAY:
            return self._cell(status, column)
        if role == _TOOL_TIP and column == UserColumn.NAME:
            return status.user.email
        if role == _ALIGNMENT and column == UserColumn.RECOVERY_CODES:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == UsersRole.USER_ID:
            return status.user.id
        if role == UsersRole.STATUS:
            return status
        return None

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == _DISPLAY
            and 0 <= section < len(UserColumn)
        ):
            return UserColumn(section).title
        return super().headerData(section, orientation, role)

    def _cell(self, status: UserMfaStatus, column: UserColumn) -> str:
        if column == UserColumn.USERNAME:
            return status.user.username
        if column == UserColumn.NAME:
            suffix = "" if status.user.active else " (inactive)"
            return status.user.display_name + suffix
        if column == UserColumn.AUTHENTICATOR:
            return authenticator_label(status, self._loaded_at)
        if column == UserColumn.LAST_VERIFIED:
            verified = status.last_verified_at
            return "Never" if verified is None else local_date_time(verified)
        return str(status.recovery_codes_left)


class ResetAuthenticatorDialog(QDialog):
    """Confirmation of an authenticator reset, with the reason kept in the audit log."""

    def __init__(self, status: UserMfaStatus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reset authenticator")

        question = QLabel(
            f"Reset the authenticator of {user_label(status)}? "
            "They will set up a new one at their next verification."
        )
        question.setWordWrap(True)
        question.setAccessibleName("Reset question")

        self._reason = QPlainTextEdit()
        self._reason.setAccessibleName("Reset reason")
        self._reason.setTabChangesFocus(True)
        self._reason.setPlaceholderText("For example: phone lost, ticket 4521")
        reason_label = QLabel("Rea&son, kept in the audit log:")
        reason_label.setBuddy(self._reason)

        self._message = QLabel()
        self._message.setAccessibleName("Reset message")
        self._message.setWordWrap(True)
        self._message.hide()

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        reset_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        reset_button.setText("&Reset")
        reset_button.setAccessibleName("Reset")
        reset_button.setAutoDefault(False)
        cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel_button.setAccessibleName("Cancel")
        # The reset cannot be undone, so Enter on a button chooses Cancel.
        cancel_button.setDefault(True)
        buttons.accepted.connect(self._confirm)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(reason_label)
        layout.addWidget(self._reason)
        layout.addWidget(self._message)
        layout.addWidget(buttons)
        self._reason.setFocus()

    @property
    def reason(self) -> str:
        """The reason as typed, without surrounding whitespace."""
        return self._reason.toPlainText().strip()

    def _confirm(self) -> None:
        reason = self.reason
        if not reason:
            self._show_message("Enter the reason for the reset. It is kept in the audit log.")
            self._reason.setFocus()
            return
        if len(reason) > REASON_MAX_LENGTH:
            self._show_message(
                f"The reason has {len(reason)} characters: shorten it to "
                f"{REASON_MAX_LENGTH} or fewer."
            )
            self._reason.setFocus()
            return
        self.accept()

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.show()


class UsersPanel(QWidget):
    """Finds users, shows their authenticators and recent enrolments, and resets one.

    `prompt_step_up` shows the step-up dialog when the service requires step-up.
    `now` gives the time that lock periods are compared with.
    """

    reset_done = Signal(int)
    """Emitted with the user id after an authenticator was reset."""

    def __init__(
        self,
        support: SupportService,
        session: SignedInSession,
        prompt_step_up: StepUpPrompt,
        parent: QWidget | None = None,
        *,
        now: Now = utc_now,
    ) -> None:
        super().__init__(parent)
        self._support = support
        self._session = session
        self._prompt_step_up = prompt_step_up

        self.model = UsersModel(support, session, now, parent=self)
        self.model.loading_failed.connect(self._show_message)

        self._filter = QLineEdit()
        self._filter.setAccessibleName("Find users")
        self._filter.setPlaceholderText("Username, name or e-mail")
        self._filter.setClearButtonEnabled(True)
        self._filter.textChanged.connect(self._filter_changed)
        filter_label = QLabel("&Find users:")
        filter_label.setBuddy(self._filter)

        self._table = QTableView()
        self._table.setAccessibleName("Users")
        self._table.setModel(self.model)
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self._table.verticalHeader().hide()
        users_label = QLabel("&Users:")
        users_label.setBuddy(self._table)

        self._reset_button = QPushButton("&Reset authenticator…")
        self._reset_button.setAccessibleName("Reset authenticator")
        self._reset_button.clicked.connect(self.reset_selected)

        self._message = QLabel()
        self._message.setAccessibleName("Users message")
        self._message.setWordWrap(True)

        self._recent = QListWidget()
        self._recent.setAccessibleName("Recent enrolments")
        recent_label = QLabel("Recent &enrolments:")
        recent_label.setBuddy(self._recent)

        filter_row = QHBoxLayout()
        filter_row.addWidget(filter_label)
        filter_row.addWidget(self._filter)
        button_row = QHBoxLayout()
        button_row.addWidget(self._reset_button)
        button_row.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(filter_row)
        layout.addWidget(users_label)
        layout.addWidget(self._table, stretch=3)
        layout.addLayout(button_row)
        layout.addWidget(self._message)
        layout.addWidget(recent_label)
        layout.addWidget(self._recent, stretch=1)

        # A model reset clears the selection without emitting selectionChanged.
        self._table.selectionModel().selectionChanged.connect(self._update_reset_button)
        self.model.modelReset.connect(self._update_reset_button)
        self.refresh()

    # Public API

    def refresh(self) -> None:
        """Reload the users and the recent enrolments, keeping the selected user selected."""
        selected = self.selected_status()
        self.model.refresh()
        self._load_recent()
        if selected is not None:
            self._select_user(selected.user.id)
        self._show_truncation()

    def selected_status(self) -> UserMfaStatus | None:
        rows = self._table.selectionModel().selectedRows()
        if len(rows) != 1:
            return None
        status = rows[0].data(UsersRole.STATUS)
        return status if isinstance(status, UserMfaStatus) else None

    def reset_selected(self) -> None:
        """Ask for a reason, then reset the selected user's authenticator."""
        status = self.selected_status()
        if status is None or not self._may_reset(status):
            return
        dialog = ResetAuthenticatorDialog(status, self)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            reason = dialog.reason
        finally:
            dialog.deleteLater()
        if self._reset(status, reason):
            self.refresh()
            self._show_message(
                f"The authenticator of {user_label(status)} was reset. "
                "They will set up a new one at their next verification."
            )
            self.reset_done.emit(status.user.id)

    # Resetting

    def _reset(self, status: UserMfaStatus, reason: str) -> bool:
        """Call the service, asking for step-up once if it requires it. True on success."""
        user_id = status.user.id
        for attempt in range(2):
            try:
                self._support.reset_enrolment(self._session, user_id, reason)
            except StepUpRequired:
                if attempt == 0 and self._prompt_step_up(STEP_UP_REASON):
                    continue
                log.info("Reset of the authenticator of user %s stopped at step-up", user_id)
                self._show_message(
                    "The authenticator was not reset, because the verification did not "
                    "complete. Try again and enter a code from your authenticator app."
                )
                return False
            except (PermissionDenied, InvalidInput, NotFound, StorageError) as error:
                log.warning(
                    "User %s could not reset the authenticator of user %s: %s",
                    self._session.user.id,
                    user_id,
                    type(error).__name__,
                )
                self._show_message(str(error))
                return False
            return True
        return False

    def _may_reset(self, status: UserMfaStatus) -> bool:
        return status.user.id != self._session.user.id and has_authenticator(status)

    def _update_reset_button(self) -> None:
        status = self.selected_status()
        if status is None:
            tip = "Select a user first."
        elif status.user.id == self._session.user.id:
            tip = "You cannot reset your own authenticator here."
        elif not has_authenticator(status):
            tip = f"{user_label(status)} has no authenticator to reset."
        else:
            tip = f"Reset the authenticator of {user_label(status)}."
        self._reset_button.setEnabled(status is not None and self._may_reset(status))
        self._reset_button.setToolTip(tip)

    # Loading

    def _filter_changed(self, text: str) -> None:
        self._message.clear()
        self.model.set_filter_text(text)
        self._show_truncation()

    def _show_truncation(self) -> None:
        if self.model.truncated:
            self._show_message(
                f"Showing the first {self.model.limit} matching users. "
                "Type more of a name to narrow the list."
            )

    def _load_recent(self) -> None:
        self._recent.clear()
        try:
            events = self._support.recent_enrolments(self._session)
        except (PermissionDenied, StorageError) as error:
            log.warning(
                "Loading recent enrolments for user %s failed: %s",
                self._session.user.id,
                type(error).__name__,
            )
            self._show_message(str(error))
            return
        for event in events:
            item = QListWidgetItem(recent_event_label(event, self._usernames()))
            if event.detail:
                item.setToolTip(event.detail)
            self._recent.addItem(item)

    def _select_user(self, user_id: int) -> None:
        row = self.model.row_of_user(user_id)
        if row is None:
            return
        self._table.selectionModel().select(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def _show_message(self, text: str) -> None:
        self._message.setText(text)

    def _usernames(self) -> dict[int, str]:
        model = self.model
        return {
            model.status_at(row).user.id: model.status_at(row).user.username
            for row in range(model.rowCount())
        }


def recent_event_label(event: StoredAuditEvent, usernames: dict[int, str] | None = None) -> str:
    """Describe an enrolment event, such as "04 Dec 2026 12:00 · olivia · … · by sam"."""
    action = _ACTION_LABELS.get(event.action, event.action)
    if event.outcome != "success":
        action = f"{action} ({event.outcome})"
    who = event.target
    if usernames and who.startswith("user:") and who[5:].isdigit():
        who = usernames.get(int(who[5:]), who)
    return f"{local_date_time(event.occurred_at)} · {who} · {action} · by {event.actor}"

"""One opened application: an overview and, for those allowed, Security details."""

import logging
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.entities import ApplicationSummary, Environment, SecurityDetails
from desktop.domain.errors import (
    ConflictError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StepUpRequired,
    StorageError,
)
from desktop.services.ports import Draft
from desktop.services.security_details import SecurityDetailsService
from desktop.services.session import SignedInSession
from desktop.ui.clipboard import SecretClipboard
from desktop.ui.credentials_editor import CredentialsEditor
from desktop.ui.timers import TimerFactory
from desktop.ui.unlock_monitor import UnlockMonitor
from desktop.ui.widgets import action_button, buddy_label

log = logging.getLogger(__name__)

SECURITY_DETAILS = "Security details"

StepUpPrompt = Callable[[str], bool]
"""Shows the step-up dialog with a reason; True once the session is unlocked."""


class SecurityDetailsPanel(QStackedWidget):
    """Shows a locked page until the service hands over the details."""

    AUTOSAVE_MS = 10_000
    """How often unsaved edits are kept as a draft, so a crash loses little."""

    def __init__(
        self,
        application: ApplicationSummary,
        security: SecurityDetailsService,
        session: SignedInSession,
        monitor: UnlockMonitor,
        clipboard: SecretClipboard,
        prompt_step_up: StepUpPrompt,
        timers: TimerFactory,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._application = application
        self._security = security
        self._session = session
        self._monitor = monitor
        self._prompt_step_up = prompt_step_up

        self._locked_page = QWidget()
        locked_layout = QVBoxLayout(self._locked_page)
        self._locked_text = QLabel()
        self._locked_text.setWordWrap(True)
        self._locked_text.setAccessibleName("Security details status")
        self._unlock_button = QPushButton("&Unlock security details…")
        self._unlock_button.setAccessibleName("Unlock security details")
        # clicked passes a "checked" flag, which must not reach offer_draft.
        self._unlock_button.clicked.connect(lambda: self.open_details())
        locked_layout.addWidget(self._locked_text)
        locked_layout.addWidget(self._unlock_button)
        locked_layout.addStretch()

        self.editor = CredentialsEditor(security, session, clipboard, self.guarded)
        self.editor.lock_requested.connect(monitor.lock_now)
        self.addWidget(self._locked_page)
        self.addWidget(self.editor)
        self._autosave = timers.repeating(self.AUTOSAVE_MS, self.keep_draft, self)
        monitor.locked.connect(self.lock)
        self._set_locked("Security details are locked.")

    @property
    def is_unlocked(self) -> bool:
        return self.currentWidget() is self.editor

    @property
    def application(self) -> ApplicationSummary:
        return self._application

    def open_details(self, offer_draft: bool = True) -> bool:
        details = self.guarded(lambda: self._security.load(self._session, self._application.id))
        if not isinstance(details, SecurityDetails):
            return False
        self.editor.show_details(details)
        self.setCurrentWidget(self.editor)
        self._autosave.start()
        required_from = self._security.step_up_required_from(self._application.id)
        if required_from is not None:
            self.editor.show_notice(
                "Verification with an authenticator app is not required here yet. It will "
                f"be from {required_from.astimezone():%d %B %Y at %H:%M}: set it up now "
                "under Account → Set up authenticator."
            )
        if offer_draft:
            draft = self.guarded(
                lambda: self._security.load_draft(self._session, self._application.id)
            )
            if isinstance(draft, Draft):
                self.editor.offer_draft(draft)
        self._monitor.refresh()
        return True

    def guarded(self, call: Callable[[], object]) -> object:
        """Run a service call, asking for step-up once if the service requires it.

        When the window has ended, secrets are wiped before the prompt. After a
        new verification the editor reopens with the user's unsaved edits, and
        the call runs again. Returns None when refused or cancelled.
        """
        for attempt in range(2):
            try:
                return call()
            except StepUpRequired:
                was_open = self.is_unlocked
                edits = self.editor.edits() if self.editor.is_dirty() else None
                self.lock()
                if attempt == 1 or not self._prompt_step_up(
                    f"{self._application.team_name} / {self._application.name} "
                    f"({self._application.environment.value}) needs a fresh verification."
                ):
                    return None
                self._monitor.refresh()
                reopened = was_open and self.open_details(offer_draft=edits is None)
                if reopened and edits is not None:
                    self.editor.restore_edits(*edits)
            except (PermissionDenied, NotFound) as error:
                log.warning(
                    "Security details of application %s denied: %s",
                    self._application.id,
                    type(error).__name__,
                )
                self._autosave.stop()
                self._set_locked(str(error))
                self._unlock_button.setEnabled(False)
                self.editor.wipe()
                return None
        return None

    def keep_draft(self) -> None:
        """Store unsaved non-secret edits as a draft of this user; no step-up needed."""
        details = self.editor.details
        if details is None or not self.editor.is_dirty():
            return
        public_key, urls = self.editor.edits()
        try:
            self._security.save_draft(
                self._session, self._application.id, details.version, public_key, urls
            )
        except (PermissionDenied, NotFound, StorageError) as error:
            log.warning("Keeping a draft of application %s failed: %s", self._application.id, error)

    def lock(self) -> None:
        self._autosave.stop()
        self.keep_draft()
        self.editor.wipe()
        self._set_locked("Security details are locked. Unlock them to see or change them.")

    def _set_locked(self, text: str) -> None:
        self._locked_text.setText(text)
        self.setCurrentWidget(self._locked_page)


class ApplicationTab(QWidget):
    environment_changed = Signal(object)
    """Emitted with the updated ApplicationSummary after a move."""

    def __init__(
        self,
        application: ApplicationSummary,
        security: SecurityDetailsService,
        session: SignedInSession,
        monitor: UnlockMonitor,
        clipboard: SecretClipboard,
        prompt_step_up: StepUpPrompt,
        timers: TimerFactory,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.application = application
        self.setAccessibleName(f"{application.team_name} / {application.name}")
        self.sections = QTabWidget()
        self.sections.setAccessibleName("Application sections")
        self._security = security
        self._session = session
        self._prompt_step_up = prompt_step_up
        may_open = security.may_open(session, application.id)
        self.sections.addTab(self._overview(application, may_open), "&Overview")
        self.security_panel: SecurityDetailsPanel | None = None
        # The role check happens in the service; a viewer gets no tab at all.
        if may_open:
            self.security_panel = SecurityDetailsPanel(
                application, security, session, monitor, clipboard, prompt_step_up, timers
            )
            self.security_panel.setAccessibleName(SECURITY_DETAILS)
            index = self.sections.addTab(self.security_panel, "Security &details")
            self.sections.tabBar().setAccessibleTabName(index, SECURITY_DETAILS)
        self.sections.currentChanged.connect(self._section_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.sections)

    def show_security_details(self) -> None:
        if self.security_panel is not None:
            self.sections.setCurrentWidget(self.security_panel)

    def _section_changed(self, index: int) -> None:
        panel = self.security_panel
        if panel is not None and self.sections.widget(index) is panel and not panel.is_unlocked:
            panel.open_details()

    def _overview(self, application: ApplicationSummary, may_change: bool) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for label, value in (
            ("Team:", application.team_name),
            ("Application:", application.name),
            ("Status:", application.status.capitalize()),
        ):
            field = QLabel(value)
            field.setAccessibleName(label.rstrip(":"))
            form.addRow(label, field)

        self.environment_label = QLabel(application.environment.value.capitalize())
        self.environment_label.setAccessibleName("Environment")
        form.addRow("Environment:", self.environment_label)

        if may_change:
            self._environment_choice = QComboBox()
            self._environment_choice.setAccessibleName("New environment")
            for environment in Environment:
                self._environment_choice.addItem(environment.value.capitalize(), environment)
            self._environment_choice.setCurrentIndex(
                list(Environment).index(application.environment)
            )
            change = action_button(
                "C&hange environment…", "Change environment", self._change_environment
            )
            row = QHBoxLayout()
            row.addWidget(self._environment_choice)
            row.addWidget(change)
            row.addStretch()
            form.addRow(buddy_label("&Move to:", self._environment_choice), row)

        self.overview_message = QLabel()
        self.overview_message.setAccessibleName("Overview message")
        self.overview_message.setWordWrap(True)
        form.addRow(self.overview_message)
        return page

    def _change_environment(self) -> None:
        # Qt hands a str-based enum back as a plain str, so convert it again.
        target = Environment(self._environment_choice.currentData())
        if target is self.application.environment:
            return
        answer = QMessageBox.question(
            self,
            "Change environment",
            f"Move {self.application.team_name} / {self.application.name} from "
            f"{self.application.environment.value} to {target.value}? Step-up rules "
            "follow the new environment.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        for attempt in range(2):
            try:
                moved = self._security.change_environment(
                    self._session, self.application.id, target
                )
            except StepUpRequired:
                if attempt == 1 or not self._prompt_step_up(
                    "Changing an application's environment needs a fresh verification."
                ):
                    return
                continue
            except (PermissionDenied, NotFound, InvalidInput, ConflictError, StorageError) as error:
                self.overview_message.setText(str(error))
                return
            self.application = moved
            self.environment_label.setText(moved.environment.value.capitalize())
            self.overview_message.setText(f"Moved to {moved.environment.value}.")
            self.environment_changed.emit(moved)
            return

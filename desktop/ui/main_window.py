"""The workspace: a sidebar of teams and applications, application tabs, a status bar."""

import logging
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.domain.entities import ApplicationSummary
from desktop.domain.errors import InvalidInput, NotFound, PermissionDenied, StepUpRequired
from desktop.domain.roles import GlobalRole
from desktop.services.bundle import Services
from desktop.services.session import SignedInSession
from desktop.ui.application_tab import ApplicationTab
from desktop.ui.capture import CaptureGuard, NoCaptureGuard, platform_capture_guard
from desktop.ui.clipboard import SecretClipboard
from desktop.ui.models import ApplicationRole, ApplicationsModel, TeamsModel, TeamsRole
from desktop.ui.policy_dialog import PolicyDialog
from desktop.ui.session_lock import SessionLockSource, platform_session_lock_source
from desktop.ui.step_up_dialog import StepUpDialog
from desktop.ui.timers import TimerFactory
from desktop.ui.unlock_monitor import UnlockMonitor
from desktop.ui.users_panel import UsersPanel

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    sign_out_requested = Signal()

    def __init__(
        self,
        services: Services,
        session: SignedInSession,
        timers: TimerFactory,
        lock_source: SessionLockSource | None = None,
        capture_guard: CaptureGuard | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._session = session
        self._timers = timers
        self._lock_source = lock_source or platform_session_lock_source()
        self._capture_guard = capture_guard or platform_capture_guard()
        self.setWindowTitle(f"{APP_NAME} – {session.user.display_name}")
        self.monitor = UnlockMonitor(session, timers, self)
        self.clipboard = SecretClipboard(timers, self)
        self.monitor.locked.connect(self.clipboard.clear)

        self.teams_model = TeamsModel(services.browse, session, parent=self)
        self.applications_model = ApplicationsModel(services.browse, session, parent=self)

        self.notices = QLabel("\n".join(session.notices))
        self.notices.setAccessibleName("Account notices")
        self.notices.setWordWrap(True)
        self.notices.setStyleSheet(
            "QLabel { background: palette(alternate-base); border: 1px solid palette(mid); "
            "padding: 6px; }"
        )
        self.notices.setVisible(bool(session.notices))

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Open applications")
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self._close_tab)

        main_area = QWidget()
        main_layout = QVBoxLayout(main_area)
        main_layout.setContentsMargins(0, 0, 0, 0)
        main_layout.addWidget(self.notices)
        # The key belongs to the database, so the administrator is asked to back it up.
        if (
            services.new_key_location is not None
            and not services.is_demo
            and session.user.global_role is GlobalRole.ADMINISTRATOR
        ):
            main_layout.addWidget(self._key_backup_banner(services.new_key_location))
        main_layout.addWidget(self.tabs, 1)
        splitter = QSplitter()
        splitter.addWidget(self._sidebar())
        splitter.addWidget(main_area)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 700])
        self.setCentralWidget(splitter)
        self._build_menus()
        self._build_status_bar()

        self.monitor.remaining_changed.connect(self._show_remaining)
        self.monitor.unlocked.connect(self._update_capture)
        self.monitor.locked.connect(self._update_capture)
        self.clipboard.remaining_changed.connect(self._show_clipboard_countdown)
        self.teams_model.loading_failed.connect(self._show_loading_error)
        self.applications_model.loading_failed.connect(self._show_loading_error)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.monitor)
        self.monitor.refresh()
        self.session_lock_watched = self._lock_source.start(self, self._on_session_locked)

    # Construction

    def _key_backup_banner(self, location: str) -> QWidget:
        self.key_backup_banner = QWidget()
        text = QLabel(
            f"A new data key was created and stored in {location}. Without it the "
            "secrets in this database cannot be read: save a backup copy somewhere safe."
        )
        text.setWordWrap(True)
        text.setAccessibleName("Key backup notice")
        save = QPushButton("Save a &backup of the key…")
        save.setAccessibleName("Save key backup")
        save.clicked.connect(lambda: self.save_key_backup())
        row = QHBoxLayout(self.key_backup_banner)
        row.addWidget(text, 1)
        row.addWidget(save)
        return self.key_backup_banner

    def save_key_backup(self, path: Path | None = None) -> bool:
        if path is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "Save a backup of the data key", "stepdesk-data-key.key"
            )
            if not name:
                return False
            path = Path(name)
        for attempt in range(2):
            try:
                self._services.policy.save_key_backup(self._session, path)
                break
            except StepUpRequired:
                reason = "Saving a copy of the data key needs a fresh verification."
                if attempt == 1 or not self.prompt_step_up(reason):
                    return False
            except (InvalidInput, PermissionDenied) as error:
                QMessageBox.warning(self, APP_NAME, str(error))
                return False
        self.statusBar().showMessage(f"Key backup saved to {path}.")
        self.key_backup_banner.hide()
        return True

    def _sidebar(self) -> QWidget:
        self.teams_view = QTreeView()
        self.teams_view.setAccessibleName("Teams")
        self.teams_view.setModel(self.teams_model)
        self.teams_view.setHeaderHidden(True)
        self.teams_view.activated.connect(self._team_item_activated)

        self.filter_field = QLineEdit()
        self.filter_field.setAccessibleName("Filter applications")
        self.filter_field.setPlaceholderText("Filter applications by name or team")
        self.filter_field.setClearButtonEnabled(True)
        self.filter_field.textChanged.connect(self.applications_model.set_filter_text)
        filter_label = QLabel("&Filter:")
        filter_label.setBuddy(self.filter_field)

        self.applications_view = QTableView()
        self.applications_view.setAccessibleName("Applications")
        self.applications_view.setModel(self.applications_model)
        self.applications_view.setSortingEnabled(True)
        self.applications_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.applications_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.applications_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.applications_view.verticalHeader().hide()
        self.applications_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.applications_view.horizontalHeader().setStretchLastSection(True)
        self.applications_view.activated.connect(self._application_activated)

        teams_label = QLabel("&Teams")
        teams_label.setBuddy(self.teams_view)
        applications_label = QLabel("&Applications")
        applications_label.setBuddy(self.applications_view)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(teams_label)
        top_layout.addWidget(self.teams_view)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(applications_label)
        bottom_layout.addWidget(filter_label)
        bottom_layout.addWidget(self.filter_field)
        bottom_layout.addWidget(self.applications_view)

        browse = QSplitter(Qt.Orientation.Vertical)
        browse.addWidget(top)
        browse.addWidget(bottom)
        browse.setSizes([250, 450])

        self.users_panel: UsersPanel | None = None
        if self._session.user.global_role is GlobalRole.SUPPORT:
            # Showing the panel is a convenience; the service checks the role at each call.
            sidebar = QTabWidget()
            sidebar.setAccessibleName("Sidebar")
            sidebar.addTab(browse, "&Browse")
            self.users_panel = UsersPanel(
                self._services.support, self._session, self.prompt_step_up
            )
            sidebar.addTab(self.users_panel, "U&sers")
            return sidebar
        browse.setAccessibleName("Sidebar")
        return browse

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.lock_action = QAction("&Lock now", self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.monitor.lock_now)
        sign_out = QAction("Sign &out", self)
        sign_out.setShortcut(QKeySequence("Ctrl+Shift+Q"))
        sign_out.triggered.connect(self.sign_out_requested)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addActions([self.lock_action, sign_out])
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        account_menu = self.menuBar().addMenu("&Account")
        self.enrol_action = QAction("Set up &authenticator…", self)
        self.enrol_action.triggered.connect(self.set_up_authenticator)
        self.enrol_action.setEnabled(not self._services.stepup.status(self._session).enrolled)
        account_menu.addAction(self.enrol_action)
        self.capture_action = QAction("Allow screen &sharing", self)
        self.capture_action.setCheckable(True)
        self.capture_action.setToolTip(
            "Let screen sharing tools show windows with secrets, for remote support"
        )
        self.capture_action.toggled.connect(self.set_screen_capture)
        if isinstance(self._capture_guard, NoCaptureGuard):
            self.capture_action.setEnabled(False)
            self.capture_action.setToolTip(
                "Windows showing secrets can be kept out of screen capture only on Windows"
            )
        account_menu.addAction(self.capture_action)

        if self._session.user.global_role is GlobalRole.ADMINISTRATOR:
            administration = self.menuBar().addMenu("Ad&ministration")
            self.policy_action = QAction("Step-up &policy…", self)
            self.policy_action.triggered.connect(self.edit_policy)
            administration.addAction(self.policy_action)

        view_menu = self.menuBar().addMenu("&View")
        find = QAction("&Find application", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self.filter_field.setFocus)
        close_tab = QAction("&Close tab", self)
        close_tab.setShortcut(QKeySequence.StandardKey.Close)
        close_tab.triggered.connect(lambda: self._close_tab(self.tabs.currentIndex()))
        view_menu.addActions([find, close_tab])

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        user = self._session.user
        self.user_label = QLabel(f"Signed in as {user.display_name} ({user.username})")
        self.user_label.setAccessibleName("Signed-in user")
        database = QLabel(self._services.database_name)
        database.setAccessibleName("Database")
        bar.addWidget(self.user_label)
        bar.addWidget(database)

        if self._services.is_demo:
            badge = QLabel(" DEMO ")
            badge.setAccessibleName("Demo database")
            badge.setToolTip("This is a demo database with published passwords.")
            badge.setStyleSheet(
                "QLabel { background: #b35c00; color: white; font-weight: bold; "
                "border-radius: 3px; }"
            )
            bar.addWidget(badge)

        self.step_up_label = QLabel()
        self.step_up_label.setAccessibleName("Step-up state")
        self.countdown = QLabel()
        self.countdown.setAccessibleName("Unlock time remaining")
        self.clipboard_label = QLabel()
        self.clipboard_label.setAccessibleName("Clipboard countdown")
        self.sharing_label = QLabel("Screen sharing allowed")
        self.sharing_label.setAccessibleName("Screen sharing")
        self.sharing_label.setVisible(False)

        bar.addPermanentWidget(self.sharing_label)
        bar.addPermanentWidget(self.clipboard_label)
        bar.addPermanentWidget(self.step_up_label)
        bar.addPermanentWidget(self.countdown)

    # Behaviour

    def _show_remaining(self, remaining: timedelta) -> None:
        if remaining > timedelta(0):
            seconds = int(remaining.total_seconds())
            self.step_up_label.setText("Unlocked")
            self.countdown.setText(f"{seconds // 60:02d}:{seconds % 60:02d}")
            self.countdown.setToolTip("Time until security details lock again")
        else:
            self.step_up_label.setText("Locked")
            self.countdown.setText("")

    def set_screen_capture(self, allowed: bool) -> None:
        self._services.auth.set_screen_capture(self._session, allowed)
        self.sharing_label.setVisible(allowed)
        self._update_capture()

    def _update_capture(self) -> None:
        """Keep this window out of screen capture while secrets may be on it."""
        exclude = self._session.unlock.is_open() and not self._session.allow_screen_capture
        self._capture_guard.set_excluded(self, exclude)

    def _show_clipboard_countdown(self, seconds: int) -> None:
        self.clipboard_label.setText(f"Clipboard clears in {seconds} s" if seconds else "")

    def set_up_authenticator(self) -> None:
        """Enrol before step-up is first needed; the dialog also unlocks the session."""
        if self._services.stepup.status(self._session).enrolled:
            self.enrol_action.setEnabled(False)
            return
        self.prompt_step_up("Set up an authenticator app now, so it is ready when you need it.")
        self.enrol_action.setEnabled(not self._services.stepup.status(self._session).enrolled)

    def edit_policy(self) -> None:
        dialog = PolicyDialog(self._services.policy, self._session, self.prompt_step_up, self)
        try:
            if dialog.exec() == PolicyDialog.DialogCode.Accepted:
                self.statusBar().showMessage("The step-up policy was saved.", 10_000)
        finally:
            dialog.deleteLater()

    def _on_session_locked(self) -> None:
        log.info("Locking because the operating system session was locked")
        self.monitor.lock_now()

    def _show_loading_error(self, message: str) -> None:
        # Shown without a modal box: this runs while a view is fetching rows.
        self.statusBar().showMessage(message)

    def prompt_step_up(self, reason: str) -> bool:
        dialog = StepUpDialog(self._services.stepup, self._session, reason, self)
        # The enrolment QR code is a secret too.
        if not self._session.allow_screen_capture:
            self._capture_guard.set_excluded(dialog, True)
        try:
            verified = dialog.exec() == StepUpDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()
        self.monitor.refresh()
        self.enrol_action.setEnabled(not self._services.stepup.status(self._session).enrolled)
        return verified

    def _team_item_activated(self, index: QModelIndex) -> None:
        application = index.data(TeamsRole.SUMMARY)
        if isinstance(application, ApplicationSummary):
            self.open_application(application)

    def _application_activated(self, index: QModelIndex) -> None:
        application = index.data(ApplicationRole.SUMMARY)
        if isinstance(application, ApplicationSummary):
            self.open_application(application)

    def open_application(self, application: ApplicationSummary) -> ApplicationTab:
        for index in range(self.tabs.count()):
            tab = self.tabs.widget(index)
            if isinstance(tab, ApplicationTab) and tab.application.id == application.id:
                self.tabs.setCurrentIndex(index)
                return tab
        tab = ApplicationTab(
            application,
            self._services.security,
            self._session,
            self.monitor,
            self.clipboard,
            self.prompt_step_up,
            self._timers,
        )
        index = self.tabs.addTab(tab, "")
        self._set_tab_title(tab)
        tab.environment_changed.connect(lambda _moved: self._application_moved(tab))
        self.tabs.setCurrentIndex(index)
        log.debug("Opened application %s", application.id)
        return tab

    def _set_tab_title(self, tab: ApplicationTab) -> None:
        application = tab.application
        title = f"{application.name} ({application.environment.value})"
        index = self.tabs.indexOf(tab)
        self.tabs.setTabText(index, title)
        self.tabs.setTabToolTip(index, f"{application.team_name} / {title}")

    def _application_moved(self, tab: ApplicationTab) -> None:
        self._set_tab_title(tab)
        if tab.security_panel is not None:
            tab.security_panel.lock()
        self.applications_model.refresh()
        self.teams_model.refresh()

    def open_reference(self, reference: str) -> ApplicationTab | None:
        """Open `TEAM/APPLICATION[@ENVIRONMENT]`, asking which one when several match."""
        try:
            matches = self._services.browse.resolve(self._session, reference)
        except (NotFound, InvalidInput) as error:
            QMessageBox.warning(self, APP_NAME, str(error))
            return None
        chosen = matches[0]
        if len(matches) > 1:
            labels = [f"{m.team_name} / {m.name} ({m.environment.value})" for m in matches]
            label, ok = QInputDialog.getItem(
                self, APP_NAME, f"Several applications match '{reference}'. Open:", labels, 0, False
            )
            if not ok:
                return None
            chosen = matches[labels.index(label)]
        return self.open_application(chosen)

    def _close_tab(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if tab is None:
            return
        self.tabs.removeTab(index)
        if isinstance(tab, ApplicationTab) and tab.security_panel is not None:
            tab.security_panel.lock()
        tab.deleteLater()

    def lock_and_clear(self) -> None:
        """Lock the session and wipe every secret, as sign-out and quit require."""
        self.monitor.lock_now()
        self.clipboard.clear()
        self.monitor.stop()
        self._capture_guard.set_excluded(self, False)
        self._lock_source.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.monitor)
        while self.tabs.count():
            self._close_tab(0)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.lock_and_clear()
        super().closeEvent(event)

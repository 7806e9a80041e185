"""The first-run chooser: what to open when there is no database yet."""

import logging
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.settings import DatabaseChoice
from desktop.ui.application import HEADLESS_PLATFORMS, ensure_application

log = logging.getLogger(__name__)

DATABASE_FILE_FILTER = "StepDesk databases (*.sqlite3 *.sqlite *.db);;All files (*)"


class FirstRunDialog(QDialog):
    """Offers the demo database, an existing database file or a database URL.

    After `accept()`, `choice` contains what the person picked.
    """

    def __init__(self, default_database: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._default_database = default_database
        self.choice: DatabaseChoice | None = None
        self.setWindowTitle(f"Choose a database – {APP_NAME}")

        intro = QLabel(
            f"{APP_NAME} has no database yet: the default database file "
            f"{default_database} does not exist."
        )
        intro.setAccessibleName("No database yet")
        intro.setWordWrap(True)
        options = QLabel(
            "• <b>Create the demo database</b> to try "
            f"{APP_NAME} with sample teams and the published demo passwords.<br>"
            "• <b>Open a database file</b> that another StepDesk already uses.<br>"
            "• <b>Connect to a database URL</b> of a shared PostgreSQL database."
        )
        options.setAccessibleName("Database options")
        options.setWordWrap(True)

        buttons = QDialogButtonBox()
        demo_button = buttons.addButton(
            "Create the &demo database", QDialogButtonBox.ButtonRole.AcceptRole
        )
        demo_button.setAccessibleName("Create the demo database")
        demo_button.setDefault(True)
        demo_button.clicked.connect(self._choose_demo)
        file_button = buttons.addButton(
            "Open a database &file…", QDialogButtonBox.ButtonRole.ActionRole
        )
        file_button.setAccessibleName("Open a database file…")
        file_button.setAutoDefault(False)
        file_button.clicked.connect(self._choose_file)
        url_button = buttons.addButton(
            "Connect to a database &URL…", QDialogButtonBox.ButtonRole.ActionRole
        )
        url_button.setAccessibleName("Connect to a database URL…")
        url_button.setAutoDefault(False)
        url_button.clicked.connect(self._choose_url)
        quit_button = buttons.addButton("&Quit", QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.setAccessibleName("Quit")
        quit_button.setAutoDefault(False)
        quit_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(options)
        layout.addWidget(buttons)
        demo_button.setFocus()

    def _choose_demo(self) -> None:
        self._finish(DatabaseChoice(None, demo=True))

    def _choose_file(self) -> None:
        start = self._default_database.parent
        path, _filter = QFileDialog.getOpenFileName(
            self,
            f"Open a database file – {APP_NAME}",
            str(start if start.is_dir() else Path.home()),
            DATABASE_FILE_FILTER,
        )
        if path:
            self._finish(DatabaseChoice(path))

    def _choose_url(self) -> None:
        dialog = DatabaseUrlDialog(self)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                self._finish(DatabaseChoice(dialog.url()))
        finally:
            dialog.deleteLater()

    def _finish(self, choice: DatabaseChoice) -> None:
        self.choice = choice
        log.debug(
            "First-run choice: demo %s, location given %s", choice.demo, bool(choice.database)
        )
        self.accept()


class DatabaseUrlDialog(QDialog):
    """Asks for the URL of a shared database."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Connect to a database – {APP_NAME}")

        self._url = QLineEdit()
        self._url.setAccessibleName("Database URL")
        self._url.setPlaceholderText("postgresql://desk@db.example.co.uk/stepdesk")
        label = QLabel("Database &URL:")
        label.setBuddy(self._url)
        hint = QLabel(
            "A URL such as postgresql://USER@HOST/DATABASE. Keep the password in the "
            f"PostgreSQL password file (pgpass) rather than in the URL: {APP_NAME} "
            "remembers the URL without its password."
        )
        hint.setAccessibleName("Database URL help")
        hint.setWordWrap(True)
        self._message = QLabel()
        self._message.setAccessibleName("Database URL message")
        self._message.setWordWrap(True)
        self._message.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        connect_button = buttons.addButton("&Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        connect_button.setAccessibleName("Connect")
        connect_button.setDefault(True)
        cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel_button.setAccessibleName("Cancel")
        cancel_button.setAutoDefault(False)
        buttons.accepted.connect(self._try_accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self._url)
        layout.addWidget(hint)
        layout.addWidget(self._message)
        layout.addWidget(buttons)
        self._url.setFocus()

    def url(self) -> str:
        return self._url.text().strip()

    def _try_accept(self) -> None:
        # The full check (a known dialect, a valid URL) happens when the
        # database is opened; this only catches a path typed by mistake.
        if "://" not in self.url():
            self._message.setText(
                "Enter a URL that contains ://, such as postgresql://desk@db.example.co.uk/"
                "stepdesk. To open a file, cancel and choose Open a database file."
            )
            self._message.show()
            self._url.setFocus()
            return
        self.accept()


def ask_for_database(default_database: Path) -> DatabaseChoice | None:
    """Show the first-run chooser and return the choice, or None if the person quits.

    On a headless platform it returns None at once, because a dialog there
    could never be closed.
    """
    app = ensure_application()
    if app.platformName() in HEADLESS_PLATFORMS:
        return None
    dialog = FirstRunDialog(default_database)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.choice
    finally:
        dialog.deleteLater()

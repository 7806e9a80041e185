"""The sign-in dialog."""

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.domain.errors import AuthenticationFailed, InvalidInput, StorageError
from desktop.services.auth import AuthService
from desktop.services.session import SignedInSession

log = logging.getLogger(__name__)


class SignInDialog(QDialog):
    signed_in = Signal(object)
    """Emitted with the SignedInSession after a successful sign-in."""

    def __init__(
        self, auth: AuthService, database_name: str, is_demo: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._auth = auth
        self.session: SignedInSession | None = None
        self.setWindowTitle(f"Sign in – {APP_NAME}")

        intro = QLabel(f"Sign in to {APP_NAME}.")
        database = QLabel(("DEMO database: " if is_demo else "Database: ") + database_name)
        database.setWordWrap(True)
        database.setAccessibleName("Database")

        self._username = QLineEdit()
        self._username.setAccessibleName("Username")
        self._password = QLineEdit()
        self._password.setEchoMode(QLineEdit.EchoMode.Password)
        self._password.setAccessibleName("Password")

        form = QFormLayout()
        username_label = QLabel("&Username:")
        username_label.setBuddy(self._username)
        password_label = QLabel("&Password:")
        password_label.setBuddy(self._password)
        form.addRow(username_label, self._username)
        form.addRow(password_label, self._password)

        self._message = QLabel()
        self._message.setAccessibleName("Sign-in message")
        self._message.setWordWrap(True)
        self._message.setStyleSheet("font-weight: bold;")
        self._message.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._sign_in_button = buttons.addButton("&Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self._sign_in_button.setAccessibleName("Sign in")
        self._sign_in_button.setDefault(True)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        buttons.accepted.connect(self._try_sign_in)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(database)
        layout.addLayout(form)
        layout.addWidget(self._message)
        layout.addWidget(buttons)
        self._username.setFocus()

    def _try_sign_in(self) -> None:
        try:
            session = self._auth.sign_in(self._username.text(), self._password.text())
        except (AuthenticationFailed, InvalidInput, StorageError) as error:
            self._show_message(str(error))
            self._password.clear()
            self._password.setFocus()
            return
        self.session = session
        self._password.clear()
        # Accept first: a receiver may run a nested dialog and delete this one.
        self.accept()
        self.signed_in.emit(session)

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.show()
        # Make room for the message instead of squeezing the fields.
        layout = self.layout()
        if layout is not None:
            height = layout.totalHeightForWidth(self.width())
            if height > self.height():
                self.resize(self.width(), height)

"""The credentials editor: API key and secret, public key and callback URLs.

No widget here decides that a secret may be shown. The masked secret field
is empty until `Show secret` fetches the value from the service, which
checks the role and the unlock window and audits the release. Locking
empties every field and its undo history.
"""

import logging
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.callbacks import check_callback_url
from desktop.domain.entities import SecurityDetails
from desktop.domain.errors import ConflictError, InvalidInput, StorageError
from desktop.services.security_details import SecurityDetailsService
from desktop.services.session import SignedInSession
from desktop.ui.clipboard import SecretClipboard

log = logging.getLogger(__name__)

SECRET_PLACEHOLDER = "•••••••• hidden – use Show secret"  # noqa: S105 - display text


class CredentialsEditor(QWidget):
    """Edits one application's security details while the session is unlocked."""

    lock_requested = Signal()

    def __init__(
        self,
        security: SecurityDetailsService,
        session: SignedInSession,
        clipboard: SecretClipboard,
        guard: Callable[[Callable[[], object]], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._security = security
        self._session = session
        self._clipboard = clipboard
        self._guard = guard
        self._details: SecurityDetails | None = None
        self._secret_shown = False

        self._api_key = QLineEdit()
        self._api_key.setReadOnly(True)
        self._api_key.setAccessibleName("API key")
        self._secret = QLineEdit()
        self._secret.setReadOnly(True)
        self._secret.setAccessibleName("API secret")
        self._secret.setPlaceholderText(SECRET_PLACEHOLDER)
        self._show = QPushButton("S&how secret")
        self._show.setAccessibleName("Show secret")
        self._show.clicked.connect(self._toggle_secret)
        self._copy = QPushButton("&Copy secret")
        self._copy.setAccessibleName("Copy secret")
        self._copy.clicked.connect(self._copy_secret)

        self._public_key = QPlainTextEdit()
        self._public_key.setAccessibleName("Public key")
        self._public_key.setPlaceholderText(
            "Paste the application's public key: a JWKS document or a PEM RSA public key."
        )
        self._callbacks = QPlainTextEdit()
        self._callbacks.setAccessibleName("Callback URLs")
        self._callbacks.setPlaceholderText("One URL per line, such as https://app.example/callback")

        self._message = QLabel()
        self._message.setAccessibleName("Editor message")
        self._message.setWordWrap(True)
        self._message.hide()

        self._save = QPushButton("&Save")
        self._save.setAccessibleName("Save")
        self._save.clicked.connect(self._save_changes)
        self._lock = QPushButton("&Lock now")
        self._lock.setAccessibleName("Lock now")
        self._lock.clicked.connect(self.lock_requested)

        secret_row = QHBoxLayout()
        secret_row.addWidget(self._secret, 1)
        secret_row.addWidget(self._show)
        secret_row.addWidget(self._copy)

        form = QFormLayout()
        form.addRow(_buddy("API &key:", self._api_key), self._api_key)
        form.addRow(_buddy("API s&ecret:", self._secret), secret_row)
        form.addRow(_buddy("&Public key:", self._public_key), self._public_key)
        form.addRow(_buddy("Call&back URLs:", self._callbacks), self._callbacks)

        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self._lock)
        buttons.addWidget(self._save)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._message)
        layout.addLayout(buttons)

    def show_details(self, details: SecurityDetails) -> None:
        self._details = details
        active = [key for key in details.api_keys if key.is_active]
        self._api_key.setText(active[0].client_id if active else "")
        self._hide_secret()
        self._public_key.setPlainText(details.public_key)
        self._callbacks.setPlainText("\n".join(details.callback_urls))
        self._show.setEnabled(bool(active))
        self._copy.setEnabled(bool(active))
        self._message.hide()

    def wipe(self) -> None:
        """Empty every field; setText and setPlainText also drop the undo history."""
        self._details = None
        self._hide_secret()
        self._api_key.setText("")
        self._public_key.setPlainText("")
        self._callbacks.setPlainText("")
        self._message.hide()

    def _active_key_id(self) -> int | None:
        if self._details is None:
            return None
        active = [key for key in self._details.api_keys if key.is_active]
        return active[0].id if active else None

    def _toggle_secret(self) -> None:
        if self._secret_shown:
            self._hide_secret()
            return
        key_id = self._active_key_id()
        if key_id is None:
            return
        secret = self._guard(lambda: self._security.reveal_secret(self._session, key_id, "show"))
        if isinstance(secret, str):
            self._secret.setText(secret)
            self._secret_shown = True
            self._show.setText("&Hide secret")

    def _hide_secret(self) -> None:
        self._secret.setText("")
        self._secret_shown = False
        self._show.setText("S&how secret")

    def _copy_secret(self) -> None:
        key_id = self._active_key_id()
        if key_id is None:
            return
        secret = self._guard(lambda: self._security.reveal_secret(self._session, key_id, "copy"))
        if isinstance(secret, str):
            self._clipboard.copy(secret)
            self._show_message("The secret was copied. The clipboard is cleared in 20 seconds.")

    def callback_problems(self) -> list[str]:
        urls = [line for line in self._callbacks.toPlainText().splitlines() if line.strip()]
        return [check.error for check in map(check_callback_url, urls) if check.error]

    def _save_changes(self) -> None:
        details = self._details
        if details is None:
            return
        problems = self.callback_problems()
        if problems:
            self._show_message("Not saved. " + " ".join(problems))
            return
        urls = self._callbacks.toPlainText().splitlines()
        public_key = self._public_key.toPlainText()
        try:
            saved = self._guard(
                lambda: self._security.save(
                    self._session, details.application.id, details.version, public_key, urls
                )
            )
        except (InvalidInput, ConflictError, StorageError) as error:
            self._show_message(str(error))
            return
        if isinstance(saved, SecurityDetails):
            self.show_details(saved)
            warnings = [
                check.warning
                for check in map(check_callback_url, saved.callback_urls)
                if check.warning
            ]
            self._show_message(" ".join(["Saved.", *warnings]))

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.show()


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label

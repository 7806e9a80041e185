"""The credentials editor: API keys, the public key and callback URLs.

No widget here decides that a secret may be shown. The masked secret field
is empty until `Show secret` fetches the value from the service, which
checks the role and the unlock window and audits the release. Locking
empties every field and its undo history.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.entities import ApiKeyInfo, SecurityDetails
from desktop.domain.errors import ConflictError, InvalidInput, NotFound, StorageError
from desktop.security.public_keys import JWKS_CACHE_NOTE, parse_public_key_input
from desktop.services.ports import Draft
from desktop.services.security_details import SaveResult, SecurityDetailsService
from desktop.services.session import SignedInSession
from desktop.ui.api_keys_model import ApiKeysModel
from desktop.ui.callback_list import CallbackUrlList
from desktop.ui.clipboard import SecretClipboard
from desktop.ui.editor_dialogs import ConflictDialog, FieldChoice, RegenerateDialog, describe
from desktop.ui.widgets import action_button, buddy_label

log = logging.getLogger(__name__)

SECRET_PLACEHOLDER = "•••••••• hidden – use Show secret"  # noqa: S105 - display text
PUBLIC_KEY_FIELD = "Public key"
CALLBACK_FIELD = "Callback URLs"
MAX_KEY_FILE_BYTES = 65_536

Guard = Callable[[Callable[[], object]], object]
"""Runs a service call, asking for step-up when the service requires it; None if refused."""


class CredentialsEditor(QWidget):
    """Edits one application's security details while the session is unlocked."""

    lock_requested = Signal()

    def __init__(
        self,
        security: SecurityDetailsService,
        session: SignedInSession,
        clipboard: SecretClipboard,
        guard: Guard,
        parent: QWidget | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(parent)
        self._security = security
        self._session = session
        self._clipboard = clipboard
        self._guard = guard
        self._details: SecurityDetails | None = None
        self._secret_shown = False
        self._draft: Draft | None = None

        self.keys_model = ApiKeysModel(now, self)
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.addWidget(self._build_draft_banner())
        content_layout.addWidget(self._build_keys_group())
        content_layout.addWidget(self._build_public_key_group())
        content_layout.addWidget(self._build_callbacks_group())
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)

        self._message = QLabel()
        self._message.setAccessibleName("Editor message")
        self._message.setWordWrap(True)
        self._message.hide()
        self._save_button = QPushButton("&Save")
        self._save_button.setAccessibleName("Save")
        self._save_button.clicked.connect(self.save_changes)
        self._lock = QPushButton("&Lock now")
        self._lock.setAccessibleName("Lock now")
        self._lock.clicked.connect(self.lock_requested)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self._lock)
        buttons.addWidget(self._save_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self._message)
        layout.addLayout(buttons)

    # Construction

    def _build_draft_banner(self) -> QWidget:
        self._draft_banner = QWidget()
        self._draft_text = QLabel()
        self._draft_text.setAccessibleName("Draft notice")
        self._draft_text.setWordWrap(True)
        restore = action_button("&Restore draft", "Restore draft", self.restore_draft)
        discard = action_button("Discard dra&ft", "Discard draft", self.discard_draft)
        row = QHBoxLayout(self._draft_banner)
        row.addWidget(self._draft_text, 1)
        row.addWidget(restore)
        row.addWidget(discard)
        self._draft_banner.hide()
        return self._draft_banner

    def _build_keys_group(self) -> QGroupBox:
        self.keys_view = QTableView()
        self.keys_view.setAccessibleName("API keys")
        self.keys_view.setModel(self.keys_model)
        self.keys_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.keys_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.keys_view.verticalHeader().hide()
        self.keys_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.keys_view.setMaximumHeight(140)
        self.keys_view.selectionModel().selectionChanged.connect(self._key_selected)

        self._api_key = QLineEdit()
        self._api_key.setReadOnly(True)
        self._api_key.setAccessibleName("API key")
        self._secret = QLineEdit()
        self._secret.setReadOnly(True)
        self._secret.setAccessibleName("API secret")
        self._secret.setPlaceholderText(SECRET_PLACEHOLDER)
        self._show = action_button("S&how secret", "Show secret", self._toggle_secret)
        self._copy = action_button("&Copy secret", "Copy secret", self._copy_secret)
        self._regenerate = action_button(
            "Re&generate secret…", "Regenerate secret", self._regenerate_key
        )
        self._add_key = action_button("Add &key", "Add key", self._add_new_key)
        self._revoke = action_button("Re&voke key…", "Revoke key", self._revoke_key)

        secret_row = QHBoxLayout()
        secret_row.addWidget(self._secret, 1)
        secret_row.addWidget(self._show)
        secret_row.addWidget(self._copy)
        key_buttons = QHBoxLayout()
        key_buttons.addWidget(self._regenerate)
        key_buttons.addWidget(self._add_key)
        key_buttons.addWidget(self._revoke)
        key_buttons.addStretch()

        form = QFormLayout()
        form.addRow(buddy_label("API &key:", self._api_key), self._api_key)
        form.addRow(buddy_label("API s&ecret:", self._secret), secret_row)
        group = QGroupBox("API keys")
        layout = QVBoxLayout(group)
        layout.addWidget(buddy_label("&Keys of this application:", self.keys_view))
        layout.addWidget(self.keys_view)
        layout.addLayout(form)
        layout.addLayout(key_buttons)
        return group

    def _build_public_key_group(self) -> QGroupBox:
        self._public_key = QPlainTextEdit()
        self._public_key.setAccessibleName(PUBLIC_KEY_FIELD)
        self._public_key.setPlaceholderText(
            "Paste a JWKS document or a PEM RSA public key, or type the https:// URL of a JWKS."
        )
        self._public_key.setMaximumHeight(160)
        self._public_key.textChanged.connect(self._public_key_edited)
        load = action_button(
            "Load from &file…", "Load public key from file", self.load_public_key_file
        )
        check = action_button("Chec&k key", "Check public key", self.check_public_key)
        self._key_details = QLabel()
        self._key_details.setAccessibleName("Public key details")
        self._key_details.setWordWrap(True)
        self._key_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note = QLabel(JWKS_CACHE_NOTE)
        note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(load)
        row.addWidget(check)
        row.addStretch()
        group = QGroupBox("Public key")
        layout = QVBoxLayout(group)
        layout.addWidget(buddy_label("&Public key (RSA, 2048 bits or more):", self._public_key))
        layout.addWidget(self._public_key)
        layout.addLayout(row)
        layout.addWidget(self._key_details)
        layout.addWidget(note)
        return group

    def _build_callbacks_group(self) -> QGroupBox:
        self.callbacks = CallbackUrlList()
        group = QGroupBox(CALLBACK_FIELD)
        layout = QVBoxLayout(group)
        layout.addWidget(buddy_label("Call&back URLs, compared exactly:", self.callbacks.list))
        layout.addWidget(self.callbacks)
        return group

    # Showing and wiping

    def show_details(self, details: SecurityDetails) -> None:
        self._details = details
        self._hide_secret()
        selected = self._selected_key()
        self.keys_model.set_keys(details.api_keys)
        row = self.keys_model.row_of(selected.id) if selected is not None else -1
        if row < 0:
            active_rows = [
                r for r in range(self.keys_model.rowCount()) if self.keys_model.key_at(r).is_active
            ]
            if active_rows:
                row = active_rows[0]
            elif self.keys_model.rowCount():
                row = 0
        if row >= 0:
            self.keys_view.selectRow(row)
        self._update_key_fields()
        self._public_key.setPlainText(details.public_key)
        self.callbacks.set_urls(details.callback_urls)
        self._describe_public_key(details.public_key)
        self._message.hide()

    def wipe(self) -> None:
        """Empty every field; setText and setPlainText also drop the undo history."""
        self._details = None
        self._draft = None
        self._hide_secret()
        self._api_key.setText("")
        self.keys_model.set_keys(())
        self._public_key.setPlainText("")
        self._key_details.setText("")
        self.callbacks.set_urls([])
        self._draft_banner.hide()
        self._message.hide()

    @property
    def details(self) -> SecurityDetails | None:
        return self._details

    def is_dirty(self) -> bool:
        details = self._details
        if details is None:
            return False
        urls = tuple(url for url in self.callbacks.urls() if url.strip())
        return (
            self._public_key.toPlainText().strip() != details.public_key.strip()
            or urls != details.callback_urls
        )

    def edits(self) -> tuple[str, list[str]]:
        """Return the public key text and the callback URLs as they stand in the editor."""
        return self._public_key.toPlainText(), self.callbacks.urls()

    # Drafts

    def offer_draft(self, draft: Draft) -> None:
        self._draft = draft
        when = draft.updated_at.astimezone().strftime("%d %b %Y at %H:%M")
        self._draft_text.setText(
            f"You have unsaved changes from {when}. Restore them to review and save, or "
            "discard them."
        )
        self._draft_banner.show()

    def restore_edits(self, public_key: str, urls: list[str]) -> None:
        self._public_key.setPlainText(public_key)
        self.callbacks.set_urls(urls)

    def restore_draft(self) -> None:
        draft = self._draft
        if draft is None:
            return
        self._public_key.setPlainText(draft.public_key)
        self.callbacks.set_urls(draft.callback_urls)
        self._draft_banner.hide()
        self._show_message("Draft restored. Review the changes, then save.")

    def discard_draft(self) -> None:
        details = self._details
        if details is None:
            return
        self._guard(lambda: self._security.discard_draft(self._session, details.application.id))
        self._draft = None
        self._draft_banner.hide()
        self._show_message("Draft discarded.")

    # API keys

    def _selected_key(self) -> ApiKeyInfo | None:
        indexes = self.keys_view.selectionModel().selectedRows()
        if not indexes or self.keys_model.rowCount() == 0:
            return None
        row = indexes[0].row()
        return self.keys_model.key_at(row) if row < self.keys_model.rowCount() else None

    def _key_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._hide_secret()
        self._update_key_fields()

    def _update_key_fields(self) -> None:
        key = self._selected_key()
        usable = key is not None and key.is_usable(datetime.now(UTC))
        self._api_key.setText("" if key is None else key.client_id)
        for button in (self._show, self._copy, self._regenerate, self._revoke):
            button.setEnabled(usable)
        self._add_key.setEnabled(self._details is not None)

    def _toggle_secret(self) -> None:
        if self._secret_shown:
            self._hide_secret()
            return
        key = self._selected_key()
        if key is None:
            return
        secret = self._run(lambda: self._security.reveal_secret(self._session, key.id, "show"))
        if isinstance(secret, str):
            self._secret.setText(secret)
            self._secret_shown = True
            self._show.setText("&Hide secret")

    def _hide_secret(self) -> None:
        self._secret.setText("")
        self._secret_shown = False
        self._show.setText("S&how secret")

    def _copy_secret(self) -> None:
        key = self._selected_key()
        if key is None:
            return
        secret = self._run(lambda: self._security.reveal_secret(self._session, key.id, "copy"))
        if isinstance(secret, str):
            self._clipboard.copy(secret)
            self._show_message("The secret was copied. The clipboard is cleared in 20 seconds.")

    def _regenerate_key(self) -> None:
        key = self._selected_key()
        details = self._details
        if key is None or details is None:
            return
        dialog = RegenerateDialog(details.application, key, self)
        accepted = dialog.exec() == RegenerateDialog.DialogCode.Accepted
        overlap = dialog.overlap
        dialog.deleteLater()
        if not accepted:
            return
        updated = self._run(
            lambda: self._security.regenerate_secret(self._session, key.id, overlap)
        )
        if isinstance(updated, SecurityDetails):
            self._refresh_keys(updated)
            when = "now" if overlap is None else f"in {int(overlap.total_seconds() // 3600)} hours"
            self._show_message(f"A new key was created. The old key {key.client_id} stops {when}.")

    def _add_new_key(self) -> None:
        details = self._details
        if details is None:
            return
        updated = self._run(lambda: self._security.add_key(self._session, details.application.id))
        if isinstance(updated, SecurityDetails):
            self._refresh_keys(updated)
            self._show_message("A new key was added. Use Show secret to see its secret.")

    def _revoke_key(self) -> None:
        key = self._selected_key()
        details = self._details
        if key is None or details is None:
            return
        answer = QMessageBox.warning(
            self,
            "Revoke key",
            f"Revoke {key.client_id} of {describe(details.application)}? Clients using it "
            "stop working at once. This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        updated = self._run(lambda: self._security.revoke_key(self._session, key.id))
        if isinstance(updated, SecurityDetails):
            self._refresh_keys(updated)
            self._show_message(f"{key.client_id} was revoked.")

    def _refresh_keys(self, updated: SecurityDetails) -> None:
        """Show new key rows, selecting a key that is new, and keep unsaved edits."""
        known = {key.id for key in self._details.api_keys} if self._details else set()
        public_key, urls = self.edits()
        dirty = self.is_dirty()
        self.show_details(updated)
        added = [key.id for key in updated.api_keys if key.id not in known]
        if added:
            self.keys_view.selectRow(self.keys_model.row_of(added[-1]))
        if dirty:
            self._public_key.setPlainText(public_key)
            self.callbacks.set_urls(urls)

    # Public key

    def load_public_key_file(self, path: Path | None = None) -> None:
        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self, "Load public key", "", "Keys (*.pem *.pub *.json *.jwks);;All files (*)"
            )
            if not name:
                return
            path = Path(name)
        try:
            if path.stat().st_size > MAX_KEY_FILE_BYTES:
                self._show_message(f"{path} is over 64 KiB, so it is not a public key file.")
                return
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            log.warning("Reading public key file %s failed: %s", path, error)
            self._show_message(f"Could not read {path}: {error}. Choose another file.")
            return
        self._public_key.setPlainText(text.strip())
        self.check_public_key()

    def check_public_key(self) -> bool:
        return self._describe_public_key(self._public_key.toPlainText())

    def _public_key_edited(self) -> None:
        self._key_details.setText("")

    def _describe_public_key(self, text: str) -> bool:
        value = text.strip()
        if not value:
            self._key_details.setText("No public key.")
            return True
        if "://" in value and not value.startswith("{"):
            self._key_details.setText(
                f"JWKS URL: {value}. It is fetched and checked when you save."
            )
            return True
        try:
            keys = parse_public_key_input(value)
        except InvalidInput as error:
            self._key_details.setText(f"✗ {error}")
            return False
        lines = [
            f"kid {key.kid} · RSA {key.size_bits} bits · SHA-256 {key.fingerprint}"
            for key in keys.keys
        ]
        self._key_details.setText("\n".join(lines))
        return True

    # Saving

    def save_changes(self) -> None:
        details = self._details
        if details is None:
            return
        errors = self.callbacks.errors()
        if errors:
            self._show_message("Not saved: fix the marked callback URLs first. " + " ".join(errors))
            return
        public_key, urls = self.edits()
        self._save(details, details.version, public_key, urls)

    def _save(
        self, details: SecurityDetails, version: int, public_key: str, urls: list[str]
    ) -> None:
        application_id = details.application.id
        try:
            result = self._guard(
                lambda: self._security.save(
                    self._session, application_id, version, public_key, urls
                )
            )
        except InvalidInput as error:
            self._show_message(str(error))
            self.check_public_key()
            return
        except ConflictError:
            self._resolve_conflict(details, public_key, urls)
            return
        except (NotFound, StorageError) as error:
            self._show_message(str(error))
            return
        if isinstance(result, SaveResult):
            self.show_details(result.details)
            self._show_message(" ".join(["Saved.", *result.warnings]))

    def _resolve_conflict(self, mine: SecurityDetails, public_key: str, urls: list[str]) -> None:
        """Show both values of each field changed at both desks; save what the user picks."""
        theirs = self._guard(lambda: self._security.load(self._session, mine.application.id))
        if not isinstance(theirs, SecurityDetails):
            return

        # A field changed at one desk only takes that desk's value; a field
        # changed differently at both desks is offered to the user.
        my_urls = "\n".join(url for url in urls if url.strip())
        choices: list[FieldChoice] = []
        chosen_key, chosen_urls = public_key.strip(), my_urls
        their_urls = "\n".join(theirs.callback_urls)
        base_urls = "\n".join(mine.callback_urls)

        if theirs.public_key.strip() != mine.public_key.strip():
            if chosen_key != mine.public_key.strip() and chosen_key != theirs.public_key.strip():
                choices.append(
                    FieldChoice(
                        PUBLIC_KEY_FIELD,
                        chosen_key,
                        theirs.public_key,
                        summarise_public_key(chosen_key),
                        summarise_public_key(theirs.public_key),
                    )
                )
            else:
                chosen_key = theirs.public_key

        if their_urls != base_urls:
            if my_urls not in (base_urls, their_urls):
                choices.append(FieldChoice(CALLBACK_FIELD, my_urls, their_urls))
            else:
                chosen_urls = their_urls

        if choices:
            dialog = ConflictDialog(choices, self)
            accepted = dialog.exec() == ConflictDialog.DialogCode.Accepted
            picked = dialog.chosen()
            dialog.deleteLater()
            if not accepted:
                self._show_message(
                    "Not saved. Your edits are still here, and saving again shows both values."
                )
                return
            chosen_key = picked.get(PUBLIC_KEY_FIELD, chosen_key)
            chosen_urls = picked.get(CALLBACK_FIELD, chosen_urls)

        self._details = theirs
        self._save(theirs, theirs.version, chosen_key, chosen_urls.splitlines())

    def _run(self, call: Callable[[], object]) -> object:
        try:
            return self._guard(call)
        except (InvalidInput, ConflictError, NotFound, StorageError) as error:
            self._show_message(str(error))
            return None

    def show_notice(self, text: str) -> None:
        self._show_message(text)

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.show()


def summarise_public_key(text: str) -> str:
    """Describe a public key by kid, size and fingerprint, then show the text itself."""
    value = text.strip()
    if not value:
        return "(no public key)"
    if "://" in value and not value.startswith("{"):
        return f"JWKS URL: {value}"
    try:
        keys = parse_public_key_input(value).keys
    except InvalidInput as error:
        return f"Not a valid public key: {error}\n\n{value}"
    summary = "\n".join(
        f"kid {key.kid} · RSA {key.size_bits} bits · SHA-256 {key.fingerprint}" for key in keys
    )
    return f"{summary}\n\n{value}"

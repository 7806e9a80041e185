"""The "Verify it's you" dialog: enrolment, codes, recovery codes.

Pages: the code page (with the QR code and setup key while enrolling), the
recovery page (a recovery code replaces a lost authenticator), and the page
that shows new recovery codes once after an enrolment is activated.
"""

import logging
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.errors import CodeRejected, InvalidInput, StorageError, VerificationLocked
from desktop.services.session import SignedInSession
from desktop.services.stepup import (
    TWO_CODES_REASON,
    EnrolmentOffer,
    StepUpService,
    VerifyOutcome,
)
from desktop.ui.qr import QrCodeWidget
from desktop.ui.widgets import action_button

log = logging.getLogger(__name__)

TITLE = "Verify it's you"

TROUBLE_TEXT = (
    "<b>Having trouble?</b><br>"
    "• Set your phone's date and time to update automatically, and do the same on "
    "this computer: codes depend on both clocks.<br>"
    "• Make sure you read the code of the StepDesk entry for your e-mail address "
    "or username, not another account in the app.<br>"
    "• Enter the newest code. Each code works once and for about a minute.<br>"
    "• Lost your phone? Use one of your recovery codes, or ask a support "
    "colleague to reset your authenticator."
)

CONTENT_WIDTH = 440
"""Logical pixels; wide enough for the QR code and short wrapped paragraphs."""

SaveLocationChooser = Callable[[QWidget], Path | None]
"""Asks where to save the recovery codes; None when the user cancels."""


def choose_save_location(parent: QWidget) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(
        parent,
        "Save recovery codes",
        str(Path.home() / "stepdesk-recovery-codes.txt"),
        "Text files (*.txt)",
    )
    return Path(path) if path else None


class StepUpDialog(QDialog):
    def __init__(
        self,
        stepup: StepUpService,
        session: SignedInSession,
        reason: str,
        parent: QWidget | None = None,
        choose_location: SaveLocationChooser = choose_save_location,
    ) -> None:
        super().__init__(parent)
        self._stepup = stepup
        self._session = session
        self._choose_location = choose_location
        self._recovery_codes: tuple[str, ...] = ()
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)

        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{TITLE}</b><br>{reason}")
        heading.setWordWrap(True)
        layout.addWidget(heading)

        self._pages = _Pages()
        self._pages.setMinimumWidth(CONTENT_WIDTH)
        self._code_page = QWidget()
        self._code_layout = QVBoxLayout(self._code_page)
        self._code_layout.setContentsMargins(0, 0, 0, 0)
        self._enrolment: QWidget | None = None
        self._build_code_form()
        self._recovery_page = self._build_recovery_page()
        self._codes_page = self._build_codes_page()
        for page in (self._code_page, self._recovery_page, self._codes_page):
            self._pages.addWidget(page)
        layout.addWidget(self._pages)

        self._message = QLabel()
        self._message.setAccessibleName("Verification message")
        self._message.setWordWrap(True)
        self._message.hide()
        layout.addWidget(self._message)

        self._trouble = QLabel(TROUBLE_TEXT)
        self._trouble.setWordWrap(True)
        self._trouble.setAccessibleName("Having trouble?")
        layout.addWidget(self._trouble)

        self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._verify = self._buttons.addButton("&Verify", QDialogButtonBox.ButtonRole.AcceptRole)
        self._verify.setAccessibleName("Verify")
        self._verify.setDefault(True)
        cancel = self._buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        self._buttons.accepted.connect(self._on_accept_button)
        self._buttons.rejected.connect(self.reject)
        layout.addWidget(self._buttons)

        status = stepup.status(session)
        if not status.enrolled:
            self._show_enrolment(stepup.enrolment_offer(session))
            if status.waiting_for_next_code:
                self._show_message("Your first code was accepted. " + TWO_CODES_REASON)
        if status.locked_until is not None:
            self._show_message(
                "Too many codes were rejected, so verification is paused until "
                f"{status.locked_until.astimezone():%H:%M}."
            )
        self._code.setFocus()

    def fit_to_contents(self) -> None:
        """Grow the dialog to the height its wrapped text needs at the current width.

        Qt computes a window's minimum height without height-for-width, so
        word-wrapped labels would otherwise be squeezed over the QR code.
        """
        layout = self.layout()
        if layout is None:
            return
        width = max(self.width(), layout.minimumSize().width())
        height = layout.totalHeightForWidth(width)
        if height > 0:
            self.setMinimumHeight(height)
            if self.height() < height:
                self.resize(width, height)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.fit_to_contents()
        # The read-only setup key comes first in the tab order, but the code is what to type.
        if self._pages.currentWidget() is self._code_page:
            self._code.setFocus()

    # Pages

    def _build_code_form(self) -> None:
        self._code = QLineEdit()
        self._code.setAccessibleName("Authentication code")
        self._code.setPlaceholderText("123 456")
        self._code.setMaxLength(16)
        code_label = QLabel("Authentication &code:")
        code_label.setBuddy(self._code)
        form = QFormLayout()
        form.addRow(code_label, self._code)
        self._code_layout.addLayout(form)

        self._use_recovery = QPushButton("Use a &recovery code instead…")
        self._use_recovery.setAccessibleName("Use a recovery code")
        self._use_recovery.setFlat(True)
        self._use_recovery.setAutoDefault(False)
        self._use_recovery.clicked.connect(self._show_recovery_page)
        self._code_layout.addWidget(self._use_recovery)

    def _show_enrolment(self, offer: EnrolmentOffer) -> None:
        if self._enrolment is not None:
            self._code_layout.removeWidget(self._enrolment)
            self._enrolment.deleteLater()
        self._enrolment = self._enrolment_section(offer)
        self._code_layout.insertWidget(0, self._enrolment)
        self._use_recovery.hide()

    def _enrolment_section(self, offer: EnrolmentOffer) -> QWidget:
        section = QWidget()
        layout = QVBoxLayout(section)
        layout.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(
            "Set up an authenticator app (Microsoft Authenticator, Google Authenticator "
            "or FreeOTP): scan this QR code with it, or type the setup key. It adds "
            f"<b>{_escape(offer.issuer)}: {_escape(offer.account)}</b>. Then enter the "
            "6-digit code it shows, and the next one when it changes: two codes in a "
            "row show that the app and this computer agree."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        qr = QrCodeWidget(offer.uri)
        qr.setAccessibleName("QR code")
        qr.setAccessibleDescription("Scan with your authenticator app to add StepDesk.")
        qr_row = QHBoxLayout()
        qr_row.addStretch()
        qr_row.addWidget(qr)
        qr_row.addStretch()
        layout.addLayout(qr_row)

        setup_key = QLineEdit(offer.setup_key)
        setup_key.setReadOnly(True)
        setup_key.setAccessibleName("Setup key")
        setup_key.setMinimumWidth(
            setup_key.fontMetrics().horizontalAdvance(offer.setup_key + "  ") + 12
        )
        copy_key = QPushButton("Copy &key")
        copy_key.setAccessibleName("Copy setup key")
        copy_key.setAutoDefault(False)
        copy_key.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(offer.setup_key.replace(" ", ""))
        )
        key_label = QLabel("Setup &key:")
        key_label.setBuddy(setup_key)
        key_row = QHBoxLayout()
        key_row.addWidget(key_label)
        key_row.addWidget(setup_key, 1)
        key_row.addWidget(copy_key)
        layout.addLayout(key_row)
        return section

    def _build_recovery_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        explanation = QLabel(
            "Lost the phone with your authenticator? Enter one of the recovery codes "
            "you saved when you set it up. The old authenticator stops working at once "
            "and you set up a new one; a recovery code does not unlock anything by itself."
        )
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        self._recovery_code = QLineEdit()
        self._recovery_code.setAccessibleName("Recovery code")
        self._recovery_code.setPlaceholderText("ABCD-EFGH-JKLM-NPQR")
        label = QLabel("Recovery &code:")
        label.setBuddy(self._recovery_code)
        form = QFormLayout()
        form.addRow(label, self._recovery_code)
        layout.addLayout(form)
        back = QPushButton("&Back to authentication code")
        back.setAccessibleName("Back to authentication code")
        back.setFlat(True)
        back.setAutoDefault(False)
        back.clicked.connect(self._show_code_page)
        layout.addWidget(back)
        layout.addStretch()
        return page

    def _build_codes_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        explanation = QLabel(
            "<b>Your authenticator is set up.</b> Save these recovery codes somewhere "
            "safe, away from your phone. Each works once, to replace a lost "
            "authenticator. They are shown only now."
        )
        explanation.setWordWrap(True)
        layout.addWidget(explanation)

        self._codes_view = QPlainTextEdit()
        self._codes_view.setReadOnly(True)
        self._codes_view.setAccessibleName("Recovery codes")
        layout.addWidget(self._codes_view)

        save = action_button("&Save as text file…", "Save as text file", self._save_codes)
        copy = action_button(
            "Co&py codes",
            "Copy recovery codes",
            lambda: QGuiApplication.clipboard().setText("\n".join(self._recovery_codes)),
        )
        row = QHBoxLayout()
        row.addWidget(save)
        row.addWidget(copy)
        row.addStretch()
        layout.addLayout(row)
        return page

    def _show_recovery_page(self) -> None:
        self._message.hide()
        self._pages.setCurrentWidget(self._recovery_page)
        self._recovery_code.setFocus()
        self.fit_to_contents()

    def _show_code_page(self) -> None:
        self._message.hide()
        self._pages.setCurrentWidget(self._code_page)
        self._code.setFocus()

    # Actions

    def _on_accept_button(self) -> None:
        page = self._pages.currentWidget()
        if page is self._recovery_page:
            self._try_recovery_code()
        elif page is self._codes_page:
            self._forget_codes()
            self.accept()
        else:
            self._try_verify()

    def _try_verify(self) -> None:
        try:
            result = self._stepup.verify(self._session, self._code.text())
        except (CodeRejected, InvalidInput, StorageError) as error:
            if isinstance(error, VerificationLocked):
                log.warning("Verification locked for user %s", self._session.user.id)
            self._show_message(str(error))
            self._code.clear()
            self._code.setFocus()
            return
        self._code.clear()
        if result.outcome is VerifyOutcome.NEXT_CODE_NEEDED:
            if result.restarted:
                self._show_message(
                    "That code was not the one right after your first code, so it now "
                    "counts as your first code. " + TWO_CODES_REASON
                )
            else:
                self._show_message("Your first code was accepted. " + TWO_CODES_REASON)
            self._code.setFocus()
            return
        if result.recovery_codes:
            self._show_recovery_codes(result.recovery_codes)
            return
        self.accept()

    def _try_recovery_code(self) -> None:
        try:
            offer = self._stepup.use_recovery_code(self._session, self._recovery_code.text())
        except (CodeRejected, InvalidInput, StorageError) as error:
            self._show_message(str(error))
            self._recovery_code.clear()
            self._recovery_code.setFocus()
            return
        self._recovery_code.clear()
        self._show_enrolment(offer)
        self._show_code_page()
        self._show_message(
            "Your old authenticator no longer works. Scan the new QR code with your "
            "new phone, then enter two codes in a row."
        )

    def _show_recovery_codes(self, codes: tuple[str, ...]) -> None:
        self._recovery_codes = codes
        self._codes_view.setPlainText("\n".join(codes))
        self._message.hide()
        self._pages.setCurrentWidget(self._codes_page)
        self._trouble.hide()
        self.fit_to_contents()
        self._verify.setText("&Done")
        self._verify.setAccessibleName("Done")
        cancel = self._buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.hide()

    def _save_codes(self) -> None:
        path = self._choose_location(self)
        if path is None:
            return
        text = "StepDesk recovery codes. Each works once.\n\n" + "\n".join(self._recovery_codes)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as error:
            log.warning("Saving recovery codes to %s failed: %s", path, error)
            self._show_message(f"Could not save to {path}: {error.strerror}. Choose another place.")
            return
        self._show_message(f"Saved to {path}.")

    def _forget_codes(self) -> None:
        # setPlainText also drops the undo history, so no widget keeps the codes.
        self._recovery_codes = ()
        self._codes_view.setPlainText("")

    def done(self, result: int) -> None:
        self._forget_codes()
        super().done(result)

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.show()
        self.fit_to_contents()


class _Pages(QWidget):
    """Shows one page at a time.

    Unlike QStackedWidget, which sizes itself for its largest page without
    height-for-width, hidden pages take no space and wrapped text gets the
    height it needs.
    """

    def __init__(self) -> None:
        super().__init__()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._current: QWidget | None = None

    def addWidget(self, page: QWidget) -> None:  # noqa: N802 - mirrors QStackedWidget
        self._layout.addWidget(page)
        if self._current is None:
            self._current = page
        else:
            page.hide()

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: N802 - mirrors QStackedWidget
        for index in range(self._layout.count()):
            item = self._layout.itemAt(index)
            widget = None if item is None else item.widget()
            if widget is not None:
                widget.setVisible(widget is page)
        self._current = page

    def currentWidget(self) -> QWidget | None:  # noqa: N802 - mirrors QStackedWidget
        return self._current


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

"""The "Verify it's you" dialog: enrolment QR code on first use, then a code field."""

import logging

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.errors import CodeRejected, InvalidInput, StorageError
from desktop.services.session import SignedInSession
from desktop.services.stepup import StepUpService
from desktop.ui.qr import QrCodeWidget

log = logging.getLogger(__name__)

TITLE = "Verify it's you"

TROUBLE_TEXT = (
    "<b>Having trouble?</b><br>"
    "• Set your phone's date and time to update automatically, and do the same on "
    "this computer: codes depend on both clocks.<br>"
    "• Make sure you read the code for the StepDesk account shown above, not "
    "another account in the app.<br>"
    "• Enter the newest code; each code works once and for about a minute.<br>"
    "• Lost your phone? Ask a support colleague to reset your authenticator."
)


class StepUpDialog(QDialog):
    def __init__(
        self,
        stepup: StepUpService,
        session: SignedInSession,
        reason: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._stepup = stepup
        self._session = session
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)

        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{TITLE}</b><br>{reason}")
        heading.setWordWrap(True)
        layout.addWidget(heading)

        status = stepup.status(session)
        if not status.enrolled:
            layout.addWidget(self._enrolment_section())

        self._code = QLineEdit()
        self._code.setAccessibleName("Authentication code")
        self._code.setPlaceholderText("123 456")
        self._code.setMaxLength(16)
        code_label = QLabel("Authentication &code:")
        code_label.setBuddy(self._code)
        form = QFormLayout()
        form.addRow(code_label, self._code)
        layout.addLayout(form)

        self._message = QLabel()
        self._message.setAccessibleName("Verification message")
        self._message.setWordWrap(True)
        self._message.hide()
        layout.addWidget(self._message)

        trouble = QLabel(TROUBLE_TEXT)
        trouble.setWordWrap(True)
        trouble.setAccessibleName("Having trouble?")
        layout.addWidget(trouble)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._verify = buttons.addButton("&Verify", QDialogButtonBox.ButtonRole.AcceptRole)
        self._verify.setAccessibleName("Verify")
        self._verify.setDefault(True)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAutoDefault(False)
        buttons.accepted.connect(self._try_verify)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._code.setFocus()

        if status.locked_until is not None:
            self._show_message(
                "Too many codes were rejected, so verification is paused until "
                f"{status.locked_until.astimezone():%H:%M}."
            )

    def _enrolment_section(self) -> QWidget:
        offer = self._stepup.enrolment_offer(self._session)
        section = QWidget()
        layout = QVBoxLayout(section)
        layout.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(
            "Set up an authenticator app (Microsoft Authenticator, Google Authenticator "
            "or FreeOTP): scan this QR code with it, or type the setup key, then enter "
            "the 6-digit code it shows."
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
        copy_key = QPushButton("Copy &key")
        copy_key.setAccessibleName("Copy setup key")
        copy_key.clicked.connect(lambda: QGuiApplication.clipboard().setText(offer.setup_key))
        key_label = QLabel("Setup &key:")
        key_label.setBuddy(setup_key)
        key_row = QHBoxLayout()
        key_row.addWidget(key_label)
        key_row.addWidget(setup_key, 1)
        key_row.addWidget(copy_key)
        layout.addLayout(key_row)
        return section

    def _try_verify(self) -> None:
        try:
            self._stepup.verify(self._session, self._code.text())
        except (CodeRejected, InvalidInput, StorageError) as error:
            self._show_message(str(error))
            self._code.clear()
            self._code.setFocus()
            return
        self._code.clear()
        self.accept()

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.show()

"""Screenshots of the credentials editor (run under Xvfb).

    xvfb-run -a -s "-screen 0 1280x900x24" .venv/bin/python -m tests.screenshots_editor OUT_DIR

Unlocks Payments / Checkout (production) on a fresh demo database and grabs
the keys after a rotation, a checked public key, a callback URL list with a
validation error, and the conflict view after another desk saved first.
"""

import os
import sys
import tempfile
from pathlib import Path

import pyotp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QPlainTextEdit, QPushButton, QWidget

from desktop.domain.entities import Environment
from desktop.services.bundle import Services
from desktop.storage.bootstrap import open_store
from desktop.ui.application import ensure_application
from desktop.ui.main_window import MainWindow
from desktop.ui.timers import QtTimerFactory
from tests.clocks import ManualClock
from tests.ui_helpers import decode_qr, find, otpauth_secret


def settle() -> None:
    for _ in range(10):
        QApplication.processEvents()


def shoot(widget: QWidget, path: Path) -> None:
    settle()
    assert widget.grab().save(str(path)), f"could not write {path}"
    print(f"wrote {path}")


def public_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=4096).public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def when_modal(action: object) -> None:
    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog):
            action(dialog)  # type: ignore[operator]
        else:
            QTimer.singleShot(30, poll)

    QTimer.singleShot(0, poll)


def main(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    ensure_application()
    QTimer.singleShot(120_000, lambda: os._exit(2))
    folder = Path(tempfile.mkdtemp(prefix="stepdesk-editor-"))
    clock = ManualClock()
    store = open_store(
        str(folder / "demo.sqlite3"), demo=True, key_file=folder / "demo.key", clock=clock
    )
    services = Services.create(store, clock)
    session = services.auth.sign_in("olivia", "demo-owner-2026")
    window = MainWindow(services, session, QtTimerFactory())
    window.resize(1250, 880)
    window.show()
    model = window.applications_model
    checkout = next(
        model.application_at(row)
        for row in range(model.rowCount())
        if model.application_at(row).name == "Checkout"
        and model.application_at(row).environment is Environment.PRODUCTION
    )
    tab = window.open_application(checkout)

    def enrol(dialog: QDialog) -> None:
        authenticator = pyotp.TOTP(otpauth_secret(decode_qr(find(dialog, QWidget, "QR code"))))
        field = find(dialog, QLineEdit, "Authentication code")
        field.setText(authenticator.at(clock.now()))
        find(dialog, QPushButton, "Verify").click()
        clock.advance(30)
        field.setText(authenticator.at(clock.now()))
        find(dialog, QPushButton, "Verify").click()
        find(dialog, QPushButton, "Done").click()

    when_modal(enrol)
    tab.show_security_details()
    assert tab.security_panel is not None
    editor = tab.security_panel.editor

    def overlap(dialog: QDialog) -> None:
        shoot(dialog, out_dir / "e1-regenerate-dialog.png")
        find(dialog, QPushButton, "Regenerate").click()

    when_modal(overlap)
    find(tab, QPushButton, "Regenerate secret").click()
    shoot(window, out_dir / "e2-keys-after-rotation.png")

    find(tab, QPlainTextEdit, "Public key").setPlainText(public_pem())
    find(tab, QPushButton, "Check public key").click()
    editor.callbacks.add_url("http://app.example.com/callback")
    editor.callbacks.add_url("https://app.example.com/cb#fragment")
    editor.callbacks.add_url("http://localhost:8080/cb")
    tab.security_panel.editor.findChild(QWidget)
    shoot(window, out_dir / "e3-public-key-and-callback-errors.png")
    scroll_to_bottom(editor)
    shoot(window, out_dir / "e4-callback-errors-scrolled.png")

    editor.callbacks.list.setCurrentRow(editor.callbacks.list.count() - 2)
    editor.callbacks.remove_current()
    editor.callbacks.list.setCurrentRow(editor.callbacks.list.count() - 2)
    editor.callbacks.remove_current()
    other = services.auth.sign_in("adam", "demo-appadmin-2026")
    other.unlock.open()
    theirs = services.security.load(other, checkout.id)
    services.security.save(
        other, checkout.id, theirs.version, public_pem(), ["https://theirs.example.com/cb"]
    )

    def conflict(dialog: QDialog) -> None:
        dialog.resize(900, 640)
        shoot(dialog, out_dir / "e5-conflict-view.png")
        dialog.reject()

    when_modal(conflict)
    find(tab, QPushButton, "Save").click()
    shoot(window, out_dir / "e6-after-conflict-cancel.png")
    window.close()
    store.close()
    return 0


def scroll_to_bottom(editor: QWidget) -> None:
    from PySide6.QtWidgets import QScrollArea

    area = editor.findChild(QScrollArea)
    if area is not None:
        bar = area.verticalScrollBar()
        bar.setValue(bar.maximum())


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))

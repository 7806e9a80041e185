"""Take screenshots of the main states on a real screen (run under Xvfb).

    xvfb-run -s "-screen 0 1280x800x24" .venv/bin/python -m tests.screenshots OUT_DIR

It signs in to a fresh demo database in a temporary folder, grabs the
screen at each state, and checks that the QR code decodes from the grab.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import pyotp
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QPushButton

from desktop.security.clock import SystemClock
from desktop.services.bundle import Services
from desktop.storage.bootstrap import open_store
from desktop.ui.application import ensure_application
from desktop.ui.main_window import MainWindow
from desktop.ui.sign_in import SignInDialog
from desktop.ui.timers import QtTimerFactory
from tests.ui_helpers import find, otpauth_secret


def grab_screen(path: Path) -> None:
    QApplication.processEvents()
    screen = QGuiApplication.primaryScreen()
    assert screen.grabWindow(0).save(str(path)), f"could not write {path}"
    print(f"wrote {path}")


def settle(milliseconds: int = 400) -> None:
    loop_end = QTimer()
    loop_end.setSingleShot(True)
    loop_end.start(milliseconds)
    while loop_end.isActive():
        QApplication.processEvents()


def main(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    app = ensure_application()
    # Never hang a terminal or a CI job: give up after two minutes.
    QTimer.singleShot(120_000, lambda: os._exit(2))
    folder = Path(tempfile.mkdtemp(prefix="stepdesk-shots-"))
    clock = SystemClock()
    store = open_store(
        str(folder / "demo.sqlite3"), demo=True, key_file=folder / "demo.key", clock=clock
    )
    services = Services.create(store, clock)

    sign_in = SignInDialog(services.auth, services.database_name, services.is_demo)
    sign_in.show()
    find(sign_in, QLineEdit, "Username").setText("olivia")
    find(sign_in, QLineEdit, "Password").setText("demo-owner-2026")
    settle()
    grab_screen(out_dir / "1-sign-in.png")
    find(sign_in, QPushButton, "Sign in").click()
    assert sign_in.session is not None
    session = sign_in.session

    window = MainWindow(services, session, QtTimerFactory())
    window.resize(1200, 760)
    window.show()
    settle()
    grab_screen(out_dir / "2-main-window.png")

    model = window.applications_model
    checkout = next(
        model.application_at(row)
        for row in range(model.rowCount())
        if model.application_at(row).name == "Checkout"
        and model.application_at(row).environment.value == "production"
    )
    tab = window.open_application(checkout)
    decoded: list[str] = []

    failures: list[BaseException] = []

    def on_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):
            QTimer.singleShot(50, on_dialog)
            return
        try:
            settle()
            shot = out_dir / "3-step-up-dialog.png"
            grab_screen(shot)
            decoded.append(decode_qr_file(shot))
            authenticator = pyotp.TOTP(otpauth_secret(decoded[0]))
            code_field = find(dialog, QLineEdit, "Authentication code")
            code_field.setText(authenticator.now())
            find(dialog, QPushButton, "Verify").click()
            # A new enrolment takes the code of the next time step as well.
            wait_for_next_step()
            code_field.setText(authenticator.now())
            find(dialog, QPushButton, "Verify").click()
            settle()
            grab_screen(out_dir / "3b-recovery-codes.png")
            find(dialog, QPushButton, "Done").click()
        except BaseException as error:
            failures.append(error)
            dialog.reject()

    QTimer.singleShot(0, on_dialog)
    tab.show_security_details()
    if failures:
        print(f"failed: {failures[0]!r}", file=sys.stderr)
        return 1
    settle()
    find(tab, QPushButton, "Show secret").click()
    settle()
    grab_screen(out_dir / "4-unlocked-editor.png")
    print(f"QR code decoded from the screen grab: {decoded[0][:40]}…")
    window.close()
    store.close()
    app.quit()
    return 0


def wait_for_next_step() -> None:
    """Wait, with events flowing, until the TOTP time step changes (at most 30 s)."""
    start = int(time.time()) // 30
    while int(time.time()) // 30 == start:
        settle(200)


def decode_qr_file(path: Path) -> str:
    import zxingcpp
    from PIL import Image

    results = zxingcpp.read_barcodes(Image.open(path))
    assert len(results) == 1, f"{path}: expected one QR code, decoded {len(results)}"
    return str(results[0].text)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))

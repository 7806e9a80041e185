"""Screenshots of every state of the step-up dialog (run under Xvfb).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m tests.screenshots_step_up OUT_DIR

Uses a fresh demo database in a temporary folder and a hand-moved clock, so
each state appears on demand: enrolment, the first code, recovery codes,
verification, a wrong code, clock drift, a replay, the lockout and the
recovery-code page.
"""

import sys
import tempfile
from pathlib import Path

import pyotp
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QWidget

from desktop.security import totp
from desktop.services.bundle import Services
from desktop.storage.bootstrap import open_store
from desktop.ui.application import ensure_application
from desktop.ui.step_up_dialog import StepUpDialog
from tests.clocks import ManualClock
from tests.ui_helpers import decode_qr, find, otpauth_secret


def shoot(dialog: QWidget, path: Path) -> None:
    dialog.adjustSize()
    for _ in range(5):
        QApplication.processEvents()
    assert dialog.grab().save(str(path)), f"could not write {path}"
    print(f"wrote {path}")


def press(dialog: QWidget, code: str) -> None:
    find(dialog, QLineEdit, "Authentication code").setText(code)
    find(dialog, QPushButton, "Verify").click()


def main(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    ensure_application()
    folder = Path(tempfile.mkdtemp(prefix="stepdesk-states-"))
    clock = ManualClock()
    store = open_store(
        str(folder / "demo.sqlite3"), demo=True, key_file=folder / "demo.key", clock=clock
    )
    services = Services.create(store, clock)
    session = services.auth.sign_in("olivia", "demo-owner-2026")
    reason = "Payments / Checkout (production) needs a fresh verification."

    def new_dialog() -> StepUpDialog:
        dialog = StepUpDialog(services.stepup, session, reason)
        dialog.show()
        return dialog

    dialog = new_dialog()
    shoot(dialog, out_dir / "a-enrolment.png")
    authenticator = pyotp.TOTP(otpauth_secret(decode_qr(find(dialog, QWidget, "QR code"))))
    press(dialog, authenticator.at(clock.now()))
    shoot(dialog, out_dir / "b-first-code-accepted.png")
    clock.advance(30)
    press(dialog, authenticator.at(clock.now()))
    shoot(dialog, out_dir / "c-recovery-codes.png")
    find(dialog, QPushButton, "Done").click()
    session.lock()
    clock.advance(60)

    dialog = new_dialog()
    shoot(dialog, out_dir / "d-verification.png")
    press(dialog, "000000" if authenticator.at(clock.now()) != "000000" else "000001")
    shoot(dialog, out_dir / "e-wrong-code.png")
    clock.advance(31)
    step = totp.time_step(clock.now())
    press(dialog, totp.code_at_step(authenticator.secret, step + 10))
    shoot(dialog, out_dir / "f-clock-drift.png")
    clock.advance(31)
    code = authenticator.at(clock.now())
    press(dialog, code)
    session.lock()
    dialog = new_dialog()
    press(dialog, code)
    shoot(dialog, out_dir / "g-replay.png")
    for wrong in ("000002", "000003", "000004", "000005"):
        clock.advance(31)
        press(dialog, wrong)
    shoot(dialog, out_dir / "h-locked-out.png")
    clock.advance(16 * 60)

    dialog = new_dialog()
    find(dialog, QPushButton, "Use a recovery code").click()
    shoot(dialog, out_dir / "i-recovery-code.png")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))

"""The Qt half of --self-test: sign-in dialog, main window and a QR code, with no person.

It drives the same DeskController that a normal start uses, finding controls
by accessible name as a screen reader would. Nothing here opens a modal
dialog, so a headless run cannot block.
"""

import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TypeVar

from PySide6.QtCore import QBuffer, QByteArray, QDeadlineTimer, QEvent, QIODevice
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QTableView, QWidget

from desktop.domain.errors import SelfTestFailed
from desktop.services.bundle import Services
from desktop.ui.application import DeskController, ensure_application, route_qt_messages
from desktop.ui.qr import QrCodeWidget, qr_modules
from desktop.ui.startup import set_app_icon
from desktop.ui.timers import QtTimerFactory

log = logging.getLogger(__name__)

W = TypeVar("W", bound=QWidget)

SETTLE_MS = 100
"""How long to let Qt process show, layout and paint events after each action."""


class UiSelfTest:
    def __init__(self, services: Services) -> None:
        self._app = ensure_application()
        route_qt_messages()
        # As at a normal start; a missing icon fails the main window step.
        set_app_icon(self._app)
        self._controller = DeskController(services, QtTimerFactory())

    @property
    def platform_name(self) -> str:
        return self._app.platformName()

    def sign_in(self, username: str, password: str) -> str:
        self._controller.start()
        dialog = self._controller.sign_in_dialog
        if dialog is None or not dialog.isVisible():
            raise SelfTestFailed("The sign-in dialog did not open.")
        settle()
        find_child(dialog, QLineEdit, "Username").setText(username)
        find_child(dialog, QLineEdit, "Password").setText(password)
        with raising_slot_errors():
            find_child(dialog, QPushButton, "Sign in").click()
            settle()
        if self._controller.window is None:
            message = find_child(dialog, QLabel, "Sign-in message").text()
            raise SelfTestFailed(f"Signing in as {username} failed: {message or 'no message'}.")
        return f"signed in as {username} through the sign-in dialog"

    def main_window(self) -> str:
        window = self._controller.window
        if window is None:
            raise SelfTestFailed("No main window is open after sign-in.")
        settle()
        if not window.isVisible():
            raise SelfTestFailed("The main window was created but is not shown.")
        view = find_child(window, QTableView, "Applications")
        rows = view.model().rowCount()
        if rows == 0:
            raise SelfTestFailed("The main window lists no applications of the demo database.")
        if self._app.windowIcon().isNull():
            raise SelfTestFailed("The main window has no StepDesk icon.")
        return f"shown with {rows} applications listed and the StepDesk icon"

    def qr_code(self, payload: str) -> str:
        """Render `payload` as the step-up dialog does, grab it and decode it again."""
        widget = QrCodeWidget(payload)
        widget.show()
        settle()
        try:
            decoded = decode_qr_codes(widget)
        finally:
            widget.close()
            widget.deleteLater()
        if decoded != [payload]:
            raise SelfTestFailed(
                f"The QR code decoded to {decoded!r} instead of the {len(payload)}-character URI."
            )
        side = len(qr_modules(payload))
        return f"a {side}×{side}-module QR code decoded to the same {len(payload)}-character URI"

    def close(self) -> None:
        window = self._controller.window
        if window is not None:
            window.close()  # locks and wipes secrets, as quitting does
        dialog = self._controller.sign_in_dialog
        if dialog is not None:
            dialog.hide()
            dialog.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        settle()


@contextmanager
def raising_slot_errors() -> Iterator[None]:
    """Raise SelfTestFailed for the first exception that a Qt slot raises in the block.

    Qt calls slots from C++, so their exceptions reach sys.excepthook
    instead of the code that clicked the button.
    """
    caught: list[BaseException] = []
    previous = sys.excepthook

    def collect(
        kind: type[BaseException], value: BaseException, traceback: TracebackType | None
    ) -> None:
        log.error("A Qt slot raised during the self-test", exc_info=(kind, value, traceback))
        caught.append(value)

    sys.excepthook = collect
    try:
        yield
    finally:
        sys.excepthook = previous
    if caught:
        raise SelfTestFailed(f"{type(caught[0]).__name__}: {caught[0]}") from caught[0]


def settle(milliseconds: int = SETTLE_MS) -> None:
    deadline = QDeadlineTimer(milliseconds)
    while not deadline.hasExpired():
        QApplication.processEvents()


def find_child(root: QWidget, kind: type[W], name: str) -> W:
    matches = [child for child in root.findChildren(kind) if child.accessibleName() == name]
    if len(matches) != 1:
        raise SelfTestFailed(
            f"Expected one {kind.__name__} named {name!r} in {root.windowTitle()!r}, "
            f"found {len(matches)}."
        )
    return matches[0]


def decode_qr_codes(widget: QWidget) -> list[str]:
    """Grab `widget` as the screen shows it and return the text of every QR code found."""
    # Imported here: only the self-test needs the decoder and Pillow at run time.
    import zxingcpp
    from PIL import Image

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not widget.grab().save(buffer, "PNG"):
        raise SelfTestFailed("The QR code widget could not be grabbed as a PNG image.")
    buffer.close()
    image = Image.open(io.BytesIO(bytes(data.data())))
    results = zxingcpp.read_barcodes(image)
    return [str(result.text) for result in results if result.format.name == "QRCode"]

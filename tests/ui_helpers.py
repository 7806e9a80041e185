"""Finding controls by accessible name, and reading QR codes from screen grabs."""

import io
import os
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import QBuffer, QIODevice, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

W = TypeVar("W", bound=QWidget)


def find(root: QWidget, kind: type[W], name: str) -> W:
    """Return the one visible-or-not child of `kind` whose accessible name is `name`."""
    matches = [child for child in root.findChildren(kind) if child.accessibleName() == name]
    assert len(matches) == 1, f"expected one {kind.__name__} named {name!r}, found {len(matches)}"
    return matches[0]


def find_all(root: QWidget, kind: type[W], name: str) -> list[W]:
    return [child for child in root.findChildren(kind) if child.accessibleName() == name]


def require_zxing() -> object:
    """Import the QR decoder; with CI=true a missing decoder fails instead of skipping."""
    try:
        import zxingcpp
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("zxing-cpp is not installed; CI needs it to decode QR codes")
        pytest.skip("zxing-cpp is not installed")
    return zxingcpp


def decode_qr(widget: QWidget) -> str:
    """Grab `widget` as the screen shows it and decode the one QR code in it."""
    from PIL import Image

    zxingcpp = require_zxing()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert widget.grab().save(buffer, "PNG")
    image = Image.open(io.BytesIO(bytes(buffer.data().data())))
    results = zxingcpp.read_barcodes(image)  # type: ignore[attr-defined]
    texts = [result.text for result in results if result.format.name == "QRCode"]
    assert len(texts) == 1, f"expected one QR code in the grab, decoded {len(texts)}"
    return str(texts[0])


def otpauth_secret(uri: str) -> str:
    return parse_qs(urlsplit(uri).query)["secret"][0]


def when_dialog_opens(action: Callable[[QDialog], None], timeout_ms: int = 5000) -> list[str]:
    """Run `action` on the next modal dialog; returns a list that records its title.

    A modal dialog's exec() blocks the test, so the action is scheduled to
    run from the dialog's own event loop.
    """
    seen: list[str] = []
    waited = 0

    def poll() -> None:
        nonlocal waited
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog.isVisible():
            seen.append(dialog.windowTitle())
            action(dialog)
            return
        waited += 20
        if waited < timeout_ms:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    return seen

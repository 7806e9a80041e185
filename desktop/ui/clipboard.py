"""Putting a secret on the clipboard without leaving it there."""

import logging

from PySide6.QtCore import QByteArray, QMimeData, QObject
from PySide6.QtGui import QClipboard, QGuiApplication

from desktop.ui.timers import TimerFactory

log = logging.getLogger(__name__)

CLEAR_AFTER_MS = 20_000

# Formats that ask clipboard managers not to keep the entry. A zero DWORD in
# the two Windows "Can…" formats opts out of clipboard history and cloud
# clipboard; the presence of the third excludes it from monitoring apps.
_ZERO_DWORD = QByteArray(b"\x00\x00\x00\x00")
_HINTS = {
    'application/x-qt-windows-mime;value="ExcludeClipboardContentFromMonitorProcessing"': (
        QByteArray(b"\x00")
    ),
    'application/x-qt-windows-mime;value="CanIncludeInClipboardHistory"': _ZERO_DWORD,
    'application/x-qt-windows-mime;value="CanUploadToCloudClipboard"': _ZERO_DWORD,
    "x-kde-passwordManagerHint": QByteArray(b"secret"),
    "application/x-nspasteboard-concealed-type": QByteArray(b"secret"),
}


class SecretClipboard(QObject):
    """Copies a secret and clears it after a delay, on lock and on quit, if still ours."""

    def __init__(self, timers: TimerFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._copied: str | None = None
        self._timer = timers.repeating(CLEAR_AFTER_MS, self.clear, self)

    def copy(self, secret: str) -> None:
        data = QMimeData()
        data.setText(secret)
        for mime_type, value in _HINTS.items():
            data.setData(mime_type, value)
        QGuiApplication.clipboard().setMimeData(data, QClipboard.Mode.Clipboard)
        self._copied = secret
        self._timer.stop()
        self._timer.start()

    def clear(self) -> None:
        """Empty the clipboard if it still holds the secret StepDesk put there."""
        self._timer.stop()
        if self._copied is None:
            return
        clipboard = QGuiApplication.clipboard()
        if clipboard.text(QClipboard.Mode.Clipboard) == self._copied:
            clipboard.clear(QClipboard.Mode.Clipboard)
            log.info("Cleared a copied secret from the clipboard")
        self._copied = None

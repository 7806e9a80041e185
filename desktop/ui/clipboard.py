"""Putting a secret on the clipboard without leaving it there."""

import logging

from PySide6.QtCore import QByteArray, QMimeData, QObject, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

from desktop.ui.timers import TimerFactory

log = logging.getLogger(__name__)

CLEAR_AFTER_SECONDS = 20

# Formats that ask clipboard managers not to keep the entry. A zero DWORD in
# the two Windows "Can…" formats opts out of clipboard history and cloud
# clipboard. The presence of the first format excludes the entry from
# monitoring apps. KDE's Klipper and macOS pasteboard managers read the last two.
_ZERO_DWORD = QByteArray(b"\x00\x00\x00\x00")
CLIPBOARD_HINTS = {
    'application/x-qt-windows-mime;value="ExcludeClipboardContentFromMonitorProcessing"': (
        QByteArray(b"\x00")
    ),
    'application/x-qt-windows-mime;value="CanIncludeInClipboardHistory"': _ZERO_DWORD,
    'application/x-qt-windows-mime;value="CanUploadToCloudClipboard"': _ZERO_DWORD,
    "x-kde-passwordManagerHint": QByteArray(b"secret"),
    "application/x-nspasteboard-concealed-type": QByteArray(b"secret"),
}


class SecretClipboard(QObject):
    """Copies a secret and clears it after a countdown, on lock and on quit, if still ours."""

    remaining_changed = Signal(int)
    """Seconds until the clipboard is cleared; 0 once it was cleared or replaced."""

    def __init__(self, timers: TimerFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._copied: str | None = None
        self._remaining = 0
        self._timer = timers.repeating(1000, self._tick, self)

    def copy(self, secret: str) -> None:
        data = QMimeData()
        data.setText(secret)
        for mime_type, value in CLIPBOARD_HINTS.items():
            data.setData(mime_type, value)
        QGuiApplication.clipboard().setMimeData(data, QClipboard.Mode.Clipboard)
        self._copied = secret
        self._remaining = CLEAR_AFTER_SECONDS
        self._timer.stop()
        self._timer.start()
        self.remaining_changed.emit(self._remaining)

    def _tick(self) -> None:
        self._remaining -= 1
        if self._remaining <= 0 or not self._still_ours():
            self.clear()
            return
        self.remaining_changed.emit(self._remaining)

    def _still_ours(self) -> bool:
        return (
            self._copied is not None
            and QGuiApplication.clipboard().text(QClipboard.Mode.Clipboard) == self._copied
        )

    def clear(self) -> None:
        """Empty the clipboard if it still contains the secret StepDesk put there."""
        self._timer.stop()
        if self._copied is not None and self._still_ours():
            QGuiApplication.clipboard().clear(QClipboard.Mode.Clipboard)
            log.info("Cleared a copied secret from the clipboard")
        self._copied = None
        self._remaining = 0
        self.remaining_changed.emit(0)

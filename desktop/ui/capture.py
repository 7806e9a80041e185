"""Keeping windows that show secrets out of screen capture, where the platform allows.

The main window (which holds the unlocked editor) and the enrolment dialog
ask an adapter to exclude them from capture; tests use a recording fake.
"""

import ctypes
import logging
import sys
from typing import Protocol

from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)


class CaptureGuard(Protocol):
    def set_excluded(self, window: QWidget, excluded: bool) -> bool:
        """Exclude `window` from screen capture or allow it again; False if not done."""
        ...


class NoCaptureGuard:
    """Platforms with no capture exclusion: nothing is done and set_excluded returns False."""

    def set_excluded(self, window: QWidget, excluded: bool) -> bool:
        return False


class WindowsCaptureGuard:
    """SetWindowDisplayAffinity with WDA_EXCLUDEFROMCAPTURE (Windows 10 2004 and later).

    NOTE: written from the Win32 documentation and not yet run on Windows.
    """

    WDA_NONE = 0x0
    WDA_EXCLUDEFROMCAPTURE = 0x11

    def set_excluded(self, window: QWidget, excluded: bool) -> bool:
        windll = getattr(ctypes, "windll", None)
        if windll is None:
            return False
        hwnd = int(window.winId())
        affinity = self.WDA_EXCLUDEFROMCAPTURE if excluded else self.WDA_NONE
        if not windll.user32.SetWindowDisplayAffinity(hwnd, affinity):
            error = ctypes.GetLastError()  # type: ignore[attr-defined]
            log.warning("SetWindowDisplayAffinity(%s, %#x) failed: %s", hwnd, affinity, error)
            return False
        return True


def platform_capture_guard() -> CaptureGuard:
    if sys.platform == "win32":
        return WindowsCaptureGuard()
    # NOTE: macOS (NSWindow.sharingType) and X11/Wayland offer no per-window
    # exclusion that StepDesk uses; windows there can be captured.
    return NoCaptureGuard()

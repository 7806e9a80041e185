"""Adapters that report when the operating system locks the user's session.

StepDesk locks its unlock window when the OS session locks. Each platform
reports that differently, so the main window talks to a small adapter and
tests use a recording fake of it.
"""

import ctypes
import logging
import os
import sys
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import (
    SLOT,
    QAbstractNativeEventFilter,
    QByteArray,
    QCoreApplication,
    QObject,
    Slot,
)
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)


class SessionLockSource(Protocol):
    def start(self, window: QWidget, on_lock: Callable[[], None]) -> bool:
        """Begin reporting session locks for `window`; False where none can be reported."""
        ...

    def stop(self) -> None: ...


class NoSessionLockSource:
    """Used where no session notifications exist; the unlock window still times out."""

    def start(self, window: QWidget, on_lock: Callable[[], None]) -> bool:
        return False

    def stop(self) -> None:
        pass


class _LockReceiver(QObject):
    def __init__(self, on_lock: Callable[[], None]) -> None:
        super().__init__()
        self._on_lock = on_lock

    @Slot()
    def lock(self) -> None:
        log.info("The desktop session was locked")
        self._on_lock()


class LogindSessionLockSource:
    """Listens for logind's Lock signal on the system bus (Linux)."""

    SERVICE = "org.freedesktop.login1"

    def __init__(self) -> None:
        self._receiver: _LockReceiver | None = None
        self._path = ""

    def start(self, window: QWidget, on_lock: Callable[[], None]) -> bool:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface

        bus = QDBusConnection.systemBus()
        if not bus.isConnected():
            log.debug("No system bus, so OS session locks are not reported")
            return False
        manager = QDBusInterface(
            self.SERVICE, "/org/freedesktop/login1", "org.freedesktop.login1.Manager", bus
        )
        reply = manager.call("GetSessionByPID", os.getpid())
        arguments = reply.arguments()
        if not arguments:
            log.debug("logind knows no session for this process: %s", reply.errorMessage())
            return False
        self._path = str(arguments[0].path() if hasattr(arguments[0], "path") else arguments[0])
        self._receiver = _LockReceiver(on_lock)
        connected = bus.connect(
            self.SERVICE,
            self._path,
            "org.freedesktop.login1.Session",
            "Lock",
            self._receiver,
            SLOT("lock()").encode(),
        )
        log.debug("Watching logind session %s for locks: %s", self._path, connected)
        return bool(connected)

    def stop(self) -> None:
        self._receiver = None


class _WindowsSessionFilter(QAbstractNativeEventFilter):
    WM_WTSSESSION_CHANGE = 0x02B1
    WTS_SESSION_LOCK = 0x7

    def __init__(self, on_lock: Callable[[], None]) -> None:
        super().__init__()
        self._on_lock = on_lock

    def nativeEventFilter(  # noqa: N802 - Qt override
        self, event_type: QByteArray | bytes | bytearray | memoryview, message: int
    ) -> tuple[bool, int]:
        msg = ctypes.cast(message, ctypes.POINTER(_Msg)).contents
        if msg.message == self.WM_WTSSESSION_CHANGE and msg.wParam == self.WTS_SESSION_LOCK:
            log.info("The Windows session was locked")
            self._on_lock()
        return False, 0


class _Msg(ctypes.Structure):
    _fields_ = (
        ("hwnd", ctypes.c_void_p),
        ("message", ctypes.c_uint),
        ("wParam", ctypes.c_size_t),
        ("lParam", ctypes.c_ssize_t),
        ("time", ctypes.c_ulong),
        ("pt_x", ctypes.c_long),
        ("pt_y", ctypes.c_long),
    )


class WindowsSessionLockSource:
    """Registers for WTS session notifications on the main window (Windows).

    NOTE: written from the Win32 documentation and not yet run on Windows.
    """

    NOTIFY_FOR_THIS_SESSION = 0

    def __init__(self) -> None:
        self._filter: _WindowsSessionFilter | None = None
        self._hwnd = 0

    def start(self, window: QWidget, on_lock: Callable[[], None]) -> bool:
        windll = getattr(ctypes, "windll", None)
        if windll is None:
            return False
        self._hwnd = int(window.winId())
        if not windll.wtsapi32.WTSRegisterSessionNotification(
            self._hwnd, self.NOTIFY_FOR_THIS_SESSION
        ):
            log.warning("WTSRegisterSessionNotification failed: %s", ctypes.GetLastError())  # type: ignore[attr-defined]
            return False
        self._filter = _WindowsSessionFilter(on_lock)
        app = QCoreApplication.instance()
        if app is not None:
            app.installNativeEventFilter(self._filter)
        return True

    def stop(self) -> None:
        windll = getattr(ctypes, "windll", None)
        app = QCoreApplication.instance()
        if self._filter is not None and app is not None:
            app.removeNativeEventFilter(self._filter)
        if windll is not None and self._hwnd:
            windll.wtsapi32.WTSUnRegisterSessionNotification(self._hwnd)
        self._filter = None
        self._hwnd = 0


def platform_session_lock_source() -> SessionLockSource:
    if sys.platform == "win32":
        return WindowsSessionLockSource()
    if sys.platform.startswith("linux"):
        return LogindSessionLockSource()
    # NOTE: macOS screen-lock notifications are not built; the unlock window
    # still ends by its time limits there.
    return NoSessionLockSource()

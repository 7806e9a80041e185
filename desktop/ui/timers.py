"""Timers come from a factory so tests can list and fire them by hand.

Timers only refresh what is displayed. The session decides at each call
whether the unlock window is open, because timers stop while a laptop sleeps.
"""

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QTimer


class Timer(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def is_active(self) -> bool: ...


class TimerFactory(Protocol):
    def repeating(self, interval_ms: int, callback: Callable[[], None], owner: QObject) -> Timer:
        """Create a stopped timer that calls `callback` every `interval_ms` while started."""
        ...


class _QtTimer:
    def __init__(self, interval_ms: int, callback: Callable[[], None], owner: QObject) -> None:
        self._timer = QTimer(owner)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(callback)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_active(self) -> bool:
        return self._timer.isActive()


class QtTimerFactory:
    def repeating(self, interval_ms: int, callback: Callable[[], None], owner: QObject) -> Timer:
        return _QtTimer(interval_ms, callback, owner)

"""Timers that tests list and fire by hand."""

from collections.abc import Callable

from PySide6.QtCore import QObject


class ManualTimer:
    def __init__(self, interval_ms: int, callback: Callable[[], None]) -> None:
        self.interval_ms = interval_ms
        self.callback = callback
        self.active = False

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def is_active(self) -> bool:
        return self.active


class ManualTimerFactory:
    """Creates timers that never fire on their own."""

    def __init__(self) -> None:
        self.timers: list[ManualTimer] = []

    def repeating(
        self, interval_ms: int, callback: Callable[[], None], owner: QObject
    ) -> ManualTimer:
        timer = ManualTimer(interval_ms, callback)
        self.timers.append(timer)
        return timer

    def running(self) -> list[ManualTimer]:
        return [timer for timer in self.timers if timer.active]

    def fire_running(self) -> int:
        """Call every running timer once, as if its interval had passed; return how many."""
        due = self.running()
        for timer in due:
            timer.callback()
        return len(due)

"""The unlock window opened by a successful step-up verification.

The window records the verification on both the wall clock and a monotonic
clock. It has ended when either elapsed time passes the limit or the wall
clock runs backwards, so neither changing the system time nor sleeping a
laptop keeps it open. Every check reads the clock at that moment; timers
elsewhere only refresh what is displayed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from desktop.security.clock import Clock


@dataclass(frozen=True)
class _Mark:
    wall: datetime
    monotonic: float


class UnlockWindow:
    def __init__(self, clock: Clock, absolute: timedelta, idle: timedelta) -> None:
        self._clock = clock
        self.absolute = absolute
        self.idle = idle
        self._opened: _Mark | None = None
        self._last_activity: _Mark | None = None

    def open(self) -> None:
        mark = self._mark()
        self._opened = mark
        self._last_activity = mark

    def close(self) -> None:
        self._opened = None
        self._last_activity = None

    def record_activity(self) -> None:
        """Note keyboard or mouse input; it resets the idle limit, never the absolute one."""
        if self.is_open():
            self._last_activity = self._mark()

    def is_open(self) -> bool:
        return self.remaining() > timedelta(0)

    def remaining(self) -> timedelta:
        """Return the time left: the smaller of the absolute and the idle limit."""
        if self._opened is None or self._last_activity is None:
            return timedelta(0)
        now = self._mark()
        left = min(
            self._left(self._opened, now, self.absolute),
            self._left(self._last_activity, now, self.idle),
        )
        if left <= timedelta(0):
            self.close()
            return timedelta(0)
        return left

    def _mark(self) -> _Mark:
        return _Mark(self._clock.now(), self._clock.monotonic())

    @staticmethod
    def _left(since: _Mark, now: _Mark, limit: timedelta) -> timedelta:
        wall_elapsed = now.wall - since.wall
        if wall_elapsed < timedelta(0):
            return timedelta(0)
        monotonic_elapsed = timedelta(seconds=now.monotonic - since.monotonic)
        return limit - max(wall_elapsed, monotonic_elapsed)

"""A clock that tests move by hand."""

from datetime import UTC, datetime, timedelta


class ManualClock:
    """Wall and monotonic time that change only when a test moves them."""

    def __init__(self, start: datetime = datetime(2026, 12, 4, 12, 0, 5, tzinfo=UTC)) -> None:
        self._wall = start
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        """Move both clocks forward, as real time passing does."""
        self._wall += timedelta(seconds=seconds)
        self._monotonic += seconds

    def set_wall(self, when: datetime) -> None:
        """Change only the wall clock, as a user or NTP changing the system time does."""
        self._wall = when

"""The unlock window: absolute and idle limits on both the wall and the monotonic clock."""

from datetime import timedelta

import pytest

from desktop.security.unlock import UnlockWindow
from tests.clocks import ManualClock

MINUTE = 60


@pytest.fixture
def window(clock: ManualClock) -> UnlockWindow:
    return UnlockWindow(clock, absolute=timedelta(minutes=15), idle=timedelta(minutes=5))


def _advance_with_activity(clock: ManualClock, window: UnlockWindow, minutes: int) -> None:
    """Move time forward a minute at a time, with input in every minute."""
    for _ in range(minutes):
        clock.advance(MINUTE)
        window.record_activity()


def test_unlock_closed_before_open(window: UnlockWindow) -> None:
    assert not window.is_open()
    assert window.remaining() == timedelta(0)


def test_unlock_open_after_open(window: UnlockWindow) -> None:
    window.open()

    assert window.is_open()
    assert window.remaining() == timedelta(minutes=5)


def test_unlock_closed_after_close(window: UnlockWindow) -> None:
    window.open()
    window.close()

    assert not window.is_open()


def test_unlock_idle_expiry(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()

    clock.advance(5 * MINUTE - 1)
    assert window.is_open()

    clock.advance(1)
    assert not window.is_open()


def test_unlock_activity_extends_idle(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()
    clock.advance(4 * MINUTE)
    window.record_activity()

    clock.advance(4 * MINUTE)

    assert window.is_open()
    assert window.remaining() == timedelta(minutes=1)


def test_unlock_absolute_limit_despite_activity(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()

    _advance_with_activity(clock, window, 14)
    clock.advance(MINUTE - 1)
    assert window.is_open()

    window.record_activity()
    clock.advance(1)
    assert not window.is_open()


def test_unlock_activity_never_extends_absolute(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()
    _advance_with_activity(clock, window, 12)

    window.record_activity()

    assert window.remaining() == timedelta(minutes=3)


def test_unlock_activity_after_expiry_closed(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()
    clock.advance(6 * MINUTE)

    window.record_activity()

    assert not window.is_open()


def test_unlock_activity_before_open_closed(window: UnlockWindow) -> None:
    window.record_activity()

    assert not window.is_open()


def test_unlock_wall_clock_backwards_closes(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()
    clock.advance(MINUTE)

    clock.set_wall(clock.now() - timedelta(minutes=2))

    assert not window.is_open()


def test_unlock_wall_clock_backwards_stays_closed(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()
    opened_at = clock.now()
    clock.set_wall(opened_at - timedelta(seconds=1))
    assert not window.is_open()

    clock.set_wall(opened_at + timedelta(seconds=1))

    assert not window.is_open()


def test_unlock_monotonic_limit_wall_set_back(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()
    opened_at = clock.now()
    _advance_with_activity(clock, window, 15)

    # Someone set the system time back to one minute after the unlock.
    clock.set_wall(opened_at + timedelta(minutes=1))

    assert not window.is_open()


def test_unlock_monotonic_idle_wall_set_back(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()
    opened_at = clock.now()
    clock.advance(5 * MINUTE)

    clock.set_wall(opened_at + timedelta(minutes=1))

    assert not window.is_open()


def test_unlock_wall_jump_forward_closes(clock: ManualClock, window: UnlockWindow) -> None:
    # On Linux the monotonic clock stops while a laptop sleeps, but the wall clock runs on.
    window.open()

    clock.set_wall(clock.now() + timedelta(minutes=16))

    assert not window.is_open()


def test_unlock_remaining_idle_smaller(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()

    clock.advance(2 * MINUTE)

    assert window.remaining() == timedelta(minutes=3)


def test_unlock_remaining_absolute_smaller(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()
    _advance_with_activity(clock, window, 13)

    clock.advance(30)

    assert window.remaining() == timedelta(minutes=1, seconds=30)


def test_unlock_reopen_restarts_limits(clock: ManualClock, window: UnlockWindow) -> None:
    window.open()
    _advance_with_activity(clock, window, 14)

    window.open()
    _advance_with_activity(clock, window, 14)

    assert window.is_open()

"""Relays the session's unlock state to the widgets that display it."""

import logging
from datetime import timedelta

from PySide6.QtCore import QEvent, QObject, Signal

from desktop.services.session import SignedInSession
from desktop.ui.timers import TimerFactory

log = logging.getLogger(__name__)

REFRESH_MS = 1000


class UnlockMonitor(QObject):
    """Announces unlocking, locking and the time left.

    The session decides at each call whether it is unlocked. This object
    only polls it, so that the countdown and the editors follow and a window
    that ended while no call was made still wipes its secrets.
    """

    unlocked = Signal()
    locked = Signal()
    remaining_changed = Signal(object)
    """Emitted with the remaining time as a timedelta."""

    def __init__(
        self, session: SignedInSession, timers: TimerFactory, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._was_open = False
        self._timer = timers.repeating(REFRESH_MS, self.refresh, self)

    def refresh(self) -> None:
        remaining = self._session.unlock.remaining()
        is_open = remaining > timedelta(0)
        self.remaining_changed.emit(remaining)
        if is_open and not self._was_open:
            self._was_open = True
            self._timer.start()
            self.unlocked.emit()
        elif not is_open and self._was_open:
            self._was_open = False
            self._timer.stop()
            log.info("Security details locked for user %s", self._session.user.id)
            self.locked.emit()

    def lock_now(self) -> None:
        self._session.lock()
        self._was_open = True
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # Keyboard and mouse input count as activity for the idle limit.
        if event.type() in (
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
            QEvent.Type.Wheel,
        ):
            self._session.record_activity()
        return False

"""Small builders shared by StepDesk's windows and dialogs."""

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtWidgets import QLabel, QPushButton, QWidget


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_date_time(moment: datetime) -> str:
    """Format an aware datetime in local time, such as "04 Dec 2026 12:30"."""
    return moment.astimezone().strftime("%d %b %Y %H:%M")


def buddy_label(text: str, widget: QWidget) -> QLabel:
    """Return a label whose mnemonic in `text` moves the focus to `widget`."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def action_button(text: str, accessible_name: str, slot: Callable[[], object]) -> QPushButton:
    """Return a button that calls `slot` with no arguments and is never an auto-default."""
    button = QPushButton(text)
    button.setAccessibleName(accessible_name)
    button.setAutoDefault(False)
    # clicked passes a "checked" flag, which must not reach slots with optional arguments.
    button.clicked.connect(lambda: slot())
    return button

"""PySide6 6.12.0 on CPython 3.11 drops a reference to None on every call of a
method that returns nothing, until the interpreter aborts in none_dealloc.
The pinned range must not have that fault."""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

CALLS = 10_000


def test_void_calls_keep_none_refcount(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    timer = QTimer()
    image = QImage(4, 4, QImage.Format.Format_RGB32)
    before = sys.getrefcount(None)
    for index in range(CALLS):
        label.setText("x")
        timer.setInterval(index % 50 + 1)
        image.setPixel(index % 4, 0, 0xFFFFFF)
    after = sys.getrefcount(None)
    # A faulty build loses one reference per call, so the count falls by about
    # 3 * CALLS; a few references may come and go with the interpreter's own work.
    assert abs(after - before) < 100, f"None's reference count moved by {after - before}"

"""A list editor for callback URLs that marks each invalid entry in place."""

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.callbacks import CallbackCheck, check_callback_url
from desktop.ui.widgets import action_button

_ERROR_BACKGROUND = QColor("#f9d6d5")
_WARNING_BACKGROUND = QColor("#fcefc7")
_ERROR_TEXT = QColor("#5c0000")
_WARNING_TEXT = QColor("#4d3800")


class CallbackUrlList(QWidget):
    """Add, edit, remove and reorder callback URLs; invalid ones show their reason."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Callback URLs")
        self.list.currentRowChanged.connect(self._update_buttons)
        self.list.itemDoubleClicked.connect(lambda _item: self.edit_current())

        self._add = action_button("&Add…", "Add callback URL", self.add_url)
        self._edit = action_button("&Edit…", "Edit callback URL", self.edit_current)
        self._remove = action_button("Re&move", "Remove callback URL", self.remove_current)
        self._up = action_button("Move &up", "Move callback URL up", lambda: self._move(-1))
        self._down = action_button("Move do&wn", "Move callback URL down", lambda: self._move(1))

        self.problems = QLabel()
        self.problems.setAccessibleName("Callback URL problems")
        self.problems.setWordWrap(True)
        self.problems.hide()

        buttons = QVBoxLayout()
        for button in (self._add, self._edit, self._remove, self._up, self._down):
            buttons.addWidget(button)
        buttons.addStretch()
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.problems)
        self._update_buttons()

    # Content

    def urls(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count())]

    def set_urls(self, urls: tuple[str, ...] | list[str]) -> None:
        self.list.clear()
        for url in urls:
            self._append(url)
        self._refresh_problems()

    def errors(self) -> list[str]:
        return [check.error for check in self._checks() if check.error]

    def warnings(self) -> list[str]:
        return [check.warning for check in self._checks() if check.warning]

    def _checks(self) -> list[CallbackCheck]:
        return [check_callback_url(url) for url in self.urls()]

    # Editing

    def add_url(self, text: str | None = None) -> None:
        if text is None:
            text, ok = QInputDialog.getText(
                self, "Add callback URL", "Callback URL (such as https://app.example/callback):"
            )
            if not ok:
                return
        self._append(text.strip())
        self.list.setCurrentRow(self.list.count() - 1)
        self._after_change()

    def edit_current(self, text: str | None = None) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        if text is None:
            text, ok = QInputDialog.getText(
                self, "Edit callback URL", "Callback URL:", text=item.text()
            )
            if not ok:
                return
        self._decorate(item, text.strip())
        self._after_change()

    def remove_current(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        self.list.takeItem(row)
        self._after_change()

    def _move(self, offset: int) -> None:
        row = self.list.currentRow()
        target = row + offset
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self._after_change()

    def _append(self, url: str) -> None:
        item = QListWidgetItem()
        self._decorate(item, url)
        self.list.addItem(item)

    def _decorate(self, item: QListWidgetItem, url: str) -> None:
        check = check_callback_url(url)
        item.setText(check.url)
        if check.error:
            item.setBackground(QBrush(_ERROR_BACKGROUND))
            item.setForeground(QBrush(_ERROR_TEXT))
            item.setToolTip(check.error)
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, f"Invalid: {check.error}")
        elif check.warning:
            item.setBackground(QBrush(_WARNING_BACKGROUND))
            item.setForeground(QBrush(_WARNING_TEXT))
            item.setToolTip(check.warning)
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, f"Warning: {check.warning}")
        else:
            item.setBackground(QBrush())
            item.setForeground(QBrush())
            item.setToolTip("")
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, "")

    def _after_change(self) -> None:
        self._refresh_problems()
        self._update_buttons()
        self.changed.emit()

    def _refresh_problems(self) -> None:
        lines = [f"✗ {error}" for error in self.errors()]
        lines += [f"⚠ {warning}" for warning in self.warnings()]
        self.problems.setText("\n".join(lines))
        self.problems.setVisible(bool(lines))

    def _update_buttons(self) -> None:
        row = self.list.currentRow()
        selected = row >= 0
        self._edit.setEnabled(selected)
        self._remove.setEnabled(selected)
        self._up.setEnabled(selected and row > 0)
        self._down.setEnabled(selected and row < self.list.count() - 1)

"""The part of a flat table model that every StepDesk table shares."""

from typing import overload

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt

ModelIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class FlatTableModel(QAbstractItemModel):
    """A table without a tree below it, following Qt's model contract.

    Subclasses give the row and column counts and implement data(). A valid
    parent has no rows or columns, and an invalid index has no flags.
    """

    def row_total(self) -> int:
        raise NotImplementedError

    def column_total(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: ModelIndex = _ROOT) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else self.row_total()

    def columnCount(self, parent: ModelIndex = _ROOT) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else self.column_total()

    def index(self, row: int, column: int, parent: ModelIndex = _ROOT) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column)

    @overload
    def parent(self) -> QObject | None: ...

    @overload
    def parent(self, child: ModelIndex) -> QModelIndex: ...

    def parent(self, child: ModelIndex | None = None) -> QObject | QModelIndex | None:
        if child is None:
            return super().parent()
        return QModelIndex()

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

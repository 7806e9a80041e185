"""A table model of one application's API keys: public facts only, never a secret."""

from collections.abc import Callable
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from desktop.domain.entities import ApiKeyInfo
from desktop.ui.table_model import FlatTableModel
from desktop.ui.widgets import local_date_time

ModelIndex = QModelIndex | QPersistentModelIndex


class ApiKeyColumn(IntEnum):
    KEY_ID = 0
    CREATED = 1
    ROTATED = 2
    VALID_UNTIL = 3
    STATUS = 4

    @property
    def title(self) -> str:
        return ("Key id", "Created", "Last rotated", "Valid until", "Status")[self]


class ApiKeyRole(IntEnum):
    ID = Qt.ItemDataRole.UserRole
    KEY = ID + 1
    """The ApiKeyInfo of the row."""
    USABLE = ID + 2


def _when(value: datetime | None) -> str:
    return "" if value is None else local_date_time(value)


class ApiKeysModel(FlatTableModel):
    def __init__(
        self, now: Callable[[], datetime] = lambda: datetime.now(UTC), parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._now = now
        self._keys: list[ApiKeyInfo] = []

    def set_keys(self, keys: tuple[ApiKeyInfo, ...]) -> None:
        self.beginResetModel()
        self._keys = list(keys)
        self.endResetModel()

    def key_at(self, row: int) -> ApiKeyInfo:
        return self._keys[row]

    def row_of(self, api_key_id: int) -> int:
        for row, key in enumerate(self._keys):
            if key.id == api_key_id:
                return row
        return -1

    def row_total(self) -> int:
        return len(self._keys)

    def column_total(self) -> int:
        return len(ApiKeyColumn)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._keys):
            return None
        key = self._keys[index.row()]
        if role == ApiKeyRole.ID:
            return key.id
        if role == ApiKeyRole.KEY:
            return key
        if role == ApiKeyRole.USABLE:
            return key.is_usable(self._now())
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        column = ApiKeyColumn(index.column())
        if column is ApiKeyColumn.KEY_ID:
            return key.client_id
        if column is ApiKeyColumn.CREATED:
            return _when(key.created_at)
        if column is ApiKeyColumn.ROTATED:
            return _when(key.rotated_at)
        if column is ApiKeyColumn.VALID_UNTIL:
            return _when(key.revoked_at or key.valid_until)
        return key.status(self._now())

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(ApiKeyColumn)
        ):
            return ApiKeyColumn(section).title
        return None

"""Item models over the database: a table of applications and a tree of teams.

Filtering and sorting happen in SQL through BrowseService, and rows arrive in
batches with keyset paging: each batch starts after the sort key and id of the
last row loaded, so views fetch more only as the user scrolls.
"""

import logging
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, overload

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop.domain.entities import ApplicationSummary, Environment, Team
from desktop.domain.errors import StorageError
from desktop.services.browse import BrowseService, cursor_after
from desktop.services.ports import ApplicationSort
from desktop.services.session import SignedInSession
from desktop.ui.table_model import FlatTableModel

log = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

# The invalid index, which is the root of every model, shared as a default argument.
_ROOT = QModelIndex()

DEFAULT_BATCH_SIZE = 200

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOL_TIP = Qt.ItemDataRole.ToolTipRole
_USER_ROLE = int(Qt.ItemDataRole.UserRole)


def environment_label(environment: Environment) -> str:
    return environment.value.capitalize()


def status_label(status: str) -> str:
    return status.capitalize()


class ApplicationColumn(IntEnum):
    NAME = 0
    TEAM = 1
    ENVIRONMENT = 2
    STATUS = 3

    @property
    def title(self) -> str:
        return self.name.capitalize()


_COLUMN_SORT = {
    ApplicationColumn.NAME: ApplicationSort.NAME,
    ApplicationColumn.TEAM: ApplicationSort.TEAM,
    ApplicationColumn.ENVIRONMENT: ApplicationSort.ENVIRONMENT,
    ApplicationColumn.STATUS: ApplicationSort.STATUS,
}


class ApplicationRole(IntEnum):
    """Data roles of ApplicationsModel. Every column of a row returns the same values."""

    ID = _USER_ROLE
    SUMMARY = _USER_ROLE + 1
    """The ApplicationSummary of the row."""
    TEAM_ID = _USER_ROLE + 2
    ENVIRONMENT = _USER_ROLE + 3
    """The Environment value, such as "production"."""


class ItemKind(StrEnum):
    TEAM = "team"
    APPLICATION = "application"


class TeamsRole(IntEnum):
    """Data roles of TeamsModel."""

    KIND = _USER_ROLE
    """An ItemKind value: "team" or "application"."""
    TEAM_ID = _USER_ROLE + 1
    APPLICATION_ID = _USER_ROLE + 2
    """The application's id, or None on a team row."""
    ROLE = _USER_ROLE + 3
    """The signed-in user's TeamRole value in the team (such as "owner"), or None."""
    SUMMARY = _USER_ROLE + 4
    """The ApplicationSummary of an application row, or None on a team row."""


class _ApplicationPages:
    """The applications of one query, loaded batch by batch with keyset paging.

    A row added or deleted at another desk in front of the cursor does not
    shift the next batch, as it would with OFFSET. A row whose sort key
    changed after it was loaded can come back in a later batch, so rows whose
    id is already loaded are skipped.
    """

    def __init__(
        self,
        browse: BrowseService,
        session: SignedInSession,
        batch_size: int,
        *,
        filter_text: str = "",
        team_id: int | None = None,
        sort: ApplicationSort = ApplicationSort.NAME,
        descending: bool = False,
    ) -> None:
        self._browse = browse
        self._session = session
        self._batch_size = batch_size
        self._filter_text = filter_text
        self._team_id = team_id
        self._sort = sort
        self._descending = descending
        self._cursor: tuple[str, int] | None = None
        self._loaded_ids: set[int] = set()
        self.rows: list[ApplicationSummary] = []
        self.exhausted = False

    def fetch_next(self) -> list[ApplicationSummary]:
        """Query the batch after the last row fetched and return its rows not yet loaded.

        Nothing changes until `append` adds the returned rows, so a model can
        announce them with beginInsertRows first. Raises StorageError.
        """
        query = self._browse.query(
            self._session,
            filter_text=self._filter_text,
            team_id=self._team_id,
            sort=self._sort,
            descending=self._descending,
            after=self._cursor,
            limit=self._batch_size,
        )
        batch = self._browse.applications(query)
        if len(batch) < self._batch_size:
            self.exhausted = True
        if batch:
            self._cursor = cursor_after(batch[-1], self._sort)
        return [summary for summary in batch if summary.id not in self._loaded_ids]

    def append(self, rows: list[ApplicationSummary]) -> None:
        self.rows.extend(rows)
        self._loaded_ids.update(summary.id for summary in rows)

    def stop(self) -> None:
        """Fetch nothing more, after an error, until the model is reset."""
        self.exhausted = True


def _check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")


class ApplicationsModel(FlatTableModel):
    """A flat table of the applications the signed-in user may see.

    Construction and every reset load the first batch at once, and views load
    the next ones through canFetchMore/fetchMore as they scroll. The
    constructor raises StorageError. Later loads report it through
    `loading_failed` and fetch nothing more until the next reset.
    """

    loading_failed = Signal(str)
    """The message of a StorageError raised while loading rows."""

    def __init__(
        self,
        browse: BrowseService,
        session: SignedInSession,
        batch_size: int = DEFAULT_BATCH_SIZE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        _check_batch_size(batch_size)
        self._browse = browse
        self._session = session
        self._batch_size = batch_size
        self._filter_text = ""
        self._team_id: int | None = None
        self._sort = ApplicationSort.NAME
        self._descending = False
        self._loading = False
        self._pages = self._new_pages()
        self._pages.append(self._pages.fetch_next())

    # Public API

    def set_filter_text(self, text: str) -> None:
        """Show only applications whose name or team name contains `text`, ignoring case."""
        self._filter_text = text
        self._reload()

    def set_team(self, team_id: int | None) -> None:
        """Show only the applications of one team, or of every visible team with None."""
        self._team_id = team_id
        self._reload()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in SQL by `column`. Column -1, which views send to clear sorting, sorts by name."""
        if column == -1:
            self._sort = ApplicationSort.NAME
        elif 0 <= column < len(ApplicationColumn):
            self._sort = _COLUMN_SORT[ApplicationColumn(column)]
        else:
            raise ValueError(f"column {column} does not exist in the applications table")
        self._descending = order == Qt.SortOrder.DescendingOrder
        self._reload()

    def refresh(self) -> None:
        """Reload from the first batch, showing changes made since."""
        self._reload()

    def application_at(self, row: int) -> ApplicationSummary:
        """Return the application shown at `row`, or raise IndexError outside the loaded rows."""
        if not 0 <= row < len(self._pages.rows):
            raise IndexError(f"row {row} is not loaded: the model has {len(self._pages.rows)} rows")
        return self._pages.rows[row]

    def total_count(self) -> int:
        """Count every application matching the filter, loaded or not. Raises StorageError."""
        query = self._browse.query(
            self._session, filter_text=self._filter_text, team_id=self._team_id
        )
        return self._browse.count(query)

    # QAbstractItemModel

    def row_total(self) -> int:
        return len(self._pages.rows)

    def column_total(self) -> int:
        return len(ApplicationColumn)

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        if not self.checkIndex(index, QAbstractItemModel.CheckIndexOption.IndexIsValid):
            return None
        summary = self._pages.rows[index.row()]
        if role == _DISPLAY:
            return _application_cell(summary, ApplicationColumn(index.column()))
        if role == ApplicationRole.ID:
            return summary.id
        if role == ApplicationRole.SUMMARY:
            return summary
        if role == ApplicationRole.TEAM_ID:
            return summary.team_id
        if role == ApplicationRole.ENVIRONMENT:
            return summary.environment.value
        return None

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == _DISPLAY
            and 0 <= section < len(ApplicationColumn)
        ):
            return ApplicationColumn(section).title
        return super().headerData(section, orientation, role)

    def canFetchMore(self, parent: ModelIndex) -> bool:  # noqa: N802 - Qt override
        return not parent.isValid() and not self._loading and not self._pages.exhausted

    def fetchMore(self, parent: ModelIndex) -> None:  # noqa: N802 - Qt override
        if not self.canFetchMore(parent):
            return
        # A slot connected to rowsAboutToBeInserted may call fetchMore before the
        # rows are stored, so `_loading` makes such a nested call return.
        self._loading = True
        try:
            batch = self._pages.fetch_next()
            if batch:
                first = len(self._pages.rows)
                self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
                self._pages.append(batch)
                self.endInsertRows()
        except StorageError as error:
            self._report_failure(error)
        finally:
            self._loading = False

    # Loading

    def _new_pages(self) -> _ApplicationPages:
        return _ApplicationPages(
            self._browse,
            self._session,
            self._batch_size,
            filter_text=self._filter_text,
            team_id=self._team_id,
            sort=self._sort,
            descending=self._descending,
        )

    def _reload(self) -> None:
        # `_loading` stays set until modelReset has reached every receiver, so no
        # receiver's fetchMore inserts rows before a later receiver handles the
        # reset. Qt's QAbstractItemModelTester reports that order as an error.
        failure: StorageError | None = None
        self._loading = True
        self.beginResetModel()
        try:
            self._pages = self._new_pages()
            self._pages.append(self._pages.fetch_next())
        except StorageError as error:
            failure = error
            self._pages.stop()
        finally:
            self.endResetModel()
            self._loading = False
        if failure is not None:
            self._report_failure(failure)

    def _report_failure(self, error: StorageError) -> None:
        log.warning(
            "Loading applications for user %s failed after %d rows: %s",
            self._session.user.id,
            len(self._pages.rows),
            error,
        )
        self._pages.stop()
        self.loading_failed.emit(str(error))


def _application_cell(summary: ApplicationSummary, column: ApplicationColumn) -> str:
    if column == ApplicationColumn.NAME:
        return summary.name
    if column == ApplicationColumn.TEAM:
        return summary.team_name
    if column == ApplicationColumn.ENVIRONMENT:
        return environment_label(summary.environment)
    return status_label(summary.status)


# Internal id of a team row. An application row's internal id is its team's row + 1.
_TEAM_ROW_ID = 0


@dataclass
class _TeamNode:
    team: Team
    applications: _ApplicationPages


class TeamsModel(QAbstractItemModel):
    """A tree of the teams the signed-in user may see, with each team's applications.

    Teams load at construction and on refresh, and the constructor raises
    StorageError. A team's applications load only when a view expands it,
    batch by batch, sorted by name. A failed batch is reported through
    `loading_failed`, and that team fetches nothing more until refresh.
    """

    loading_failed = Signal(str)
    """The message of a StorageError raised while loading rows."""

    def __init__(
        self,
        browse: BrowseService,
        session: SignedInSession,
        batch_size: int = DEFAULT_BATCH_SIZE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        _check_batch_size(batch_size)
        self._browse = browse
        self._session = session
        self._batch_size = batch_size
        self._loading = False
        self._nodes = self._load_teams()

    def refresh(self) -> None:
        """Reload the teams and forget every loaded application."""
        # As in ApplicationsModel._reload, no fetch runs while modelReset is emitted.
        failure: StorageError | None = None
        self._loading = True
        self.beginResetModel()
        try:
            self._nodes = self._load_teams()
        except StorageError as error:
            failure = error
            self._nodes = []
        finally:
            self.endResetModel()
            self._loading = False
        if failure is not None:
            log.warning("Loading teams for user %s failed: %s", self._session.user.id, failure)
            self.loading_failed.emit(str(failure))

    # QAbstractItemModel

    def rowCount(self, parent: ModelIndex = _ROOT) -> int:  # noqa: N802 - Qt override
        if not parent.isValid():
            return len(self._nodes)
        node = self._team_node(parent)
        if node is None or parent.column() != 0:
            return 0
        return len(node.applications.rows)

    def columnCount(self, parent: ModelIndex = _ROOT) -> int:  # noqa: N802 - Qt override
        return 1

    def hasChildren(self, parent: ModelIndex = _ROOT) -> bool:  # noqa: N802 - Qt override
        """Return True for a team whose applications are not all loaded yet.

        Views then offer to expand the team, which fetches its first batch.
        """
        if not parent.isValid():
            return bool(self._nodes)
        node = self._team_node(parent)
        if node is None or parent.column() != 0:
            return False
        return bool(node.applications.rows) or not node.applications.exhausted

    def index(self, row: int, column: int, parent: ModelIndex = _ROOT) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _TEAM_ROW_ID)
        return self.createIndex(row, column, parent.row() + 1)

    @overload
    def parent(self) -> QObject | None: ...

    @overload
    def parent(self, child: ModelIndex) -> QModelIndex: ...

    def parent(self, child: ModelIndex | None = None) -> QObject | QModelIndex | None:
        if child is None:
            return super().parent()
        if not child.isValid() or child.internalId() == _TEAM_ROW_ID:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, _TEAM_ROW_ID)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.internalId() != _TEAM_ROW_ID:
            flags |= Qt.ItemFlag.ItemNeverHasChildren
        return flags

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        if not self.checkIndex(index, QAbstractItemModel.CheckIndexOption.IndexIsValid):
            return None
        if index.internalId() == _TEAM_ROW_ID:
            return _team_data(self._nodes[index.row()].team, role)
        node = self._nodes[index.internalId() - 1]
        return _application_data(node, node.applications.rows[index.row()], role)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY and section == 0:
            return "Name"
        return super().headerData(section, orientation, role)

    def canFetchMore(self, parent: ModelIndex) -> bool:  # noqa: N802 - Qt override
        node = self._team_node(parent)
        return (
            node is not None
            and parent.column() == 0
            and not self._loading
            and not node.applications.exhausted
        )

    def fetchMore(self, parent: ModelIndex) -> None:  # noqa: N802 - Qt override
        if not self.canFetchMore(parent):
            return
        node = self._nodes[parent.row()]
        # See ApplicationsModel.fetchMore: a nested call must not fetch this batch twice.
        self._loading = True
        try:
            batch = node.applications.fetch_next()
            if batch:
                first = len(node.applications.rows)
                self.beginInsertRows(parent, first, first + len(batch) - 1)
                node.applications.append(batch)
                self.endInsertRows()
        except StorageError as error:
            log.warning(
                "Loading the applications of team %s for user %s failed: %s",
                node.team.id,
                self._session.user.id,
                error,
            )
            node.applications.stop()
            self.loading_failed.emit(str(error))
        finally:
            self._loading = False

    # Loading

    def _load_teams(self) -> list[_TeamNode]:
        # NOTE: every visible team loads in one query because BrowseService.teams
        # takes no cursor. Only applications are paged.
        return [
            _TeamNode(
                team,
                _ApplicationPages(self._browse, self._session, self._batch_size, team_id=team.id),
            )
            for team in self._browse.teams(self._session)
        ]

    def _team_node(self, index: ModelIndex) -> _TeamNode | None:
        """Return the node of a team row, or None for the root and application rows."""
        if not index.isValid() or index.internalId() != _TEAM_ROW_ID:
            return None
        return self._nodes[index.row()]


def _team_data(team: Team, role: int) -> Any:
    if role == _DISPLAY:
        return team.name
    if role == _TOOL_TIP:
        return team.description or None
    if role == TeamsRole.KIND:
        return ItemKind.TEAM.value
    if role == TeamsRole.TEAM_ID:
        return team.id
    if role == TeamsRole.ROLE:
        return None if team.role is None else team.role.value
    return None


def _application_data(node: _TeamNode, summary: ApplicationSummary, role: int) -> Any:
    if role == _DISPLAY:
        return f"{summary.name} ({environment_label(summary.environment)})"
    if role == TeamsRole.KIND:
        return ItemKind.APPLICATION.value
    if role == TeamsRole.TEAM_ID:
        return summary.team_id
    if role == TeamsRole.APPLICATION_ID:
        return summary.id
    if role == TeamsRole.ROLE:
        return None if node.team.role is None else node.team.role.value
    if role == TeamsRole.SUMMARY:
        return summary
    return None

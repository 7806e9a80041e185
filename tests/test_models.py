"""The applications table and the teams tree over a real demo database."""

import sqlite3
from collections.abc import Callable
from contextlib import closing

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import QTableView, QTreeView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.domain.entities import ApplicationSummary, Environment
from desktop.domain.roles import TeamRole
from desktop.domain.text import fold
from desktop.services.bundle import Services
from desktop.services.ports import ApplicationSort
from desktop.services.session import SignedInSession
from desktop.storage.store import SqlStore
from desktop.ui.models import (
    ApplicationColumn,
    ApplicationRole,
    ApplicationsModel,
    TeamsModel,
    TeamsRole,
)

ROOT = QModelIndex()
ASCENDING = Qt.SortOrder.AscendingOrder
DESCENDING = Qt.SortOrder.DescendingOrder
MANY = 10_000
OLIVIA_SEEDED = 9
"""Demo applications visible to olivia: those of Payments and Logistics, which she owns."""

TableCheck = Callable[..., None]


@pytest.fixture
def owner(services: Services) -> SignedInSession:
    return services.auth.sign_in("olivia", "demo-owner-2026")


@pytest.fixture
def support(services: Services) -> SignedInSession:
    return services.auth.sign_in("sam", "demo-support-2026")


@pytest.fixture
def team_ids(services: Services, support: SignedInSession) -> dict[str, int]:
    return {team.name: team.id for team in services.browse.teams(support)}


@pytest.fixture
def assert_table() -> TableCheck:
    """Return a check that compares every display cell under `parent` with a table of rows."""

    def check(
        model: QAbstractItemModel, expected: list[list[str]], parent: QModelIndex = ROOT
    ) -> None:
        actual = [
            [
                model.index(row, column, parent).data(Qt.ItemDataRole.DisplayRole)
                for column in range(model.columnCount(parent))
            ]
            for row in range(model.rowCount(parent))
        ]
        assert actual == expected

    return check


def display_column(
    model: QAbstractItemModel, column: int = 0, parent: QModelIndex = ROOT
) -> list[str]:
    return [model.index(row, column, parent).data() for row in range(model.rowCount(parent))]


def loaded_summaries(model: ApplicationsModel) -> list[ApplicationSummary]:
    return [model.application_at(row) for row in range(model.rowCount())]


def fetch_all(model: QAbstractItemModel, parent: QModelIndex = ROOT) -> None:
    while model.canFetchMore(parent):
        model.fetchMore(parent)


def run_sql(store: SqlStore, statement: str, *parameters: object) -> None:
    """Change the demo database file behind the store's back, as another desk would."""
    path = store.target.path
    assert path is not None
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(statement, parameters)


# ApplicationsModel: model tester


def _no_change(model: ApplicationsModel) -> None:
    pass


def _fetch_once(model: ApplicationsModel) -> None:
    model.fetchMore(ROOT)


def _filter_by_team_name(model: ApplicationsModel) -> None:
    model.set_filter_text("PAY")


def _sort_by_team_descending(model: ApplicationsModel) -> None:
    model.sort(ApplicationColumn.TEAM, DESCENDING)


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "python-tester"])
@pytest.mark.parametrize(
    "change",
    [_no_change, _fetch_once, _filter_by_team_name, _sort_by_team_descending],
    ids=["first-batch", "after-fetch", "after-filter", "after-sort"],
)
def test_applications_pass_model_tester(
    qtmodeltester: ModelTester,
    services: Services,
    owner: SignedInSession,
    change: Callable[[ApplicationsModel], None],
    force_py: bool,
) -> None:
    model = ApplicationsModel(services.browse, owner, batch_size=4)
    change(model)
    assert model.rowCount() > 0

    qtmodeltester.check(model, force_py=force_py)


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "python-tester"])
def test_applications_tester_watches_changes(
    qtmodeltester: ModelTester, services: Services, owner: SignedInSession, force_py: bool
) -> None:
    model = ApplicationsModel(services.browse, owner, batch_size=2)
    qtmodeltester.check(model, force_py=force_py)

    model.fetchMore(ROOT)
    model.set_filter_text("e")
    model.fetchMore(ROOT)
    model.sort(ApplicationColumn.ENVIRONMENT, DESCENDING)
    fetch_all(model)
    model.set_team(None)
    model.refresh()

    assert model.rowCount() == 2


# ApplicationsModel: contents


def test_applications_table_for_filter(
    services: Services, owner: SignedInSession, assert_table: TableCheck
) -> None:
    model = ApplicationsModel(services.browse, owner)
    model.set_filter_text("log")

    assert_table(
        model,
        [
            ["Delivery Slots", "Logistics", "Production", "Active"],
            ["Delivery Slots", "Logistics", "Development", "Active"],
            ["Parcel Tracker", "Logistics", "Production", "Active"],
            ["Parcel Tracker", "Logistics", "Integration", "Active"],
        ],
    )


def test_applications_table_for_owner(
    services: Services, owner: SignedInSession, assert_table: TableCheck
) -> None:
    model = ApplicationsModel(services.browse, owner)

    assert_table(
        model,
        [
            ["Checkout", "Payments", "Production", "Active"],
            ["Checkout", "Payments", "Integration", "Active"],
            ["Checkout", "Payments", "Development", "Active"],
            ["Delivery Slots", "Logistics", "Production", "Active"],
            ["Delivery Slots", "Logistics", "Development", "Active"],
            ["Parcel Tracker", "Logistics", "Production", "Active"],
            ["Parcel Tracker", "Logistics", "Integration", "Active"],
            ["Refunds", "Payments", "Production", "Active"],
            ["Refunds", "Payments", "Development", "Active"],
        ],
    )


def test_applications_header(services: Services, owner: SignedInSession) -> None:
    model = ApplicationsModel(services.browse, owner)

    titles = [
        model.headerData(section, Qt.Orientation.Horizontal)
        for section in range(model.columnCount())
    ]

    assert titles == ["Name", "Team", "Environment", "Status"]


def test_applications_roles(
    services: Services, owner: SignedInSession, team_ids: dict[str, int]
) -> None:
    model = ApplicationsModel(services.browse, owner)
    model.set_filter_text("refunds")
    summary = model.application_at(0)

    for column in ApplicationColumn:
        index = model.index(0, column)
        assert index.data(ApplicationRole.ID) == summary.id
        assert index.data(ApplicationRole.SUMMARY) == summary
        assert index.data(ApplicationRole.TEAM_ID) == team_ids["Payments"]
        assert index.data(ApplicationRole.ENVIRONMENT) == "production"
    assert summary.name == "Refunds"
    assert summary.environment == Environment.PRODUCTION


def test_application_at_outside_rows(services: Services, owner: SignedInSession) -> None:
    model = ApplicationsModel(services.browse, owner)

    with pytest.raises(IndexError, match="row 9"):
        model.application_at(OLIVIA_SEEDED)
    with pytest.raises(IndexError):
        model.application_at(-1)


def test_applications_table_contract(services: Services, owner: SignedInSession) -> None:
    model = ApplicationsModel(services.browse, owner)
    cell = model.index(0, 0)

    assert cell.isValid()
    assert model.rowCount(cell) == 0
    assert model.columnCount(cell) == 0
    assert not model.hasChildren(cell)
    assert not model.canFetchMore(cell)
    assert not model.parent(cell).isValid()
    assert model.flags(ROOT) == Qt.ItemFlag.NoItemFlags
    assert model.flags(cell) == (
        Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
    )
    assert not model.index(OLIVIA_SEEDED, 0).isValid()
    assert not model.index(0, len(ApplicationColumn)).isValid()
    assert not model.index(-1, 0).isValid()
    assert not model.index(0, 0, cell).isValid()


def test_applications_visible_per_user(
    services: Services, owner: SignedInSession, support: SignedInSession
) -> None:
    owner_model = ApplicationsModel(services.browse, owner)
    support_model = ApplicationsModel(services.browse, support)

    assert owner_model.rowCount() == OLIVIA_SEEDED
    assert owner_model.total_count() == OLIVIA_SEEDED
    assert support_model.rowCount() == 13
    assert support_model.total_count() == 13


def test_set_team_shows_one_team(
    services: Services, owner: SignedInSession, team_ids: dict[str, int]
) -> None:
    model = ApplicationsModel(services.browse, owner)

    model.set_team(team_ids["Logistics"])
    teams = set(display_column(model, ApplicationColumn.TEAM))
    count = model.rowCount()
    model.set_team(None)

    assert teams == {"Logistics"}
    assert count == 4
    assert model.rowCount() == OLIVIA_SEEDED


def test_set_team_not_visible_empty(
    services: Services, owner: SignedInSession, team_ids: dict[str, int]
) -> None:
    model = ApplicationsModel(services.browse, owner)

    model.set_team(team_ids["Open Banking Sandbox"])

    assert model.rowCount() == 0
    assert model.total_count() == 0


def test_sort_resets_model(qtbot: QtBot, services: Services, owner: SignedInSession) -> None:
    model = ApplicationsModel(services.browse, owner)

    with qtbot.waitSignals([model.modelAboutToBeReset, model.modelReset], order="strict"):
        model.sort(ApplicationColumn.TEAM, DESCENDING)

    assert display_column(model, ApplicationColumn.TEAM) == ["Payments"] * 5 + ["Logistics"] * 4


def test_sort_minus_one_sorts_by_name(services: Services, owner: SignedInSession) -> None:
    model = ApplicationsModel(services.browse, owner)
    model.sort(ApplicationColumn.STATUS, DESCENDING)

    model.sort(-1, ASCENDING)

    assert display_column(model)[:4] == ["Checkout", "Checkout", "Checkout", "Delivery Slots"]


def test_sort_unknown_column_raises(services: Services, owner: SignedInSession) -> None:
    model = ApplicationsModel(services.browse, owner)

    with pytest.raises(ValueError, match="column 4"):
        model.sort(4, ASCENDING)


def test_header_click_sorts_in_sql(
    qtbot: QtBot, services: Services, owner: SignedInSession
) -> None:
    model = ApplicationsModel(services.browse, owner)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setSortingEnabled(True)

    view.sortByColumn(ApplicationColumn.ENVIRONMENT, DESCENDING)

    assert display_column(model, ApplicationColumn.ENVIRONMENT) == (
        ["Production"] * 4 + ["Integration"] * 2 + ["Development"] * 3
    )


# ApplicationsModel: filtering


@pytest.mark.parametrize("text", ["CAFÉ", "café", "Cafe\u0301", "É LOY"])
def test_filter_ignores_case_beyond_ascii(
    services: Services, support: SignedInSession, assert_table: TableCheck, text: str
) -> None:
    model = ApplicationsModel(services.browse, support)

    model.set_filter_text(text)

    assert_table(model, [["Café Loyalty", "Open Banking Sandbox", "Development", "Active"]])


def test_filter_hides_other_teams(services: Services, owner: SignedInSession) -> None:
    model = ApplicationsModel(services.browse, owner)

    model.set_filter_text("CAFÉ")

    assert model.rowCount() == 0
    assert not model.canFetchMore(ROOT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%", ["Uptime 100%"]),
        ("0%", ["Uptime 100%"]),
        ("e_l", ["rate_limiter"]),
        ("_", ["rate_limiter"]),
        ("\\", ["C:\\Temp"]),
    ],
)
def test_filter_takes_wildcards_literally(
    services: Services,
    owner: SignedInSession,
    demo_store: SqlStore,
    team_ids: dict[str, int],
    text: str,
    expected: list[str],
) -> None:
    demo_store.create_applications(
        team_ids["Payments"],
        [
            ("Uptime 100%", Environment.PRODUCTION),
            ("Uptime 1000", Environment.PRODUCTION),
            ("rate_limiter", Environment.PRODUCTION),
            ("ratexlimiter", Environment.PRODUCTION),
            ("C:\\Temp", Environment.PRODUCTION),
        ],
    )
    model = ApplicationsModel(services.browse, owner)

    model.set_filter_text(text)

    assert display_column(model) == expected


def test_filter_matches_team_name(services: Services, owner: SignedInSession) -> None:
    model = ApplicationsModel(services.browse, owner)

    model.set_filter_text("PAYMENT")

    assert display_column(model) == ["Checkout"] * 3 + ["Refunds"] * 2


def test_clearing_filter_shows_all(services: Services, owner: SignedInSession) -> None:
    model = ApplicationsModel(services.browse, owner)
    model.set_filter_text("refunds")

    model.set_filter_text("")

    assert model.rowCount() == OLIVIA_SEEDED


# ApplicationsModel: batches


def test_fetch_more_inserts_inclusive_range(
    qtbot: QtBot, services: Services, owner: SignedInSession
) -> None:
    model = ApplicationsModel(services.browse, owner, batch_size=4)
    assert model.rowCount() == 4

    with qtbot.waitSignal(model.rowsInserted) as second:
        model.fetchMore(ROOT)
    with qtbot.waitSignal(model.rowsInserted) as third:
        model.fetchMore(ROOT)

    assert second.args is not None
    assert third.args is not None
    assert second.args[1:] == [4, 7]
    assert third.args[1:] == [8, 8]
    assert not second.args[0].isValid()
    assert model.rowCount() == OLIVIA_SEEDED
    assert not model.canFetchMore(ROOT)


def test_full_last_batch_fetches_again(
    qtbot: QtBot, services: Services, owner: SignedInSession
) -> None:
    model = ApplicationsModel(services.browse, owner, batch_size=3)
    model.fetchMore(ROOT)
    model.fetchMore(ROOT)
    assert model.rowCount() == OLIVIA_SEEDED
    assert model.canFetchMore(ROOT)

    with qtbot.assertNotEmitted(model.rowsAboutToBeInserted):
        model.fetchMore(ROOT)

    assert model.rowCount() == OLIVIA_SEEDED
    assert not model.canFetchMore(ROOT)


def test_reset_starts_from_first_batch(services: Services, owner: SignedInSession) -> None:
    model = ApplicationsModel(services.browse, owner, batch_size=4)
    fetch_all(model)

    model.set_filter_text("e")

    assert model.rowCount() == 4
    assert model.canFetchMore(ROOT)


def test_batch_size_below_one_raises(services: Services, owner: SignedInSession) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        ApplicationsModel(services.browse, owner, batch_size=0)


def test_refresh_shows_new_application(
    services: Services, owner: SignedInSession, demo_store: SqlStore, team_ids: dict[str, int]
) -> None:
    model = ApplicationsModel(services.browse, owner)
    demo_store.create_applications(team_ids["Logistics"], [("Audit Trail", Environment.PRODUCTION)])
    before = display_column(model)

    model.refresh()

    assert "Audit Trail" not in before
    assert display_column(model)[0] == "Audit Trail"


def test_moved_row_not_loaded_twice(
    services: Services, owner: SignedInSession, demo_store: SqlStore
) -> None:
    model = ApplicationsModel(services.browse, owner, batch_size=4)
    moved = model.application_at(0)
    run_sql(
        demo_store,
        "UPDATE applications SET name = 'Zulu', name_key = 'zulu' WHERE id = ?",
        moved.id,
    )

    fetch_all(model)
    ids = [summary.id for summary in loaded_summaries(model)]

    assert len(ids) == OLIVIA_SEEDED
    assert len(set(ids)) == OLIVIA_SEEDED
    assert ids[0] == moved.id


def test_loading_failure_is_reported(
    qtbot: QtBot, services: Services, owner: SignedInSession, demo_store: SqlStore
) -> None:
    model = ApplicationsModel(services.browse, owner, batch_size=4)
    run_sql(demo_store, "ALTER TABLE applications RENAME TO applications_elsewhere")

    with qtbot.waitSignal(model.loading_failed) as failure:
        model.fetchMore(ROOT)

    assert failure.args is not None
    assert str(demo_store.target.path) in failure.args[0]
    assert model.rowCount() == 4
    assert not model.canFetchMore(ROOT)

    run_sql(demo_store, "ALTER TABLE applications_elsewhere RENAME TO applications")
    model.refresh()

    assert model.rowCount() == 4
    assert model.canFetchMore(ROOT)


def test_reset_failure_is_reported(
    qtbot: QtBot, services: Services, owner: SignedInSession, demo_store: SqlStore
) -> None:
    model = ApplicationsModel(services.browse, owner)
    run_sql(demo_store, "ALTER TABLE applications RENAME TO applications_elsewhere")

    with qtbot.waitSignals([model.modelReset, model.loading_failed], order="strict"):
        model.set_filter_text("check")

    assert model.rowCount() == 0
    assert not model.canFetchMore(ROOT)


# ApplicationsModel: ten thousand applications


@pytest.fixture
def many_applications(demo_store: SqlStore, team_ids: dict[str, int]) -> list[int]:
    """Add MANY applications to Payments, which olivia owns."""
    return demo_store.create_applications(
        team_ids["Payments"], [(f"App {i:05}", Environment.DEVELOPMENT) for i in range(MANY)]
    )


@pytest.mark.slow
def test_view_loads_one_batch_of_many(
    qtbot: QtBot, services: Services, owner: SignedInSession, many_applications: list[int]
) -> None:
    model = ApplicationsModel(services.browse, owner)
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(640, 480)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(50)

    assert model.rowCount() == 200
    assert model.canFetchMore(ROOT)
    assert model.total_count() == MANY + OLIVIA_SEEDED

    model.fetchMore(ROOT)

    assert model.rowCount() == 400
    assert model.canFetchMore(ROOT)


def _varied_specs(count: int) -> list[tuple[str, Environment]]:
    """Names whose order differs from id order and whose case and accents need folding."""
    environments = list(Environment)
    prefixes = ("App", "app", "APP", "Émile", "zeta")
    specs = []
    for i in range(count):
        number = (i * 7919) % count  # 7919 is prime, so this permutes 0..count-1
        specs.append((f"{prefixes[i % len(prefixes)]} {number:05}", environments[i % 3]))
    return specs


@pytest.fixture
def varied_applications(demo_store: SqlStore, team_ids: dict[str, int]) -> list[int]:
    """Add MANY applications to Payments, half active and half suspended."""
    specs = _varied_specs(MANY)
    half = MANY // 2
    return demo_store.create_applications(
        team_ids["Payments"], specs[:half]
    ) + demo_store.create_applications(team_ids["Payments"], specs[half:], status="suspended")


SORT_KEYS: dict[ApplicationSort, Callable[[ApplicationSummary], tuple[str, int]]] = {
    ApplicationSort.NAME: lambda summary: (fold(summary.name), summary.id),
    ApplicationSort.TEAM: lambda summary: (fold(summary.team_name), summary.id),
    ApplicationSort.ENVIRONMENT: lambda summary: (summary.environment.value, summary.id),
    ApplicationSort.STATUS: lambda summary: (summary.status, summary.id),
}
COLUMN_SORTS = {
    ApplicationColumn.NAME: ApplicationSort.NAME,
    ApplicationColumn.TEAM: ApplicationSort.TEAM,
    ApplicationColumn.ENVIRONMENT: ApplicationSort.ENVIRONMENT,
    ApplicationColumn.STATUS: ApplicationSort.STATUS,
}


@pytest.mark.slow
@pytest.mark.parametrize("order", [ASCENDING, DESCENDING], ids=["ascending", "descending"])
@pytest.mark.parametrize("column", list(ApplicationColumn), ids=lambda column: column.name.lower())
def test_scrolling_loads_everything_in_order(
    qtbot: QtBot,
    services: Services,
    owner: SignedInSession,
    varied_applications: list[int],
    column: ApplicationColumn,
    order: Qt.SortOrder,
) -> None:
    everything = services.browse.applications(services.browse.query(owner, limit=2 * MANY))
    expected = sorted(everything, key=SORT_KEYS[COLUMN_SORTS[column]], reverse=order == DESCENDING)
    model = ApplicationsModel(services.browse, owner)
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(640, 480)
    view.setModel(model)
    view.setSortingEnabled(True)
    view.sortByColumn(column, order)
    view.show()
    qtbot.waitExposed(view)

    def scrolled_to_end() -> bool:
        view.scrollToBottom()
        return not model.canFetchMore(ROOT)

    qtbot.waitUntil(scrolled_to_end, timeout=60_000)
    loaded = loaded_summaries(model)

    assert len(everything) == MANY + OLIVIA_SEEDED
    assert set(varied_applications) <= {summary.id for summary in everything}
    assert len({summary.id for summary in loaded}) == len(loaded)
    assert [summary.id for summary in loaded] == [summary.id for summary in expected]


# TeamsModel


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "python-tester"])
def test_teams_pass_model_tester(
    qtmodeltester: ModelTester, services: Services, owner: SignedInSession, force_py: bool
) -> None:
    model = TeamsModel(services.browse, owner, batch_size=2)

    qtmodeltester.check(model, force_py=force_py)

    assert model.rowCount() == 2


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "python-tester"])
def test_teams_pass_model_tester_after_expanding(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    services: Services,
    support: SignedInSession,
    force_py: bool,
) -> None:
    model = TeamsModel(services.browse, support, batch_size=2)
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)

    for row in range(model.rowCount()):
        view.expand(model.index(row, 0))
    qtbot.wait(50)

    # The view may fetch further batches while a team's last loaded child is visible.
    assert all(model.rowCount(model.index(row, 0)) >= 2 for row in range(3))
    qtmodeltester.check(model, force_py=force_py)


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "python-tester"])
def test_teams_tester_watches_refresh(
    qtmodeltester: ModelTester, services: Services, owner: SignedInSession, force_py: bool
) -> None:
    model = TeamsModel(services.browse, owner, batch_size=2)
    qtmodeltester.check(model, force_py=force_py)

    payments = model.index(1, 0)
    fetch_all(model, payments)
    model.refresh()

    assert model.rowCount(model.index(1, 0)) == 0


def test_teams_tree_for_owner(
    services: Services, owner: SignedInSession, assert_table: TableCheck
) -> None:
    model = TeamsModel(services.browse, owner)
    logistics, payments = model.index(0, 0), model.index(1, 0)
    fetch_all(model, logistics)
    fetch_all(model, payments)

    assert_table(model, [["Logistics"], ["Payments"]])
    assert_table(
        model,
        [
            ["Delivery Slots (Production)"],
            ["Delivery Slots (Development)"],
            ["Parcel Tracker (Production)"],
            ["Parcel Tracker (Integration)"],
        ],
        logistics,
    )
    assert_table(
        model,
        [
            ["Checkout (Production)"],
            ["Checkout (Integration)"],
            ["Checkout (Development)"],
            ["Refunds (Production)"],
            ["Refunds (Development)"],
        ],
        payments,
    )


def test_teams_for_support(services: Services, support: SignedInSession) -> None:
    model = TeamsModel(services.browse, support)

    assert display_column(model) == ["Logistics", "Open Banking Sandbox", "Payments"]
    assert [model.index(row, 0).data(TeamsRole.ROLE) for row in range(3)] == [None] * 3


def test_team_children_load_lazily(services: Services, owner: SignedInSession) -> None:
    model = TeamsModel(services.browse, owner)
    payments = model.index(1, 0)

    assert model.rowCount(payments) == 0
    assert model.hasChildren(payments)
    assert model.canFetchMore(payments)

    model.fetchMore(payments)

    assert model.rowCount(payments) == 5
    assert model.hasChildren(payments)
    assert not model.canFetchMore(payments)
    assert model.rowCount(model.index(0, 0)) == 0


def test_team_children_come_in_batches(
    qtbot: QtBot, services: Services, owner: SignedInSession
) -> None:
    model = TeamsModel(services.browse, owner, batch_size=2)
    payments = model.index(1, 0)
    model.fetchMore(payments)

    with qtbot.waitSignal(model.rowsInserted) as inserted:
        model.fetchMore(payments)
    model.fetchMore(payments)

    assert inserted.args is not None
    assert inserted.args[0] == payments
    assert inserted.args[1:] == [2, 3]
    assert model.rowCount(payments) == 5
    assert not model.canFetchMore(payments)
    assert display_column(model, 0, payments)[-1] == "Refunds (Development)"


def test_teams_root_fetches_nothing(services: Services, owner: SignedInSession) -> None:
    model = TeamsModel(services.browse, owner)
    payments = model.index(1, 0)
    model.fetchMore(payments)
    checkout = model.index(0, 0, payments)

    assert not model.canFetchMore(ROOT)
    assert not model.canFetchMore(checkout)
    assert not model.hasChildren(checkout)
    assert model.rowCount(checkout) == 0


def test_team_roles(services: Services, owner: SignedInSession, team_ids: dict[str, int]) -> None:
    model = TeamsModel(services.browse, owner)
    payments = model.index(1, 0)
    model.fetchMore(payments)
    checkout = model.index(0, 0, payments)
    summary = checkout.data(TeamsRole.SUMMARY)

    assert payments.data(TeamsRole.KIND) == "team"
    assert payments.data(TeamsRole.TEAM_ID) == team_ids["Payments"]
    assert payments.data(TeamsRole.ROLE) == TeamRole.OWNER
    assert payments.data(TeamsRole.APPLICATION_ID) is None
    assert payments.data(TeamsRole.SUMMARY) is None
    assert payments.data(Qt.ItemDataRole.ToolTipRole) == "Card and bank payments for the web shop."
    assert checkout.data(TeamsRole.KIND) == "application"
    assert checkout.data(TeamsRole.TEAM_ID) == team_ids["Payments"]
    assert checkout.data(TeamsRole.ROLE) == TeamRole.OWNER
    assert isinstance(summary, ApplicationSummary)
    assert checkout.data(TeamsRole.APPLICATION_ID) == summary.id
    assert summary.name == "Checkout"
    assert summary.environment == Environment.PRODUCTION


def test_teams_flags_and_parents(services: Services, owner: SignedInSession) -> None:
    model = TeamsModel(services.browse, owner)
    payments = model.index(1, 0)
    model.fetchMore(payments)
    refunds = model.index(4, 0, payments)
    selectable = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    assert model.flags(ROOT) == Qt.ItemFlag.NoItemFlags
    assert model.flags(payments) == selectable
    assert model.flags(refunds) == selectable | Qt.ItemFlag.ItemNeverHasChildren
    assert model.parent(refunds) == payments
    assert not model.parent(payments).isValid()
    assert not model.index(5, 0, payments).isValid()
    assert not model.index(0, 1, payments).isValid()
    assert not model.index(2, 0).isValid()
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Name"


def test_empty_team_loses_expander(
    qtbot: QtBot, services: Services, owner: SignedInSession, demo_store: SqlStore
) -> None:
    team_id = demo_store.create_team("Archive")
    demo_store.add_member(owner.user.id, team_id, TeamRole.VIEWER)
    model = TeamsModel(services.browse, owner)
    archive = model.index(0, 0)
    assert archive.data() == "Archive"
    assert model.hasChildren(archive)

    with qtbot.assertNotEmitted(model.rowsAboutToBeInserted):
        model.fetchMore(archive)

    assert not model.hasChildren(archive)
    assert not model.canFetchMore(archive)
    assert archive.data(TeamsRole.ROLE) == TeamRole.VIEWER


def test_teams_refresh_shows_new_team(
    services: Services, owner: SignedInSession, demo_store: SqlStore
) -> None:
    model = TeamsModel(services.browse, owner)
    team_id = demo_store.create_team("Warehouse")
    demo_store.add_member(owner.user.id, team_id, TeamRole.APP_ADMIN)
    before = display_column(model)

    model.refresh()

    assert before == ["Logistics", "Payments"]
    assert display_column(model) == ["Logistics", "Payments", "Warehouse"]


def test_expanding_team_in_view_fetches(
    qtbot: QtBot, services: Services, owner: SignedInSession
) -> None:
    model = TeamsModel(services.browse, owner)
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    payments = model.index(1, 0)
    assert model.rowCount(payments) == 0

    view.expand(payments)
    qtbot.waitUntil(lambda: model.rowCount(payments) == 5)

    assert model.rowCount(model.index(0, 0)) == 0


def test_team_loading_failure_is_reported(
    qtbot: QtBot, services: Services, owner: SignedInSession, demo_store: SqlStore
) -> None:
    model = TeamsModel(services.browse, owner)
    payments = model.index(1, 0)
    run_sql(demo_store, "ALTER TABLE applications RENAME TO applications_elsewhere")

    with qtbot.waitSignal(model.loading_failed):
        model.fetchMore(payments)

    assert model.rowCount(payments) == 0
    assert not model.canFetchMore(payments)
    assert model.canFetchMore(model.index(0, 0))


def test_teams_refresh_failure_is_reported(
    qtbot: QtBot, services: Services, owner: SignedInSession, demo_store: SqlStore
) -> None:
    model = TeamsModel(services.browse, owner)
    run_sql(demo_store, "ALTER TABLE teams RENAME TO teams_elsewhere")

    with qtbot.waitSignals([model.modelReset, model.loading_failed], order="strict"):
        model.refresh()

    assert model.rowCount() == 0
    assert not model.hasChildren()


def test_teams_reject_batch_size_zero(services: Services, owner: SignedInSession) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        TeamsModel(services.browse, owner, batch_size=0)

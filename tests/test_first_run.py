"""First run without a database: the chooser dialog, and how the start-up uses the choice."""

import argparse
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from desktop import cli, paths, settings
from desktop.settings import DatabaseChoice
from desktop.storage.store import SqlStore
from desktop.ui.first_run import DatabaseUrlDialog, FirstRunDialog, ask_for_database
from tests.clocks import ManualClock
from tests.test_cli import run_stepdesk
from tests.ui_helpers import find, when_dialog_opens

CHOOSER_BUTTONS = (
    "Create the demo database",
    "Open a database file…",
    "Connect to a database URL…",
    "Quit",
)


@pytest.fixture
def chooser(qtbot: QtBot, tmp_path: Path) -> FirstRunDialog:
    dialog = FirstRunDialog(tmp_path / "missing" / "stepdesk.sqlite3")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_chooser_names_every_control(chooser: FirstRunDialog, tmp_path: Path) -> None:
    for name in CHOOSER_BUTTONS:
        assert find(chooser, QPushButton, name).isEnabled()
    assert find(chooser, QPushButton, "Create the demo database").isDefault()
    intro = find(chooser, QLabel, "No database yet").text()
    assert str(tmp_path / "missing" / "stepdesk.sqlite3") in intro


def test_chooser_demo_button(chooser: FirstRunDialog, qtbot: QtBot) -> None:
    with qtbot.waitSignal(chooser.accepted):
        find(chooser, QPushButton, "Create the demo database").click()

    assert chooser.choice == DatabaseChoice(None, demo=True)


def test_chooser_quit_button(chooser: FirstRunDialog, qtbot: QtBot) -> None:
    with qtbot.waitSignal(chooser.rejected):
        find(chooser, QPushButton, "Quit").click()

    assert chooser.choice is None


def test_chooser_opens_file(chooser: FirstRunDialog, qtbot: QtBot, tmp_path: Path) -> None:
    database = tmp_path / "desk.sqlite3"
    database.write_bytes(b"")

    def pick(dialog: QDialog) -> None:
        assert isinstance(dialog, QFileDialog)
        dialog.selectFile(str(database))
        dialog.accept()

    seen = when_dialog_opens(pick)
    with qtbot.waitSignal(chooser.accepted):
        find(chooser, QPushButton, "Open a database file…").click()

    assert seen == ["Open a database file – StepDesk"]
    assert chooser.choice == DatabaseChoice(str(database))


def test_chooser_file_cancel_stays(chooser: FirstRunDialog) -> None:
    seen = when_dialog_opens(lambda dialog: dialog.reject())

    find(chooser, QPushButton, "Open a database file…").click()

    assert seen == ["Open a database file – StepDesk"]
    assert chooser.isVisible()
    assert chooser.choice is None


def test_chooser_url_checked(chooser: FirstRunDialog, qtbot: QtBot) -> None:
    messages: list[str] = []

    def type_urls(dialog: QDialog) -> None:
        assert isinstance(dialog, DatabaseUrlDialog)
        url_field = find(dialog, QLineEdit, "Database URL")
        url_field.setText(r"C:\data\desk.db")
        find(dialog, QPushButton, "Connect").click()
        message = find(dialog, QLabel, "Database URL message")
        messages.append(message.text() if message.isVisibleTo(dialog) else "")
        url_field.setText("  postgresql://desk@127.0.0.1/stepdesk ")
        find(dialog, QPushButton, "Connect").click()

    seen = when_dialog_opens(type_urls)
    with qtbot.waitSignal(chooser.accepted):
        find(chooser, QPushButton, "Connect to a database URL…").click()

    assert seen == ["Connect to a database – StepDesk"]
    assert "contains ://" in messages[0]
    assert chooser.choice == DatabaseChoice("postgresql://desk@127.0.0.1/stepdesk")


def test_url_dialog_names_controls(qtbot: QtBot) -> None:
    dialog = DatabaseUrlDialog()
    qtbot.addWidget(dialog)

    for kind, name in (
        (QLineEdit, "Database URL"),
        (QPushButton, "Connect"),
        (QPushButton, "Cancel"),
        (QLabel, "Database URL help"),
    ):
        assert find(dialog, kind, name) is not None
    assert find(dialog, QPushButton, "Connect").isDefault()


def test_headless_ask_returns_at_once(qapp: object, tmp_path: Path) -> None:
    started = time.monotonic()

    choice = ask_for_database(tmp_path / "stepdesk.sqlite3")

    assert choice is None
    assert time.monotonic() - started < 2


# The start-up loop, with the chooser's results given as a list.


def arguments(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(list(argv))


def chooser_results(
    *choices: DatabaseChoice | None,
) -> tuple[Callable[[Path], DatabaseChoice | None], list[Path]]:
    """Return an `ask` function that returns `choices` in turn, and the paths passed to it."""
    remaining = list(choices)
    prompts: list[Path] = []

    def ask(default_database: Path) -> DatabaseChoice | None:
        prompts.append(default_database)
        return remaining.pop(0)

    return ask, prompts


def open_database(
    args: argparse.Namespace,
    *,
    interactive: bool,
    ask: Callable[[Path], DatabaseChoice | None],
    reports: list[str],
) -> SqlStore | int:
    return cli.open_database(
        args, ManualClock(), interactive=interactive, ask=ask, report=reports.append
    )


def test_headless_without_database_exits() -> None:
    ask, prompts = chooser_results()
    reports: list[str] = []

    result = open_database(arguments(), interactive=False, ask=ask, reports=reports)

    assert result == cli.EXIT_STORAGE
    assert prompts == []
    assert str(paths.default_database()) in reports[0]
    assert "--demo" in reports[0]
    assert not paths.default_database().exists()


def test_demo_choice_opened_and_remembered() -> None:
    ask, prompts = chooser_results(DatabaseChoice(None, demo=True))
    reports: list[str] = []

    store = open_database(arguments(), interactive=True, ask=ask, reports=reports)

    assert isinstance(store, SqlStore)
    try:
        assert store.is_demo()
        assert store.description == str(paths.demo_database())
    finally:
        store.close()
    assert prompts == [paths.default_database()]
    assert reports == []
    assert settings.load_database_choice() == DatabaseChoice(None, demo=True)
    assert cli.initial_choice() == DatabaseChoice(None, demo=True)


def test_damaged_file_reported_chooser_again(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.sqlite3"
    garbage = b"this is not an SQLite database\n" * 200
    damaged.write_bytes(garbage)
    ask, prompts = chooser_results(DatabaseChoice(str(damaged)), None)
    reports: list[str] = []

    result = open_database(arguments(), interactive=True, ask=ask, reports=reports)

    assert result == cli.EXIT_OK
    assert len(prompts) == 2
    assert "is not a StepDesk database or is damaged" in reports[0]
    assert str(damaged) in reports[0]
    assert damaged.read_bytes() == garbage
    assert settings.load_database_choice() is None


def test_database_without_users_chooser_again(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    with closing(sqlite3.connect(empty)) as connection:
        connection.execute("CREATE TABLE unrelated (id INTEGER)")
    ask, prompts = chooser_results(DatabaseChoice(str(empty)), DatabaseChoice(None, demo=True))
    reports: list[str] = []

    store = open_database(arguments(), interactive=True, ask=ask, reports=reports)

    assert isinstance(store, SqlStore)
    store.close()
    assert len(prompts) == 2
    assert "has no users yet" in reports[0]
    assert settings.load_database_choice() == DatabaseChoice(None, demo=True)


def test_command_line_failure_no_chooser(tmp_path: Path) -> None:
    ask, prompts = chooser_results()
    reports: list[str] = []

    result = open_database(
        arguments("--database", str(tmp_path)), interactive=True, ask=ask, reports=reports
    )

    assert result == cli.EXIT_STORAGE
    assert prompts == []
    assert f"{tmp_path} is a folder" in reports[0]


def test_command_line_choice_not_remembered() -> None:
    ask, _prompts = chooser_results()
    store = open_database(arguments("--demo"), interactive=True, ask=ask, reports=[])

    assert isinstance(store, SqlStore)
    store.close()
    assert settings.load_database_choice() is None


def test_vanished_remembered_file_forgotten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    vanished = tmp_path / "vanished.sqlite3"
    settings.save_database_choice(DatabaseChoice(str(vanished)))

    assert cli.initial_choice() is None
    assert str(vanished) in caplog.text
    assert not vanished.exists()


def test_no_database_run_exits_with_message(user_folders: Path) -> None:
    result = run_stepdesk(home=user_folders)

    assert result.returncode == cli.EXIT_STORAGE
    assert "There is no database to open" in result.stderr
    assert "--demo" in result.stderr
    assert not (user_folders / "data" / "StepDesk" / "stepdesk.sqlite3").exists()
    assert not (user_folders / "config" / "StepDesk" / "stepdesk.key").exists()

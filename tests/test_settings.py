"""The settings file: remembering the chosen database, surviving damage."""

import json
import logging
from pathlib import Path

import pytest

from desktop import settings
from desktop.settings import DatabaseChoice
from desktop.storage.bootstrap import location_to_remember
from desktop.storage.engine import resolve_target


def test_choice_round_trips(user_folders: Path) -> None:
    settings.save_database_choice(DatabaseChoice("/srv/desk/stepdesk.sqlite3"))

    assert settings.load_database_choice() == DatabaseChoice("/srv/desk/stepdesk.sqlite3")
    assert settings.settings_file().is_relative_to(user_folders)


def test_demo_choice_round_trips() -> None:
    settings.save_database_choice(DatabaseChoice(None, demo=True))

    assert settings.load_database_choice() == DatabaseChoice(None, demo=True)


def test_nothing_saved_gives_none() -> None:
    assert settings.load_database_choice() is None


def test_other_settings_kept() -> None:
    path = settings.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"theme": "dark"}), encoding="utf-8")

    settings.save_database_choice(DatabaseChoice(None, demo=True))

    assert json.loads(path.read_text(encoding="utf-8"))["theme"] == "dark"


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[1, 2]",
        json.dumps({"database": "stepdesk.sqlite3"}),
        json.dumps({"database": {"location": 7, "demo": False}}),
        json.dumps({"database": {"location": None, "demo": "yes"}}),
    ],
    ids=["invalid JSON", "not an object", "plain string", "location number", "demo text"],
)
def test_damaged_file_ignored(text: str, caplog: pytest.LogCaptureFixture) -> None:
    path = settings.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")

    with caplog.at_level(logging.WARNING):
        choice = settings.load_database_choice()

    assert choice is None
    assert str(path) in caplog.text


def test_damaged_file_replaced_on_save() -> None:
    path = settings.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")

    settings.save_database_choice(DatabaseChoice(None, demo=True))

    assert settings.load_database_choice() == DatabaseChoice(None, demo=True)


def test_url_remembered_without_password() -> None:
    target = resolve_target("postgresql://desk:s3cret@127.0.0.1:5432/stepdesk")

    remembered = location_to_remember(target)

    assert remembered == "postgresql://desk@127.0.0.1:5432/stepdesk"


def test_file_remembered_as_absolute_path(tmp_path: Path) -> None:
    target = resolve_target(str(tmp_path / "desk.sqlite3"))

    assert location_to_remember(target) == str(tmp_path / "desk.sqlite3")

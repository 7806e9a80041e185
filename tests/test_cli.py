"""The command line as a person runs it, in a child process on the offscreen platform."""

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from desktop import __version__
from desktop.security.encryption import generate_key, write_key_file
from desktop.storage.bootstrap import open_store
from tests.clocks import ManualClock


def run_stepdesk(*args: str, home: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
    )
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_version_prints_version(user_folders: Path) -> None:
    result = run_stepdesk("--version", home=user_folders)
    assert result.returncode == 0
    assert result.stdout.strip() == f"StepDesk {__version__}"


def test_help_lists_options(user_folders: Path) -> None:
    result = run_stepdesk("--help", home=user_folders)
    assert result.returncode == 0
    for option in ("--database", "--demo", "--open", "--key-file", "--version"):
        assert option in result.stdout


def test_demo_refuses_url(user_folders: Path) -> None:
    result = run_stepdesk(
        "--demo", "--database", "postgresql://desk@127.0.0.1/stepdesk", home=user_folders
    )
    assert result.returncode == 3
    assert "--demo works only with a local demo file" in result.stderr


def test_database_folder_named_in_message(user_folders: Path, tmp_path: Path) -> None:
    result = run_stepdesk("--database", str(tmp_path), home=user_folders)
    assert result.returncode == 3
    assert f"{tmp_path} is a folder" in result.stderr


def test_corrupt_database_left_unchanged(user_folders: Path, tmp_path: Path) -> None:
    database = tmp_path / "desk.sqlite3"
    garbage = b"this is not an SQLite database\n" * 200
    database.write_bytes(garbage)
    result = run_stepdesk("--database", str(database), home=user_folders)
    assert result.returncode == 3
    assert str(database) in result.stderr
    assert "not a StepDesk database or is damaged" in result.stderr
    assert database.read_bytes() == garbage


def test_wrong_key_file_reported(user_folders: Path, tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    open_store(
        str(database), demo=True, key_file=tmp_path / "right.key", clock=ManualClock()
    ).close()
    before = dump(database)
    wrong_key = tmp_path / "wrong.key"
    write_key_file(wrong_key, generate_key())
    result = run_stepdesk(
        "--database", str(database), "--key-file", str(wrong_key), home=user_folders
    )
    assert result.returncode == 3
    assert f"The data key in the key file {wrong_key} does not belong" in result.stderr
    assert dump(database) == before


def test_missing_key_file_creates_none(user_folders: Path, tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    open_store(
        str(database), demo=True, key_file=tmp_path / "right.key", clock=ManualClock()
    ).close()
    missing = tmp_path / "missing.key"
    result = run_stepdesk(
        "--database", str(database), "--key-file", str(missing), home=user_folders
    )
    assert result.returncode == 3
    assert f"The data key is missing from the key file {missing}" in result.stderr
    assert not missing.exists()


def dump(database: Path) -> list[str]:
    with closing(sqlite3.connect(database)) as connection:
        return list(connection.iterdump())


def test_missing_display_explained(user_folders: Path, tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env.update(HOME=str(user_folders), XDG_DATA_HOME=str(user_folders / "data"))
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--database", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "No display was found" in result.stderr

"""--self-test as CI and a support desk run it: in a child process, with faults planted."""

import re
from pathlib import Path

import pytest

from desktop.resources import RESOURCES_ENV
from desktop.self_test import EXIT_FAILED, EXIT_PASSED
from tests.test_cli import run_stepdesk

STEPS = (
    "report file",
    "resources",
    "user data",
    "storage",
    "data key",
    "sign-in",
    "main window",
    "QR code",
)

pytestmark = pytest.mark.slow


def step_lines(stdout: str) -> dict[str, str]:
    """Map each step name to its report line."""
    lines = {}
    for line in stdout.splitlines():
        found = re.match(r"\[(pass|FAIL|skip)\] ([^:]+): ", line)
        if found:
            lines[found.group(2)] = line
    return lines


def test_self_test_passes(user_folders: Path) -> None:
    result = run_stepdesk("--self-test", home=user_folders, timeout=120)

    assert result.returncode == EXIT_PASSED, result.stdout + result.stderr
    lines = step_lines(result.stdout)
    assert list(lines) == list(STEPS)
    for name in STEPS:
        assert lines[name].startswith("[pass]"), lines[name]
    assert "Self-test passed: 8 passed, 0 failed, 0 skipped." in result.stdout
    assert "no previous run" in lines["user data"]
    assert "9 applications listed" in lines["main window"]


def test_report_file_matches_output(user_folders: Path) -> None:
    result = run_stepdesk("--self-test", home=user_folders, timeout=120)

    report = user_folders / "state" / "StepDesk" / "log" / "self-test.txt"
    assert f"Report: {report}" in result.stdout
    assert report.read_text(encoding="utf-8") == result.stdout


def test_second_run_reads_first(user_folders: Path) -> None:
    first = run_stepdesk("--self-test", home=user_folders, timeout=120)
    recorded = re.search(r"recorded run (\S+) in ", first.stdout)
    assert recorded is not None, first.stdout

    second = run_stepdesk("--self-test", home=user_folders, timeout=120)

    assert second.returncode == EXIT_PASSED, second.stdout + second.stderr
    assert f"previous run {recorded.group(1)} at " in step_lines(second.stdout)["user data"]


def test_user_database_untouched(user_folders: Path) -> None:
    run_stepdesk("--self-test", home=user_folders, timeout=120)

    data = user_folders / "data" / "StepDesk"
    names = {path.name for path in data.iterdir()}
    assert "self-test.sqlite3" in names
    assert names <= {"self-test.sqlite3", "self-test.sqlite3-wal", "self-test.sqlite3-shm"}


def test_missing_resource_fails(
    user_folders: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "resources"
    empty.mkdir()
    monkeypatch.setenv(RESOURCES_ENV, str(empty))

    result = run_stepdesk("--self-test", home=user_folders, timeout=120)

    assert result.returncode == EXIT_FAILED
    lines = step_lines(result.stdout)
    assert lines["resources"].startswith("[FAIL] resources: 3 of 3 resource files are missing")
    assert "icons/stepdesk.png" in lines["resources"]
    assert str(empty) in lines["resources"]
    assert lines["main window"] == "[FAIL] main window: The main window has no StepDesk icon."
    assert lines["storage"].startswith("[pass]")
    assert "Self-test FAILED: 6 passed, 2 failed, 0 skipped." in result.stdout


def test_corrupt_database_fails(user_folders: Path) -> None:
    database = user_folders / "data" / "StepDesk" / "self-test.sqlite3"
    database.parent.mkdir(parents=True)
    garbage = b"this is not an SQLite database\n" * 200
    database.write_bytes(garbage)

    result = run_stepdesk("--self-test", home=user_folders, timeout=120)

    assert result.returncode == EXIT_FAILED
    lines = step_lines(result.stdout)
    assert lines["user data"].startswith(f"[FAIL] user data: {database} is not a StepDesk")
    assert "damaged" in lines["user data"]
    assert lines["storage"].startswith("[pass]")
    assert database.read_bytes() == garbage


def test_self_test_refuses_database(user_folders: Path, tmp_path: Path) -> None:
    result = run_stepdesk(
        "--self-test", "--database", str(tmp_path / "desk.sqlite3"), home=user_folders
    )

    assert result.returncode == 2
    assert "--self-test uses its own temporary demo database" in result.stderr
    assert not (tmp_path / "desk.sqlite3").exists()

"""The command line: parse arguments, set up logging and storage, then start the UI."""

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from desktop import APP_NAME, __version__, paths, settings
from desktop.domain.errors import StepDeskError, StorageError
from desktop.logging_setup import setup_logging
from desktop.security.clock import Clock, SystemClock
from desktop.settings import DatabaseChoice

if TYPE_CHECKING:
    from desktop.storage.store import SqlStore

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_STORAGE = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stepdesk",
        description=f"{APP_NAME}: manage API developer portal applications, with "
        "step-up verification around their security details.",
    )
    parser.add_argument(
        "--database",
        metavar="PATH_OR_URL",
        help="database file path, or a URL such as postgresql://host/db when it contains "
        f"'://' (default: {paths.default_database()})",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help=f"use the demo database, creating and seeding it if needed "
        f"(default file: {paths.demo_database()}); refuses a URL or a real database",
    )
    parser.add_argument(
        "--open",
        metavar="TEAM/APPLICATION[@ENVIRONMENT]",
        help="open this application's tab after sign-in",
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        metavar="PATH",
        help=f"the data key file (default: in {paths.config_dir()})",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start the whole app offscreen on a temporary demo database, print each step "
        f"(also written to {paths.log_dir()}) and exit with 0 only if every step passed",
    )
    parser.add_argument("--verbose", action="store_true", help="log debug messages to stderr")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    database_options = [args.database, args.open, args.key_file]
    if args.self_test and (args.demo or any(value is not None for value in database_options)):
        parser.error(
            "--self-test uses its own temporary demo database and key: "
            "leave out --database, --demo, --open and --key-file"
        )
    log_file = setup_logging(paths.log_dir(), verbose=args.verbose)
    log.debug("Starting %s %s, log file %s", APP_NAME, __version__, log_file)
    if args.self_test:
        from desktop.self_test import run_self_test

        return run_self_test(paths.log_dir())

    missing_display = _missing_display()
    if missing_display:
        print(f"{APP_NAME}: {missing_display}", file=sys.stderr)
        return EXIT_USAGE

    # Imported here so that --help and --version work without loading Qt.
    from desktop.ui import application, first_run, startup

    app = startup.prepare_application(log_file)
    clock = SystemClock()
    store = open_database(
        args,
        clock,
        interactive=not startup.is_headless(app),
        ask=first_run.ask_for_database,
        report=application.show_startup_error,
    )
    if isinstance(store, int):
        return store
    try:
        return application.run(store, clock, open_reference=args.open)
    finally:
        store.close()


def _missing_display() -> str | None:
    """Explain why no window can open on Linux before Qt aborts with a misleading message."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "No display was found (neither DISPLAY nor WAYLAND_DISPLAY is set). Start StepDesk "
        "in a desktop session, or use --self-test, which needs no display."
    )


def open_database(
    args: argparse.Namespace,
    clock: Clock,
    *,
    interactive: bool,
    ask: Callable[[Path], DatabaseChoice | None],
    report: Callable[[str], None],
) -> "SqlStore | int":
    """Open the database that --database or --demo names, else the remembered or default one.

    Without any of them, `ask` shows the first-run chooser. A database that
    did not come from the command line and fails to open is reported, then
    the chooser is shown again, until one opens or the person quits. A
    headless run cannot ask, so it reports and returns an exit code instead.
    """
    from desktop.storage.bootstrap import location_to_remember, open_store

    from_command_line = args.database is not None or args.demo
    choice = DatabaseChoice(args.database, args.demo) if from_command_line else initial_choice()
    while True:
        if choice is None:
            if not interactive:
                report(
                    f"There is no database to open: {paths.default_database()} does not exist. "
                    f"Start {APP_NAME} with --demo to create the demo database, or with "
                    "--database PATH_OR_URL to open another one."
                )
                return EXIT_STORAGE
            choice = ask(paths.default_database())
            if choice is None:
                log.info("No database chosen in the first-run dialog; quitting")
                return EXIT_OK
        try:
            key_file = args.key_file or (None if choice.demo else settings.load_key_file())
            store = open_store(choice.database, demo=choice.demo, key_file=key_file, clock=clock)
        except StepDeskError as error:
            log.error("Cannot open the database: %s", error)
            report(str(error))
            if from_command_line or not interactive:
                return EXIT_STORAGE if isinstance(error, StorageError) else EXIT_USAGE
            choice = None
            continue
        if _has_users(store, report):
            if not from_command_line:
                remembered = None if choice.database is None else location_to_remember(store.target)
                settings.save_database_choice(DatabaseChoice(remembered, choice.demo))
            return store
        store.close()
        if from_command_line or not interactive:
            return EXIT_STORAGE
        choice = None


def initial_choice() -> DatabaseChoice | None:
    """Return the database chosen at an earlier start, else the default file if it exists."""
    remembered = settings.load_database_choice()
    if remembered is not None and remembered.database is not None:
        location = remembered.database
        if "://" not in location and not Path(location).exists():
            log.warning("The database %s chosen at an earlier start no longer exists", location)
            remembered = None
    if remembered is not None:
        return remembered
    if paths.default_database().exists():
        return DatabaseChoice(None)
    return None


def _has_users(store: "SqlStore", report: Callable[[str], None]) -> bool:
    try:
        empty = store.is_empty()
    except StorageError as error:
        log.error("Cannot read the database: %s", error)
        report(str(error))
        return False
    if empty:
        # NOTE: creating the first administrator of a new database is not built yet.
        log.error("The database %s has no users", store.description)
        report(
            f"The database {store.description} has no users yet. Start {APP_NAME} with "
            "--demo to try the demo database."
        )
    return not empty


if __name__ == "__main__":
    sys.exit(main())

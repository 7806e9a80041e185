"""The command line: parse arguments, set up logging and storage, then start the UI."""

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from desktop import APP_NAME, __version__, paths
from desktop.domain.errors import StepDeskError, StorageError
from desktop.logging_setup import setup_logging
from desktop.security.clock import SystemClock

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
    parser.add_argument("--verbose", action="store_true", help="log debug messages to stderr")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log_file = setup_logging(paths.log_dir(), verbose=args.verbose)
    log.debug("Starting %s %s, log file %s", APP_NAME, __version__, log_file)

    # Imported here so that --help and --version work without loading Qt.
    from desktop.ui import application

    clock = SystemClock()
    try:
        from desktop.storage.bootstrap import open_store

        store = open_store(args.database, demo=args.demo, key_file=args.key_file, clock=clock)
    except StorageError as error:
        log.error("Cannot open the database: %s", error)
        application.show_startup_error(str(error))
        return EXIT_STORAGE
    except StepDeskError as error:
        log.error("Start-up failed: %s", error)
        application.show_startup_error(str(error))
        return EXIT_USAGE
    try:
        if store.is_empty():
            message = (
                f"The database {store.description} has no users yet. Start StepDesk with "
                "--demo to try the demo database."
            )
            # NOTE: creating the first administrator of a new database is not built yet.
            application.show_startup_error(message)
            return EXIT_STORAGE
        return application.run(store, clock, open_reference=args.open)
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())

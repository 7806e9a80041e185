"""Logging to the user's log folder and to stderr."""

import logging
import logging.handlers
import sys
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_dir: Path, verbose: bool = False) -> Path | None:
    """Log to `log_dir`/stepdesk.log (rotated) and to stderr; return the file, if writable."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = logging.Formatter(LOG_FORMAT)
    if sys.stderr is not None:  # a windowed Windows executable has no stderr
        console = logging.StreamHandler()
        console.setFormatter(formatter)
        console.setLevel(logging.DEBUG if verbose else logging.WARNING)
        root.addHandler(console)
    log_file = log_dir / "stepdesk.log"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError as error:
        logging.getLogger(__name__).warning("Cannot write the log file %s: %s", log_file, error)
        return None
    handler.setFormatter(formatter)
    root.addHandler(handler)
    # Alembic reports every migration context at INFO; StepDesk logs its own summary.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return log_file

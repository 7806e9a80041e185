"""A second desk in its own process, for tests that share one database file.

    python -m tests.desk_probe DATABASE KEY_FILE UNIX_TIME CODE [CODE ...]

Signs in as the demo owner at UNIX_TIME, enters each code 31 seconds after
the last (past any failure delay), and prints one JSON line per code with
the outcome and the message shown to the user.
"""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from desktop.domain.errors import CodeRejected, VerificationLocked
from desktop.services.bundle import Services
from desktop.storage.bootstrap import open_store
from tests.clocks import ManualClock


def main(arguments: list[str]) -> int:
    database, key_file, unix_time, *codes = arguments
    clock = ManualClock(datetime.fromtimestamp(int(unix_time), UTC))
    store = open_store(database, demo=True, key_file=Path(key_file), clock=clock)
    try:
        services = Services.create(store, clock)
        session = services.auth.sign_in("olivia", "demo-owner-2026")
        for index, code in enumerate(codes):
            if index:
                clock.advance(31)
            try:
                services.stepup.verify(session, code)
                outcome, message = "accepted", ""
            except VerificationLocked as error:
                outcome, message = "locked", str(error)
            except CodeRejected as error:
                outcome, message = "rejected", str(error)
            print(json.dumps({"outcome": outcome, "message": message}), flush=True)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

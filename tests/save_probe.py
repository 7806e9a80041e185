"""Another desk in its own process that saves an application's security details.

    python -m tests.save_probe DATABASE KEY_FILE APPLICATION_ID PUBLIC_KEY_FILE URL [URL ...]

Signs in as the demo app admin, opens the unlock window in place of a
step-up, and saves. The public key is read from a file so PEM text needs no quoting.
"""

import sys
from pathlib import Path

from desktop.security.clock import SystemClock
from desktop.services.bundle import Services
from desktop.storage.bootstrap import open_store


def main(arguments: list[str]) -> int:
    database, key_file, application_id, public_key_file, *urls = arguments
    clock = SystemClock()
    store = open_store(database, demo=True, key_file=Path(key_file), clock=clock)
    try:
        services = Services.create(store, clock)
        session = services.auth.sign_in("adam", "demo-appadmin-2026")
        # The step-up itself is tested elsewhere; this desk only needs to save.
        session.unlock.open()
        details = services.security.load(session, int(application_id))
        public_key = Path(public_key_file).read_text(encoding="utf-8")
        services.security.save(session, details.application.id, details.version, public_key, urls)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

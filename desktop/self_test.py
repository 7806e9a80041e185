"""--self-test: start the whole app offscreen, step by step, with no person.

It runs on a demo database in a temporary folder, never the user's own
database. Each step prints one line and appends it to a report file in the
log folder as it finishes, so a crash still leaves the steps before it. The
exit code is 0 only if every step passed.

The "user data" step records each run in its own small database in the
user's data folder (key in the configuration folder) and names the run
before it. Two runs in a row therefore show that data outlives the process,
which a one-file executable, whose bundle is deleted at exit, must prove.
"""

import logging
import os
import platform
import secrets
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from desktop import APP_NAME, __version__, paths
from desktop.domain.errors import EncryptionKeyError, SelfTestFailed, StepDeskError
from desktop.resources import (
    REQUIRED_RESOURCES,
    RESOURCES_ENV,
    bundle_root,
    inside_bundle,
    packaging,
    resources_dir,
)
from desktop.security.clock import SystemClock

if TYPE_CHECKING:
    from desktop.storage.store import SqlStore
    from desktop.ui.self_test import UiSelfTest

log = logging.getLogger(__name__)

EXIT_PASSED = 0
EXIT_FAILED = 1

REPORT_FILE_NAME = "self-test.txt"
RECORD_DATABASE_NAME = "self-test.sqlite3"
RECORD_KEY_FILE_NAME = "self-test.key"
RECORD_ACTION = "self-test"
SIGN_IN_USERNAME = "olivia"
"""The demo team owner, whose applications fill the main window."""
API_SECRET_MIN_CHARS = 43
"""256 random bits in unpadded URL-safe base64, the size of every new API secret."""


class Outcome(StrEnum):
    PASSED = "pass"
    FAILED = "FAIL"
    SKIPPED = "skip"


@dataclass(frozen=True)
class Step:
    name: str
    check: Callable[[], str]
    """Runs the step and returns what it found; raises to fail."""
    needs: Sequence[str] = ()
    """Steps that must have passed first; otherwise this one is skipped."""


class Report:
    """Prints each line at once and appends it to the report file."""

    def __init__(self, path: Path, out: TextIO | None) -> None:
        self.path = path
        self._out = out
        self._file: TextIO | None = None
        self.file_error: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("w", encoding="utf-8")
        except OSError as error:
            self.file_error = f"The report file {path} cannot be written: {error}."

    def line(self, text: str) -> None:
        # A windowed Windows executable has no stdout; the file is its report.
        if self._out is not None:
            print(text, file=self._out, flush=True)
        if self._file is not None:
            self._file.write(text + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class SelfTest:
    def __init__(self, report: Report, work_folder: Path) -> None:
        self._report = report
        self._folder = work_folder
        self._clock = SystemClock()
        self._store: SqlStore | None = None
        self._ui: UiSelfTest | None = None
        self.run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
        self.outcomes: dict[str, Outcome] = {}

    def steps(self) -> list[Step]:
        return [
            Step("report file", self.check_report_file),
            Step("resources", self.check_resources),
            Step("user data", self.check_user_data),
            Step("storage", self.check_storage),
            Step("data key", self.check_data_key, needs=["storage"]),
            Step("sign-in", self.check_sign_in, needs=["data key"]),
            Step("main window", self.check_main_window, needs=["sign-in"]),
            Step("QR code", self.check_qr_code, needs=["sign-in"]),
        ]

    def run(self) -> bool:
        try:
            for step in self.steps():
                self._run_step(step)
        finally:
            self._close()
        return all(outcome is Outcome.PASSED for outcome in self.outcomes.values())

    def _run_step(self, step: Step) -> None:
        missing = [name for name in step.needs if self.outcomes.get(name) is not Outcome.PASSED]
        if missing:
            self._record(step.name, Outcome.SKIPPED, f"needs {', '.join(missing)}")
            return
        log.debug("Self-test step %s", step.name)
        try:
            detail = step.check()
        except StepDeskError as error:
            log.warning("Self-test step %s failed: %s", step.name, error)
            self._record(step.name, Outcome.FAILED, str(error))
        except Exception as error:
            # Any fault counts here, so the report names it and the log keeps
            # the traceback, and the remaining steps still run.
            log.exception("Self-test step %s failed", step.name)
            self._record(step.name, Outcome.FAILED, f"{type(error).__name__}: {error}")
        else:
            self._record(step.name, Outcome.PASSED, detail)

    def _record(self, name: str, outcome: Outcome, detail: str) -> None:
        self.outcomes[name] = outcome
        self._report.line(f"[{outcome.value}] {name}: {detail}")

    # The steps

    def check_report_file(self) -> str:
        if self._report.file_error is not None:
            raise SelfTestFailed(self._report.file_error)
        return f"writing to {self._report.path}"

    def check_resources(self) -> str:
        folder = resources_dir()
        missing = [
            relative
            for relative in REQUIRED_RESOURCES
            if not (folder / relative).is_file() or (folder / relative).stat().st_size == 0
        ]
        if missing:
            fix = f"unset {RESOURCES_ENV}" if os.environ.get(RESOURCES_ENV) else "reinstall it"
            raise SelfTestFailed(
                f"{len(missing)} of {len(REQUIRED_RESOURCES)} resource files are missing or "
                f"empty in {folder}: {', '.join(missing)}. {APP_NAME} is incomplete: {fix}."
            )
        return f"{len(REQUIRED_RESOURCES)} files found in {folder}"

    def check_user_data(self) -> str:
        from desktop.services.ports import AuditRecord
        from desktop.storage.bootstrap import open_store

        folders = {
            "data": paths.data_dir(),
            "configuration": paths.config_dir(),
            "log": paths.log_dir(),
        }
        for label, folder in folders.items():
            if inside_bundle(folder):
                raise SelfTestFailed(
                    f"The {label} folder {folder} is inside the executable's own files, "
                    "which a one-file executable deletes at exit."
                )
        data_folder = folders["data"]
        try:
            data_folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SelfTestFailed(
                f"The data folder {data_folder} cannot be created: {error}."
            ) from error
        database = data_folder / RECORD_DATABASE_NAME
        key_file = folders["configuration"] / RECORD_KEY_FILE_NAME
        store = open_store(str(database), demo=False, key_file=key_file, clock=self._clock)
        try:
            previous = store.audit_events(actions=(RECORD_ACTION,), limit=1)
            version = f"{packaging()} {__version__}"
            store.add_audit(
                AuditRecord(None, APP_NAME, RECORD_ACTION, self.run_id, "started", version)
            )
        finally:
            store.close()
        if previous:
            earlier = previous[0]
            before = f"previous run {earlier.target} at {earlier.occurred_at:%Y-%m-%d %H:%M:%S} UTC"
        else:
            before = "no previous run"
        return f"recorded run {self.run_id} in {database}; {before}"

    def check_storage(self) -> str:
        from desktop.storage.bootstrap import open_store

        store = open_store(
            str(self._demo_database()), demo=True, key_file=self._demo_key_file(), clock=self._clock
        )
        self._store = store
        if not store.is_demo():
            raise SelfTestFailed(f"{store.description} was created but is not marked as a demo.")
        teams = store.list_teams(0, see_all=True)
        if not teams:
            raise SelfTestFailed(f"The demo database {store.description} has no teams.")
        return (
            f"created, migrated and seeded a demo database in {self._folder} ({len(teams)} teams)"
        )

    def check_data_key(self) -> str:
        from desktop.security.encryption import generate_key, write_key_file
        from desktop.services.ports import ApplicationQuery, AuditRecord
        from desktop.storage.bootstrap import open_store

        # Reopening checks the key file against the key id and verifier stored in the database.
        self._close_store()
        database, key_file = self._demo_database(), self._demo_key_file()
        store = open_store(str(database), demo=True, key_file=key_file, clock=self._clock)
        self._store = store
        if os.name == "posix" and key_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SelfTestFailed(f"The key file {key_file} can be read by other users.")
        applications = store.list_applications(
            ApplicationQuery(user_id=0, see_all_teams=True, limit=1)
        )
        if not applications:
            raise SelfTestFailed(f"The demo database {database} lists no applications.")
        api_key = store.load_security_details(applications[0].id).api_keys[0]
        secret = store.reveal_api_secret(
            api_key.id,
            AuditRecord(None, APP_NAME, "reveal-secret", api_key.client_id, "success", "self-test"),
        )
        if len(secret) < API_SECRET_MIN_CHARS:
            raise SelfTestFailed(f"The API secret of {api_key.client_id} decrypted too short.")
        wrong_key_file = self._folder / "wrong.key"
        write_key_file(wrong_key_file, generate_key())
        try:
            open_store(str(database), demo=True, key_file=wrong_key_file, clock=self._clock).close()
        except EncryptionKeyError:
            pass
        else:
            raise SelfTestFailed("A different key file opened the database without an error.")
        return (
            "the key file reopened the database and decrypted an API secret; "
            "a wrong key was rejected"
        )

    def check_sign_in(self) -> str:
        from desktop.services.bundle import Services
        from desktop.storage.seed import DEMO_USERS
        from desktop.ui.self_test import UiSelfTest

        assert self._store is not None  # the data key step passed
        user = next(user for user in DEMO_USERS if user.username == SIGN_IN_USERNAME)
        self._ui = UiSelfTest(Services.create(self._store, self._clock))
        detail = self._ui.sign_in(user.username, user.password)
        return f"{detail} (Qt platform {self._ui.platform_name})"

    def check_main_window(self) -> str:
        assert self._ui is not None  # the sign-in step passed
        return self._ui.main_window()

    def check_qr_code(self) -> str:
        from desktop.security.totp import new_secret, provisioning_uri
        from desktop.storage.seed import DEMO_USERS

        assert self._ui is not None  # the sign-in step passed
        user = next(user for user in DEMO_USERS if user.username == SIGN_IN_USERNAME)
        payload = provisioning_uri(new_secret(), APP_NAME, user.email or user.username)
        return self._ui.qr_code(payload)

    # Helpers

    def _demo_database(self) -> Path:
        return self._folder / "demo.sqlite3"

    def _demo_key_file(self) -> Path:
        return self._folder / "demo.key"

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _close(self) -> None:
        if self._ui is not None:
            try:
                self._ui.close()
            except Exception:
                log.exception("Closing the self-test windows failed")
        self._close_store()


def run_self_test(log_folder: Path, out: TextIO | None = None) -> int:
    """Run every step, print the report to `out` (stdout by default) and return the exit code."""
    # The self-test never needs a screen, so it runs the same with or without one.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    report = Report(log_folder / REPORT_FILE_NAME, sys.stdout if out is None else out)
    try:
        report.line(
            f"{APP_NAME} {__version__} self-test: {packaging()} build, Python "
            f"{platform.python_version()} on {platform.platform()}"
        )
        report.line(f"  executable: {sys.executable}")
        root = bundle_root()
        if root is not None:
            report.line(f"  bundle: {root}")
        with tempfile.TemporaryDirectory(
            prefix="stepdesk-self-test-", ignore_cleanup_errors=True
        ) as folder:
            self_test = SelfTest(report, Path(folder))
            passed = self_test.run()
        counts = {outcome: list(self_test.outcomes.values()).count(outcome) for outcome in Outcome}
        summary = (
            f"{counts[Outcome.PASSED]} passed, {counts[Outcome.FAILED]} failed, "
            f"{counts[Outcome.SKIPPED]} skipped"
        )
        report.line(f"Self-test {'passed' if passed else 'FAILED'}: {summary}.")
        report.line(f"Report: {report.path}")
    finally:
        report.close()
    log.info("Self-test %s: %s", "passed" if passed else "failed", summary)
    return EXIT_PASSED if passed else EXIT_FAILED

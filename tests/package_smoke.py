"""Smoke test of the built executables: two self-test runs on one temporary home.

    python -m tests.package_smoke onedir     # after `make package`
    python -m tests.package_smoke onefile    # after `make package ONEFILE=1`

The console `stepdesk-cli --self-test` runs first and records a row in the
user's data folder. The windowed `stepdesk --self-test` then runs on the same
home and must name that row as the previous run, which shows that user data
lives outside the bundle and outlives the process. The script also checks
that neither run changed a file of the bundle and that a one-file executable
removed its unpack folder at exit. It needs only the standard library, so the
Windows workflow runs it too.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
IS_WINDOWS = sys.platform == "win32"
SUFFIX = ".exe" if IS_WINDOWS else ""
RUN_TIMEOUT_S = 300
"""Per run; a one-file start unpacks about 200 MB first, which is slow on a busy CI machine."""

BUNDLES = {
    "onedir": REPOSITORY / "dist" / "onedir" / "StepDesk",
    "onefile": REPOSITORY / "dist" / "onefile",
}


@dataclass
class Checks:
    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def check(self, condition: bool, description: str, details: str = "") -> bool:
        if condition:
            self.passed += 1
            print(f"ok      {description}")
        else:
            self.failures.append(description)
            print(f"FAILED  {description}" + (f"\n{details}" if details else ""))
        return condition


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Return the size and modification time of every file under `folder`."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


def isolated_environment(home: Path, temporary: Path) -> dict[str, str]:
    """Point the user folders and the temporary folder into `home`.

    NOTE: on Windows, platformdirs reads the user folders through the shell
    API, not the environment, so there the runs use the real profile of the
    throw-away CI account.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    env["HOME"] = str(home)
    for name in ("TMPDIR", "TEMP", "TMP"):
        env[name] = str(temporary)
    env.pop("QT_QPA_PLATFORM", None)  # --self-test picks the offscreen platform itself
    env.pop("STEPDESK_RESOURCES", None)
    return env


def run(executable: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    result = subprocess.run(
        [str(executable), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    print(
        f"        {executable.name} {' '.join(args)}: exit {result.returncode} "
        f"after {time.monotonic() - started:.1f} s"
    )
    return result


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"


def smoke_test(mode: str) -> int:
    bundle = BUNDLES[mode]
    console = bundle / f"stepdesk-cli{SUFFIX}"
    windowed = bundle / f"stepdesk{SUFFIX}"
    checks = Checks()
    print(f"Package smoke test of the {mode} build in {bundle}")
    for executable in (console, windowed):
        if not checks.check(executable.is_file(), f"{executable} exists"):
            print("Build it first: make package" + (" ONEFILE=1" if mode == "onefile" else ""))
            return 1

    before = snapshot(bundle)
    with tempfile.TemporaryDirectory(prefix="stepdesk-smoke-") as folder:
        home = Path(folder) / "home"
        temporary = Path(folder) / "tmp"
        home.mkdir()
        temporary.mkdir()
        env = isolated_environment(home, temporary)

        version = run(console, "--version", env=env)
        checks.check(
            version.returncode == 0 and version.stdout.startswith("StepDesk "),
            "stepdesk-cli --version prints the version",
            output_of(version),
        )
        usage = run(console, "--help", env=env)
        checks.check(
            usage.returncode == 0 and "--self-test" in usage.stdout,
            "stepdesk-cli --help lists --self-test",
            output_of(usage),
        )

        first = run(console, "--self-test", env=env)
        checks.check(first.returncode == 0, "first self-test passes", output_of(first))
        recorded = re.search(r"recorded run (\S+) in ", first.stdout)
        report = re.search(r"^Report: (.+)$", first.stdout, re.MULTILINE)
        if not checks.check(
            recorded is not None and report is not None,
            "first self-test names its run and its report file",
            output_of(first),
        ):
            return finish(mode, checks)
        assert recorded is not None and report is not None
        run_id, report_file = recorded.group(1), Path(report.group(1).strip())
        checks.check(report_file.is_file(), f"the report file {report_file} exists")
        if not IS_WINDOWS:
            checks.check(
                home in report_file.parents, f"the report file is in the temporary home {home}"
            )

        # The windowed executable has no stdout on Windows, so its report
        # file, which the first run's path names, is what is read.
        second = run(windowed, "--self-test", env=env)
        checks.check(
            second.returncode == 0, "second self-test (windowed app) passes", output_of(second)
        )
        second_report = report_file.read_text(encoding="utf-8") if report_file.is_file() else ""
        checks.check(
            f"previous run {run_id} " in second_report,
            f"second run read back the row of run {run_id} from the user's data folder",
            second_report,
        )
        leftovers = sorted(path.name for path in temporary.iterdir())
        checks.check(
            not any(name.startswith("_MEI") for name in leftovers),
            "no unpack folder is left in the temporary folder",
            f"left: {leftovers}",
        )

    after = snapshot(bundle)
    changed = sorted(set(before.items()) ^ set(after.items()))
    checks.check(not changed, "no file of the bundle was added or changed", f"changed: {changed}")
    return finish(mode, checks)


def finish(mode: str, checks: Checks) -> int:
    print(f"smoke-{mode}: {checks.passed} passed, {len(checks.failures)} failed")
    return 1 if checks.failures else 0


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in BUNDLES:
        print(f"usage: python -m tests.package_smoke {{{','.join(BUNDLES)}}}", file=sys.stderr)
        return 2
    return smoke_test(argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

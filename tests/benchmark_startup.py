"""Time StepDesk's start-up to the sign-in dialog, from source and from the executables.

    .venv/bin/python -m tests.benchmark_startup [--runs N]

Each measurement starts `stepdesk --demo --verbose` on the offscreen
platform. desktop/ui/startup.py logs a line when the first window, the
sign-in dialog, is painted, and the clock stops when that line reaches
stderr. The process is then terminated. The first start of each mode seeds
the demo database and warms the file cache, so it is not counted. The timed
runs go in rounds of one start per mode. The script prints the median,
minimum and maximum of N runs per mode, the bundle sizes and the machine, as
Markdown for docs/benchmarks.md. Modes whose executable is not built
(`make package`, `make package ONEFILE=1`) are skipped with a note.
"""

import argparse
import importlib.metadata
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SUFFIX = ".exe" if sys.platform == "win32" else ""
MARKER = "First window painted: Sign in"
START_TIMEOUT_S = 120
TARGET_ONEDIR_RATIO = 1.2


@dataclass(frozen=True)
class Mode:
    name: str
    command: list[str]
    bundle: Path | None
    """The built folder or file whose size is reported; None from source."""


def modes() -> list[Mode]:
    onedir = REPOSITORY / "dist" / "onedir" / "StepDesk"
    onefile = REPOSITORY / "dist" / "onefile" / f"stepdesk{SUFFIX}"
    return [
        Mode("source", [sys.executable, "-m", "desktop"], None),
        Mode("onedir", [str(onedir / f"stepdesk{SUFFIX}")], onedir),
        Mode("onefile", [str(onefile)], onefile),
    ]


def environment(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    temporary = home / "tmp"
    temporary.mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), TMPDIR=str(temporary), QT_QPA_PLATFORM="offscreen")
    return env


def time_to_sign_in(command: list[str], env: dict[str, str]) -> float:
    """Start `command` and return the seconds until the sign-in dialog is painted."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--demo", "--verbose"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPOSITORY,
    )
    painted = threading.Event()
    elapsed: list[float] = []
    tail: list[str] = []

    def read_log() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            tail[:] = [*tail[-20:], line]
            if not painted.is_set() and MARKER in line:
                elapsed.append(time.perf_counter() - started)
                painted.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        if not painted.wait(START_TIMEOUT_S):
            raise RuntimeError(
                f"{command[0]} showed no sign-in dialog within {START_TIMEOUT_S} s:\n"
                + "".join(tail)
            )
    finally:
        stop(process)
        reader.join(timeout=10)
    return elapsed[0]


def stop(process: subprocess.Popen[str]) -> None:
    # A one-file executable's bootloader passes SIGTERM on to the app and then
    # deletes its unpack folder; SIGKILL would leave both behind.
    if process.poll() is None:
        process.send_signal(signal.SIGTERM if hasattr(signal, "SIGTERM") else signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def size_of(path: Path) -> int:
    """Return the bytes on disk of a file or folder, counting each symbolic link's target once."""
    if path.is_file():
        return path.stat().st_size
    return sum(
        child.stat().st_size
        for child in path.rglob("*")
        if child.is_file() and not child.is_symlink()
    )


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    memory = "unknown"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        )
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
        kib = int(
            next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal"))
        )
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores (nproc)",
        f"- memory: {memory}",
        f"- system: {platform.platform()}",
        f"- Python {platform.python_version()}, {package_versions()}",
    ]


def package_versions() -> str:
    versions = []
    for name in ("PySide6-Essentials", "pyinstaller"):
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} not installed")
    return ", ".join(versions)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed starts per mode (at least 5)")
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5, so that the median means something")

    rows = ["| mode | median (s) | min (s) | max (s) | runs | size |", "|---|---|---|---|---|---|"]
    notes: list[str] = []
    available = []
    for mode in modes():
        if mode.bundle is not None and not mode.bundle.exists():
            notes.append(f"- {mode.name}: not built ({mode.bundle} is missing), skipped")
        else:
            available.append(mode)
    times: dict[str, list[float]] = {mode.name: [] for mode in available}
    with tempfile.TemporaryDirectory(prefix="stepdesk-bench-") as folder:
        homes = {mode.name: environment(Path(folder) / mode.name) for mode in available}
        for mode in available:
            print(f"{mode.name}: warm-up start (seeds the demo database)", file=sys.stderr)
            time_to_sign_in(mode.command, homes[mode.name])
        # One start of each mode per round, so that a load change on the
        # machine affects every mode alike.
        for round_number in range(1, args.runs + 1):
            for mode in available:
                times[mode.name].append(time_to_sign_in(mode.command, homes[mode.name]))
                print(
                    f"{mode.name}: run {round_number}: {times[mode.name][-1]:.2f} s",
                    file=sys.stderr,
                )

    medians = {name: statistics.median(values) for name, values in times.items()}
    for mode in available:
        values = times[mode.name]
        size = "–" if mode.bundle is None else f"{size_of(mode.bundle) / 1e6:.0f} MB"
        rows.append(
            f"| {mode.name} | {medians[mode.name]:.2f} | {min(values):.2f} | "
            f"{max(values):.2f} | {args.runs} | {size} |"
        )

    print("Start-up to the painted sign-in dialog (offscreen platform, demo database):\n")
    print("\n".join(rows))
    if notes:
        print("\n" + "\n".join(notes))
    if "source" in medians and "onedir" in medians:
        ratio = medians["onedir"] / medians["source"]
        verdict = "within" if ratio <= TARGET_ONEDIR_RATIO else "OVER"
        print(f"\nonedir / source: {ratio:.2f} ({verdict} the target of {TARGET_ONEDIR_RATIO})")
    print("\nMachine:\n" + "\n".join(machine()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A throwaway PostgreSQL server on loopback for the shared-mode tests.

It runs Debian's server binaries from a temporary folder, listens on
127.0.0.1 at a free port with trust authentication, and is stopped and
deleted when the test session ends.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg


def find_server_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self, binaries: Path) -> None:
        self._binaries = binaries
        self._folder = Path(tempfile.mkdtemp(prefix="stepdesk-postgres-"))
        self._data = self._folder / "data"
        self.port = _free_port()
        # PostgreSQL refuses to run as root, so root runs it as the postgres user.
        self._run_as: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self._folder, account.pw_uid, account.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]
        self._counter = 0

    def _run(self, *command: str) -> None:
        subprocess.run([*self._run_as, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(
            str(self._binaries / "initdb"),
            "-D",
            str(self._data),
            "--auth=trust",
            "-U",
            "postgres",
            "--encoding=UTF8",
            "--no-locale",
        )
        options = f"-h 127.0.0.1 -p {self.port} -k {self._folder}"
        self._run(
            str(self._binaries / "pg_ctl"),
            "-D",
            str(self._data),
            "-o",
            options,
            "-l",
            str(self._folder / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(str(self._binaries / "pg_ctl"), "-D", str(self._data), "-m", "fast", "stop")
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def new_database(self) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        self._counter += 1
        name = f"stepdesk_test_{self._counter}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

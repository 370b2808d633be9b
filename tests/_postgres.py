"""A throwaway PostgreSQL server for the tests, from Debian's package (initdb + pg_ctl).

The server runs as the `postgres` user when the tests run as root (PostgreSQL refuses
root), from a data directory under a fresh temp dir, listening on a free port of
127.0.0.1 and on a unix socket in that dir; stop() removes it all. Each test that wants a
clean store gets its own database from new_database().
"""
from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
BIN = next((d for d in BIN_DIRS if (d / "initdb").exists() and (d / "pg_ctl").exists()), None)
MISSING_REASON = "PostgreSQL binaries absent (Debian package `postgresql`; scripts/install-client-toolchains " \
                 "installs it as root)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self):
        assert BIN is not None, MISSING_REASON
        self.root = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.port = _free_port()
        self._as_postgres = os.getuid() == 0
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self.user = "postgres" if self._as_postgres else pwd.getpwuid(os.getuid()).pw_name
        self._databases = itertools.count()
        data = self.root / "data"
        self._run(str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", self.user, "--no-sync", "-E", "UTF8")
        # fsync off: the tests kill replicas, never PostgreSQL itself, so commits stay committed.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off " \
                  f"-c max_connections=200 -c shared_buffers=32MB"
        self._run(str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w",
                  "-t", "60", "start")

    def _run(self, *command: str) -> None:
        if self._as_postgres:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root)

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A DSN of a database created empty for the caller."""
        name = f"test_{os.getpid()}_{next(self._databases)}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        try:
            self._run(str(BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

"""A throw-away PostgreSQL cluster for fault tests: initdb into a temporary directory, pg_ctl on a
free port, stop and start at will. Never touches the shared server on 5432.

The cluster runs as the ``postgres`` OS user (PostgreSQL refuses to run as root): as root through
``runuser -u postgres --``; as the ``postgres`` user directly. ``unavailable_reason()`` says why it
cannot run here (None: it can).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.reliability.stack import free_port


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    return Path(found[-1]) if found else None


def _as_postgres() -> list[str] | None:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        return [runuser, "-u", "postgres", "--"] if runuser else None
    if pwd.getpwuid(os.geteuid()).pw_name == "postgres":
        return []
    return None


def unavailable_reason() -> str | None:
    if bin_dir() is None:
        return "no PostgreSQL binaries under /usr/lib/postgresql/*/bin"
    if _as_postgres() is None:
        return "needs root with runuser (or to run as the postgres user) to start a private cluster"
    return None


class Cluster:
    """A private cluster: ``url(db)`` to reach it, ``stop()`` / ``start()`` to fail it."""

    def __init__(self) -> None:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        self.bin = bin_dir()
        self.prefix = _as_postgres() or []
        self.root = Path(tempfile.mkdtemp(prefix="plugboard-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        postgres = pwd.getpwnam("postgres")
        os.chown(self.root, postgres.pw_uid, postgres.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N", "--no-instructions")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bin / tool), *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg2

        conn = psycopg2.connect(self.url(), connect_timeout=5)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.url(name)

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)

"""A throwaway PostgreSQL primary and its streaming replica, on spare ports, from Debian's
binaries (/usr/lib/postgresql/*/bin): initdb, pg_basebackup -R, pg_ctl.

The servers run as the `postgres` user when the tests run as root (initdb refuses root),
with fsync off and their sockets in their own folder: nothing of the machine's own cluster
is touched. `Cluster.start()` brings both up and waits until the replica streams;
`stop()` removes everything.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

__all__ = ["Cluster", "free_port", "postgres_bin"]


def postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"no {name} under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return found[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="jobspy-pg-")))
    primary_port: int = field(default_factory=free_port)
    replica_port: int = field(default_factory=free_port)
    database: str = "jobspy"

    @property
    def primary_dir(self) -> Path:
        return self.root / "primary"

    @property
    def replica_dir(self) -> Path:
        return self.root / "replica"

    def url(self, port: int, database: str | None = None) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database or self.database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    # --- running the binaries ---------------------------------------------------------------

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def _pg_ctl(self, data_dir: Path, action: str, port: int) -> None:
        options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1"
        arguments = [postgres_bin("pg_ctl"), "-D", str(data_dir), "-w", "-t", "60", action]
        if action in ("start", "restart"):
            arguments += ["-o", options, "-l", str(self.root / f"{data_dir.name}.log")]
        if action == "stop":
            arguments += ["-m", "fast"]
        self._run(*arguments)

    def start(self) -> Cluster:
        if os.geteuid() == 0:
            os.chown(self.root, pwd.getpwnam("postgres").pw_uid, pwd.getpwnam("postgres").pw_gid)
        self._run(postgres_bin("initdb"), "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with open(self.primary_dir / "postgresql.conf", "a") as conf:
            conf.write("\nwal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nfsync = off\n")
            conf.write("full_page_writes = off\nshared_buffers = 32MB\nmax_connections = 60\n")
        self._pg_ctl(self.primary_dir, "start", self.primary_port)
        self.execute(self.primary_port, f'CREATE DATABASE "{self.database}"', database="postgres")
        self._run(
            postgres_bin("pg_basebackup"),
            "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(self.replica_dir), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast",
        )  # fmt: skip
        self.start_replica()
        return self

    def start_replica(self) -> None:
        self._pg_ctl(self.replica_dir, "start", self.replica_port)
        self.wait_until_streaming()

    def stop_replica(self) -> None:
        self._pg_ctl(self.replica_dir, "stop", self.replica_port)

    def stop(self) -> None:
        for data_dir, port in ((self.replica_dir, self.replica_port), (self.primary_dir, self.primary_port)):
            if (data_dir / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError):
                    self._pg_ctl(data_dir, "stop", port)
        shutil.rmtree(self.root, ignore_errors=True)

    # --- asking the servers -----------------------------------------------------------------

    def execute(self, port: int, statement: str, *, database: str | None = None) -> list[tuple]:
        engine = sa.create_engine(self.url(port, database), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.exec_driver_sql(statement)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def wait_until_streaming(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if self.execute(self.primary_port, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")[0][0]:
                    return
            except sa.exc.OperationalError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the replica did not start streaming")

    def wait_until_replayed(self, timeout_s: float = 30) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        target = self.execute(self.primary_port, "SELECT pg_current_wal_insert_lsn()::text")[0][0]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.execute(self.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0]:
                return
            time.sleep(0.05)
        raise RuntimeError("the replica did not catch up")

    def pause_replay(self) -> None:
        self.execute(self.replica_port, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.execute(self.replica_port, "SELECT pg_wal_replay_resume()")

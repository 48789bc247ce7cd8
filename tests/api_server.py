"""The app's HTTP API (`jobspy_web.api:build_api`, behind its HttpHardening) served by granian in a child process on
loopback, for tests of clients that talk to it over the network: the browser extension, the
desktop app. Embedded mode unless the caller passes more: SQLite under its DATA_DIR,
in-process cache and rate limits (so one worker).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

import httpx
from db_helpers import REPO_ROOT, upgrade_to_head


@cache
def _migrated_template() -> Path:
    # Alembic's walk up to head takes seconds; a copy of one migrated file takes none.
    template = Path(tempfile.mkdtemp(prefix="jobspy-sqlite-template-")) / "head.db"
    upgrade_to_head(f"sqlite:///{template}")
    return template


def migrated_sqlite(path: Path) -> str:
    """A SQLite database at Alembic head at `path` (copied from one migrated per test run)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_template(), path)
    return f"sqlite:///{path}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ApiServer:
    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.database_url = env.pop("DATABASE_URL", "") or migrated_sqlite(data_dir / "server.db")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ENVIRONMENT": "development",
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": "",
            **env,
        }
        self.log_path = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ApiServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.database_url.startswith("sqlite"):
            upgrade_to_head(self.database_url)
        command = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "tests.api_server_app:build"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", "1", "--log-level", "warning"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API server did not start:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
            self.process = None

    def cli(self, *arguments: str, **env: str) -> str:
        """`python -m jobspy_web.cli ...` against this server's database and DATA_DIR."""
        run = subprocess.run(
            [sys.executable, "-m", "jobspy_web.cli", *arguments],
            cwd=REPO_ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if run.returncode != 0:
            raise RuntimeError(f"cli {' '.join(arguments)} failed: {run.stderr[-2000:]}")
        return run.stdout

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

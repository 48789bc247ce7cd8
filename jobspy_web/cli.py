"""Operator commands: `python -m jobspy_web.cli serve | migrate`."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUN_VERSION = "1.4.4"


def migrate() -> None:
    """Bring the configured database to the newest schema."""
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(ROOT / "alembic.ini")), "head")


def ensure_bun() -> None:
    # Reflex's own bun download needs hosts we can't reach; npm's registry works.
    if shutil.which("bun") is None:
        subprocess.run(["npm", "install", "-g", f"bun@{BUN_VERSION}"], check=True)


def serve(port: int) -> None:
    from jobspy_web.settings import get_settings

    get_settings()  # an invalid setting stops here, naming the variable
    migrate()
    ensure_bun()
    env = {**os.environ, "REFLEX_TELEMETRY_ENABLED": "false"}
    reflex = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--frontend-port", str(port)]
    os.execvpe(reflex[0], reflex, env)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m jobspy_web.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="migrate the database and run the app")
    serve_parser.add_argument("--port", type=int, default=3000)
    commands.add_parser("migrate", help="upgrade the database to the newest schema")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port)
    else:
        migrate()


if __name__ == "__main__":
    main()

"""Operator commands: `python -m jobspy_web.cli serve | migrate | user ...`."""

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


def add_user_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = commands.add_parser("user", help="create users and set their role").add_subparsers(dest="action", required=True)
    create = users.add_parser("create", help="create a user (password read from JOBSPY_NEW_PASSWORD or asked)")
    create.add_argument("--email", required=True)
    create.add_argument("--role", choices=["free", "pro", "team", "admin"], default="free")
    create.add_argument("--verified", action="store_true", help="mark the email address as confirmed")
    set_role = users.add_parser("set-role", help="change a user's role (their tier until billing decides)")
    set_role.add_argument("--email", required=True)
    set_role.add_argument("--role", choices=["free", "pro", "team", "admin"], required=True)
    users.add_parser("list", help="list users")


def run_user_command(args: argparse.Namespace) -> None:
    import getpass

    from jobspy_web.db import read_session, write_session
    from jobspy_web.models import Role
    from jobspy_web.models.base import utcnow
    from jobspy_web.services import accounts

    if args.action == "list":
        with read_session() as session:
            for user in accounts.list_users(session=session, limit=10_000):
                print(f"{user.email}\t{user.role.value}\t{'verified' if user.email_verified_at else 'unverified'}")
        return
    with write_session() as session:
        if args.action == "create":
            password = os.environ.get("JOBSPY_NEW_PASSWORD") or getpass.getpass("Password: ")
            user = accounts.sign_up(session=session, email=args.email, password=password)
            if args.verified:
                user.email_verified_at = utcnow()
        else:
            found = accounts.find_user(session=session, email=args.email)
            if found is None:
                raise SystemExit(f"no user with email {args.email}")
            user = found
        accounts.set_role(session=session, user=user, role=Role(args.role))
        print(f"{user.email}: {args.role}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m jobspy_web.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="migrate the database and run the app")
    serve_parser.add_argument("--port", type=int, default=3000)
    commands.add_parser("migrate", help="upgrade the database to the newest schema")
    add_user_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port)
    elif args.command == "user":
        try:
            run_user_command(args)
        except ValueError as error:  # AccountError: a sentence for the operator
            raise SystemExit(str(error)) from None
    else:
        migrate()


if __name__ == "__main__":
    main()

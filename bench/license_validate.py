"""POST /licenses/validate against a bare Starlette JSON route, on PostgreSQL + Redis.

    python bench/license_validate.py [--workers 1] [--seconds 8] [--connections 32]

One granian server (what `reflex run --env prod` uses) serves build_api() plus a bare
route, so both run the same way, with the same workers. This process is the load: raw
HTTP/1.1 keep-alive connections from 64 loopback addresses (127.0.0.2-65), so per-IP
rate-limit windows stay the size real clients make them. Limits are raised so nothing is
refused, but every request still pays for both checks.

  bare        POST /bench/bare: reads the body, answers a fixed JSON object
  hit-floor   the body read, one (pipelined) Redis round trip, a fixed answer, as plain
              ASGI like validate: the least a hit can cost
  hit         validate: every (key, machine) answered within the hour, so Redis answers
  miss-floor  the same with two Redis round trips, one PostgreSQL query (SELECT 1) and one
              Ed25519 signature: the least a miss can cost
  miss        validate: every (key, machine) new to the cache, so PostgreSQL decides (an
              activated machine coming back after its cached hour: count, lock, update, cache)

The database's validation_count proves which is which: unchanged by the hit phase, one
per request in the miss phase. Targets: hit >= 70% of bare throughput, miss >= 40%,
p99 <= 3x bare. The floors say how much of the gap any implementation must leave: what
validate adds is the distance from its floor. Loopback only; about two minutes in all.

Throughput depends on what else the machine runs (this load included); "cpu us" does
less: the server's own CPU time per request (its processes, from /proc on Linux), which
PostgreSQL and Redis add to.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")  # 11: license tests, 12: e2e
SOURCE_ADDRESSES = [f"127.0.0.{n}" for n in range(2, 66)]
LICENSES = 3000
MACHINES_PER_LICENSE = 10  # the first is warmed for the hit phase, the rest feed the miss phase
TARGETS = {"hit_rps": 0.70, "miss_rps": 0.40, "p99": 3.0}


# --- the server: build_api() plus a bare route, built by granian's --factory ------------------


def bench_app():  # type: ignore[no-untyped-def]
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from jobspy_web.api.app import all_routes
    from jobspy_web.api.errors import EXCEPTION_HANDLERS
    from jobspy_web.api.licenses import _read_body
    from jobspy_web.infra.connection_sets import ConnectionSet, PerLoop
    from jobspy_web.infra.redis_scripts import HotScript
    from jobspy_web.licensing.signing import get_signer

    answer = {"valid": True, "license_type": "pro", "features": ["search"], "expires_at": None}

    async def bare(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse(answer)

    # Floors: what a validation can't skip, and nothing else: plain ASGI like validate (so
    # not Starlette's Request and Response, which the bare route pays for), the body read,
    # the round trips, the signature, a fixed answer.
    round_trip = HotScript(os.environ["REDIS_URL"], "return 1")
    database = PerLoop(lambda: ConnectionSet(_connect, _close, limit=4))
    fixed = json.dumps(answer, separators=(",", ":")).encode()

    async def hit_work() -> None:
        await round_trip([])  # limits and cache, one call

    async def miss_work() -> None:
        await round_trip([])  # limits and cache
        connections = database.get()
        connection = await connections.take()
        await connection.fetchval("SELECT 1")  # the license's row
        connections.give_back(connection)
        get_signer().signature_header(fixed)  # the answer's signature
        await round_trip([])  # caching it

    class Floor:
        def __init__(self, work):  # type: ignore[no-untyped-def]
            self.work = work

        async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
            await _read_body(receive)
            await self.work()
            headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(fixed))]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": fixed})

    hit_floor, miss_floor = Floor(hit_work), Floor(miss_work)

    # The bare route first, right before the License Server's: all pay the same routing.
    routes = [
        Route("/bench/bare", bare, methods=["POST"]),
        Route("/bench/hit-floor", hit_floor, methods=["POST"]),
        Route("/bench/miss-floor", miss_floor, methods=["POST"]),
        *all_routes(),
    ]
    return Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]


async def _connect():  # type: ignore[no-untyped-def]
    import asyncpg
    from sqlalchemy import make_url

    return await asyncpg.connect(make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql").render_as_string(hide_password=False))


async def _close(connection) -> None:  # type: ignore[no-untyped-def]
    await connection.close()


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    requests: int
    seconds: float
    latencies_s: list[float]
    failures: int
    server_cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def _server_cpu_s(pid: int) -> float:
    """CPU seconds used so far by the server `pid` and its workers; 0 without /proc."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total_ticks = 0
        for each in [str(pid), *children]:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total_ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return total_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _request(path: str, body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def _connection(port: int, source: str, requests: Iterator[bytes], deadline: float, phase: Phase, record: bool) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        while time.perf_counter() < deadline and (request := next(requests, None)) is not None:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            at = head.lower().index(b"content-length:")
            body = await reader.readexactly(int(head[at + 15 : head.index(b"\r\n", at)]))
            if record:
                phase.latencies_s.append(time.perf_counter() - started)
                phase.requests += 1
                phase.failures += not (head.startswith(b"HTTP/1.1 200") and b'"valid":true' in body)
    finally:
        writer.close()


async def _slice(phase: Phase | None, port: int, requests: Iterator[bytes], seconds: float, connections: int) -> None:
    """Load for `seconds`, recorded into `phase` (None: warm-up)."""
    scratch = Phase("warm-up", 0, 0.0, [], 0)
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    sources = itertools.cycle(SOURCE_ADDRESSES)
    await asyncio.gather(*(_connection(port, next(sources), requests, deadline, phase or scratch, True) for _ in range(connections)))
    if phase is not None:
        phase.seconds += time.perf_counter() - started


# --- setup ------------------------------------------------------------------------------------


def _seed(database_url: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Licenses with activated machines; returns (hit pairs, miss pairs) of (key, fingerprint)."""
    import sqlalchemy as sa

    from jobspy_web.core.tiers import rules_for
    from jobspy_web.licensing import keys
    from jobspy_web.models import License, LicenseMachine
    from jobspy_web.models.base import utcnow

    keys = [keys.generate_key() for _ in range(LICENSES)]
    now, features = utcnow(), list(rules_for("team").features)
    licenses = [
        {
            "id": uuid.uuid4(),
            "license_key_hash": keys.hash_key(key),
            "key_prefix": key[:9],
            "license_type": "team",
            "status": "active",
            "features": features,
            "max_machines": MACHINES_PER_LICENSE,
            "validation_count": 0,
            "metadata": {},
            "created_at": now,
            "updated_at": now,
        }
        for key in keys
    ]
    machines = [
        {
            "id": uuid.uuid4(),
            "license_id": row["id"],
            "fingerprint": f"{index:05d}-{n}".ljust(64, "f"),
            "app_version": "1.0.0",
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for index, row in enumerate(licenses)
        for n in range(MACHINES_PER_LICENSE)
    ]
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.insert(License.__table__), licenses)  # type: ignore[attr-defined]
        connection.execute(sa.insert(LicenseMachine.__table__), machines)  # type: ignore[attr-defined]
    engine.dispose()
    pairs = [[(key, f"{index:05d}-{n}".ljust(64, "f")) for n in range(MACHINES_PER_LICENSE)] for index, key in enumerate(keys)]
    # Misses walk the licenses round-robin: one licence's misses queue on its row lock.
    return [each[0] for each in pairs], [each[n] for n in range(1, MACHINES_PER_LICENSE) for each in pairs]


def _validations(database_url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        total = connection.execute(sa.text("SELECT coalesce(sum(validation_count), 0) FROM licenses")).scalar_one()
    engine.dispose()
    return int(total)


def _bodies(pairs: list[tuple[str, str]]) -> list[bytes]:
    return [
        _request("/licenses/validate", f'{{"license_key":"{key}","hardware_fp":"{fp}","app_version":"1.0.0"}}'.encode())
        for key, fp in pairs
    ]


def _start_server(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "license_validate:bench_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=Path(__file__).parent, env=env)
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=8, help="measured per phase, in 1 s slices taken in turn")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=18731)
    args = parser.parse_args()

    import redis
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from jobspy_web.cli import migrate

    name = f"jobspy_bench_{os.getpid()}"
    admin = sa.create_engine(ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    database_url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    redis.Redis.from_url(REDIS_URL).flushdb()
    server = None
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": REDIS_URL,
                "DATA_DIR": data_dir,
                "PYTHONPATH": str(ROOT),
                "LICENSE_LIMIT_PER_IP": "1000000/minute",
                "LICENSE_LIMIT_PER_KEY": "1000000/minute",
            }
            os.environ.update(DATABASE_URL=database_url, DATA_DIR=data_dir)
            migrate()
            hit_pairs, miss_pairs = _seed(database_url)
            server = _start_server(args.port, args.workers, env)
            print(
                f"granian, {args.workers} worker(s), {args.connections} connections, {args.seconds} s per phase, "
                f"{LICENSES} licenses x {MACHINES_PER_LICENSE} machines",
                flush=True,
            )

            bare_body = b'{"license_key":"x","hardware_fp":"y","app_version":"1"}'
            streams = {
                "bare": itertools.repeat(_request("/bench/bare", bare_body)),
                "hit-floor": itertools.repeat(_request("/bench/hit-floor", bare_body)),
                "hit": itertools.cycle(_bodies(hit_pairs)),
                "miss-floor": itertools.repeat(_request("/bench/miss-floor", bare_body)),
                "miss": iter(_bodies(miss_pairs)),
            }
            warm = Phase("warm", 0, 0.0, [], 0)
            asyncio.run(_slice(warm, args.port, iter(_bodies(hit_pairs)), 120.0, args.connections))
            assert warm.requests == len(hit_pairs) and warm.failures == 0, "warming the cache failed"
            for requests in streams.values():
                asyncio.run(_slice(None, args.port, requests, 1.0, args.connections))
            phases = {name: Phase(name, 0, 0.0, [], 0) for name in streams}
            counted = {"hit": 0, "miss": 0}
            # Short slices in turn, so load elsewhere on the machine falls on every phase alike.
            for _ in range(int(args.seconds)):
                for name, requests in streams.items():
                    before, cpu_before = _validations(database_url), _server_cpu_s(server.pid)
                    asyncio.run(_slice(phases[name], args.port, requests, 1.0, args.connections))
                    phases[name].server_cpu_s += _server_cpu_s(server.pid) - cpu_before
                    if name in counted:
                        counted[name] += _validations(database_url) - before
            bare, hit, miss = phases["bare"], phases["hit"], phases["miss"]
            hit_floor, miss_floor = phases["hit-floor"], phases["miss-floor"]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        redis.Redis.from_url(REDIS_URL).flushdb()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    print(f"\n{'':11}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}{'cpu us':>8}")
    for phase in (bare, hit_floor, hit, miss_floor, miss):
        cpu_us = phase.server_cpu_s / max(phase.requests, 1) * 1e6
        print(f"{phase.name:11}{phase.rps:9.0f}{phase.percentile(0.5):9.2f}{phase.percentile(0.99):9.2f}{phase.failures:8}{cpu_us:8.0f}")
    print(
        f"\ndatabase validations: {counted['hit']} during hit slices (a hit never reaches it), "
        f"{counted['miss']} during miss slices ({miss.requests} requests: one each)"
    )
    ratios = [
        ("hit throughput / bare", hit.rps / bare.rps, ">=", TARGETS["hit_rps"]),
        ("miss throughput / bare", miss.rps / bare.rps, ">=", TARGETS["miss_rps"]),
        ("hit p99 / bare p99", hit.percentile(0.99) / bare.percentile(0.99), "<=", TARGETS["p99"]),
        ("miss p99 / bare p99", miss.percentile(0.99) / bare.percentile(0.99), "<=", TARGETS["p99"]),
    ]
    print()
    for label, value, relation, target in ratios:
        met = value >= target if relation == ">=" else value <= target
        print(f"{label:24}{value:6.2f}   target {relation} {target:.2f}   {'met' if met else 'MISSED'}")
    print(
        f"\nfloors (what a validation can't skip, and nothing else):\n"
        f"{'hit floor / bare':24}{hit_floor.rps / bare.rps:6.2f}   one Redis round trip\n"
        f"{'miss floor / bare':24}{miss_floor.rps / bare.rps:6.2f}   two Redis round trips, one PostgreSQL query, one signature\n"
        f"{'hit / hit floor':24}{hit.rps / hit_floor.rps:6.2f}\n"
        f"{'miss / miss floor':24}{miss.rps / miss_floor.rps:6.2f}"
    )


if __name__ == "__main__":
    main()

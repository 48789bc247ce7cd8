"""POST /licenses/validate against a bare Starlette JSON route and the Express peer, on
PostgreSQL + Redis.

    .venv/bin/python bench/license_validate.py [--workers 1] [--seconds 8] [--connections 32]

The Express peer (../shared/tools/express-peer/: the same contract on Node.js + Express,
same Redis keys, same SQL, byte-identical answers) runs beside ours when its node_modules
are there: `cd ../shared/tools/express-peer && npm ci` once (the npm registry is reachable).
It gets the bench's database, its own Redis database (BENCH_PEER_REDIS_URL) and the same
signing key, and is loaded the same way, slice for slice; without node or node_modules its
phases are skipped (--no-peer skips them too).

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
  express-*   the peer's bare route, hit and miss: the bar is ours ahead of it on both

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

from bench.granian_server import start_granian  # noqa: E402  (ROOT on the path first)

ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")  # 11: license tests, 12: e2e
PEER_REDIS_URL = os.environ.get("BENCH_PEER_REDIS_URL", "redis://127.0.0.1:6379/13")
PEER_DIR = ROOT.parent / "shared" / "tools" / "express-peer"
SOURCE_ADDRESSES = [f"127.0.0.{n}" for n in range(2, 66)]
LICENSES = 5000  # misses use each (key, machine) once, per server
MACHINES_PER_LICENSE = 10  # the first is warmed for the hit phase, the rest feed the miss phase
TARGETS = {"hit_rps": 0.70, "miss_rps": 0.40, "p99": 3.0}


# --- the server: build_api() plus a bare route, built by granian's --factory ------------------


def bench_app():  # type: ignore[no-untyped-def]
    from redis.asyncio import Redis
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from jobspy_web.api.app import all_routes
    from jobspy_web.api.errors import EXCEPTION_HANDLERS
    from jobspy_web.api.licenses import _read_body
    from jobspy_web.infra.redis_scripts import HotScript
    from jobspy_web.licensing import validate
    from jobspy_web.licensing.signing import get_signer

    answer = {"valid": True, "license_type": "pro", "features": ["search"], "expires_at": None}

    async def bare(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse(answer)

    # Floors: what a validation can't skip, and nothing else: the body read, the round
    # trips (through the same clients validate uses), the signature, a fixed answer.
    fixed = json.dumps(answer, separators=(",", ":")).encode()

    hot_script = HotScript(os.environ["REDIS_URL"], "return 1")  # what validate's round trips go through
    redis_py_script = Redis.from_url(os.environ["REDIS_URL"]).register_script("return 1")  # redis-py's own

    async def round_trip() -> None:
        await hot_script([])

    async def hit_work() -> None:
        await round_trip()  # limits and cache, one call

    async def hit_work_redis_py() -> None:
        await redis_py_script()  # the same, through redis-py's client: what HotScript buys

    async def miss_work() -> None:
        await round_trip()  # limits and cache
        await validate._connections().fetchrow("SELECT 1")  # the license's row
        get_signer().signature_header(fixed)  # the answer's signature
        await round_trip()  # caching it

    class Floor:
        def __init__(self, work):  # type: ignore[no-untyped-def]
            self.work = work

        async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
            await _read_body(receive)
            await self.work()
            headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(fixed))]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": fixed})

    hit_floor, miss_floor, hit_floor_redis_py = Floor(hit_work), Floor(miss_work), Floor(hit_work_redis_py)

    # The bare route first, right before the License Server's: all pay the same routing.
    routes = [
        Route("/bench/bare", bare, methods=["POST"]),
        Route("/bench/hit-floor", hit_floor, methods=["POST"]),
        Route("/bench/miss-floor", miss_floor, methods=["POST"]),
        Route("/bench/hit-floor-redis-py", hit_floor_redis_py, methods=["POST"]),
        *all_routes(),
    ]
    return Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]


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

    license_keys = [keys.generate_key() for _ in range(LICENSES)]
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
        for key in license_keys
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
    pairs = [[(key, f"{index:05d}-{n}".ljust(64, "f")) for n in range(MACHINES_PER_LICENSE)] for index, key in enumerate(license_keys)]
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


def _start_peer(port: int, database_url: str, key_file: Path) -> subprocess.Popen[bytes] | None:
    """The Express peer on `port`, or None when node or its node_modules are missing."""
    import shutil

    import httpx
    import sqlalchemy as sa

    node = shutil.which("node")
    if node is None or not (PEER_DIR / "node_modules").is_dir():
        print(f"express peer skipped: run `npm ci` in {PEER_DIR} (and have node on PATH)", flush=True)
        return None
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": sa.make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False),
        "REDIS_URL": PEER_REDIS_URL,
        "LICENSE_SIGNING_KEY_FILE": str(key_file),
        "LICENSE_LIMIT_PER_IP": "1000000/minute",
        "LICENSE_LIMIT_PER_KEY": "1000000/minute",
        "LICENSE_MIN_APP_VERSION": os.environ.get("LICENSE_MIN_APP_VERSION", "0.0.0"),
    }
    process = subprocess.Popen([node, "server.js"], cwd=PEER_DIR, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.post(f"http://127.0.0.1:{port}/bench/bare", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the Express peer did not start")
        time.sleep(0.2)


def _signing_key_file(data_dir: str) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(data_dir) / "bench_signing_key.pem"
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=8, help="measured per phase, in 1 s slices taken in turn")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=18731)
    parser.add_argument("--peer-port", type=int, default=18732)
    parser.add_argument("--no-peer", action="store_true", help="skip the Express peer")
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
    for url in (REDIS_URL, PEER_REDIS_URL):
        redis.Redis.from_url(url).flushdb()
    server = peer = None
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            key_file = _signing_key_file(data_dir)
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": REDIS_URL,
                "DATA_DIR": data_dir,
                "PYTHONPATH": str(ROOT),
                "LICENSE_SIGNING_KEY_FILE": str(key_file),
                "LICENSE_LIMIT_PER_IP": "1000000/minute",
                "LICENSE_LIMIT_PER_KEY": "1000000/minute",
            }
            os.environ.update(DATABASE_URL=database_url, DATA_DIR=data_dir)
            migrate()
            hit_pairs, miss_pairs = _seed(database_url)
            server = start_granian("license_validate:bench_app", port=args.port, env=env, cwd=ROOT / "bench", workers=args.workers)
            peer = None if args.no_peer else _start_peer(args.peer_port, database_url, key_file)
            print(
                f"granian, {args.workers} worker(s), {args.connections} connections, {args.seconds} s per phase, "
                f"{LICENSES} licenses x {MACHINES_PER_LICENSE} machines",
                flush=True,
            )

            bare_body = b'{"license_key":"x","hardware_fp":"y","app_version":"1"}'
            streams: dict[str, tuple[int, Iterator[bytes]]] = {
                "bare": (args.port, itertools.repeat(_request("/bench/bare", bare_body))),
                "hit-floor": (args.port, itertools.repeat(_request("/bench/hit-floor", bare_body))),
                "hit-floor-py": (args.port, itertools.repeat(_request("/bench/hit-floor-redis-py", bare_body))),
                "hit": (args.port, itertools.cycle(_bodies(hit_pairs))),
                "miss-floor": (args.port, itertools.repeat(_request("/bench/miss-floor", bare_body))),
                "miss": (args.port, iter(_bodies(miss_pairs))),
            }
            ports = [args.port]
            if peer is not None:
                ports.append(args.peer_port)
                streams |= {
                    "express-bare": (args.peer_port, itertools.repeat(_request("/bench/bare", bare_body))),
                    "express-hit": (args.peer_port, itertools.cycle(_bodies(hit_pairs))),
                    "express-miss": (args.peer_port, iter(_bodies(miss_pairs))),
                }
            for port in ports:
                warm = Phase("warm", 0, 0.0, [], 0)
                asyncio.run(_slice(warm, port, iter(_bodies(hit_pairs)), 120.0, args.connections))
                assert warm.requests == len(hit_pairs) and warm.failures == 0, "warming the cache failed"
            for port, requests in streams.values():
                asyncio.run(_slice(None, port, requests, 1.0, args.connections))
            phases = {name: Phase(name, 0, 0.0, [], 0) for name in streams}
            counted = {"hit": 0, "miss": 0}
            # Short slices in turn, so load elsewhere on the machine falls on every phase alike.
            for _ in range(int(args.seconds)):
                for name, (port, requests) in streams.items():
                    process = server if port == args.port else peer
                    assert process is not None
                    before, cpu_before = _validations(database_url), _server_cpu_s(process.pid)
                    asyncio.run(_slice(phases[name], port, requests, 1.0, args.connections))
                    phases[name].server_cpu_s += _server_cpu_s(process.pid) - cpu_before
                    if name in counted:
                        counted[name] += _validations(database_url) - before
    finally:
        for process in (server, peer):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        for url in (REDIS_URL, PEER_REDIS_URL):
            redis.Redis.from_url(url).flushdb()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    _report(phases, counted)


def _report(phases: dict[str, Phase], counted: dict[str, int]) -> None:
    bare, hit, miss = phases["bare"], phases["hit"], phases["miss"]
    hit_floor, miss_floor, hit_floor_py = phases["hit-floor"], phases["miss-floor"], phases["hit-floor-py"]
    print(f"\n{'':13}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}{'cpu us':>8}")
    for phase in phases.values():
        cpu_us = phase.server_cpu_s / max(phase.requests, 1) * 1e6
        print(f"{phase.name:13}{phase.rps:9.0f}{phase.percentile(0.5):9.2f}{phase.percentile(0.99):9.2f}{phase.failures:8}{cpu_us:8.0f}")
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
    if "express-hit" in phases:
        ratios += [
            ("hit / express hit", hit.rps / phases["express-hit"].rps, ">", 1.0),
            ("miss / express miss", miss.rps / phases["express-miss"].rps, ">", 1.0),
        ]
    print()
    for label, value, relation, target in ratios:
        met = {">=": value >= target, ">": value > target, "<=": value <= target}[relation]
        print(f"{label:24}{value:6.2f}   target {relation} {target:.2f}   {'met' if met else 'MISSED'}")
    if "express-hit" in phases:
        express_bare = phases["express-bare"]
        print(f"{'bare / express bare':24}{bare.rps / express_bare.rps:6.2f}   (the frameworks alone)")
        print(f"{'hit p99 / express p99':24}{hit.percentile(0.99) / phases['express-hit'].percentile(0.99):6.2f}")
        print(f"{'miss p99 / express p99':24}{miss.percentile(0.99) / phases['express-miss'].percentile(0.99):6.2f}")
    print(
        f"\nfloors (what a validation can't skip, and nothing else):\n"
        f"{'hit floor / bare':24}{hit_floor.rps / bare.rps:6.2f}   one Redis round trip (infra.redis_scripts.HotScript)\n"
        f"{'hit floor py / bare':24}{hit_floor_py.rps / bare.rps:6.2f}   the same through redis-py's register_script\n"
        f"{'miss floor / bare':24}{miss_floor.rps / bare.rps:6.2f}   two Redis round trips, one PostgreSQL query, one signature\n"
        f"{'hit / hit floor':24}{hit.rps / hit_floor.rps:6.2f}\n"
        f"{'miss / miss floor':24}{miss.rps / miss_floor.rps:6.2f}"
    )


if __name__ == "__main__":
    main()

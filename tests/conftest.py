"""Shared fixtures: settings isolation and migrated databases on SQLite and PostgreSQL.

  data_dir (autouse)      DATA_DIR -> a per-test tmp dir; app settings/engines reset.
  postgres_url            (session) a PostgreSQL database made for this session.
  migrated_postgres_url,  (session) that database / a tmp SQLite file, at Alembic head;
  migrated_sqlite_url     not emptied between tests.
  database_url            migrated and emptied; parametrized [sqlite] and [postgresql].
  db                      database_url, with the app's write_session()/read_session() on it.
  pg_db                   like db, PostgreSQL only (real concurrency, row locks, JSONB).
  empty_database_url      an empty database of the test's own, [sqlite] and [postgresql]:
                          for migrations walked up and down.

PostgreSQL comes from TEST_POSTGRES_ADMIN_URL (default: postgres@127.0.0.1:5432/test).
Tests that need it are marked `postgresql`; without a server: `pytest -m "not postgresql"`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from db_helpers import clean_tables, temporary_postgres_database, upgrade_to_head
from redis_helpers import stop_worker_redis
from xdist_scheduling import BROWSER_UNIT, SuiteScheduling, machine_to_itself, unit_of

from jobspy_web.settings import reset_process_state
from tests.replay import ReplayProxy


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Mark everything built on postgres_url (pg_db, migrated_postgres_url, ...).
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgresql)
    # Browser tests last: pytest-playwright's sync API keeps an event loop running in this
    # thread until the session ends, and pytest-asyncio can't start one after it. (Under
    # xdist, the browser worker runs them and nothing after them.)
    items.sort(key=lambda item: unit_of(item.nodeid) == BROWSER_UNIT)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`pytest -n N` (--dist load, the default, or loadgroup): whole files to workers, the
    files of a SHARED_UNITS entry kept together, the browser tests alone on one worker."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None  # another --dist asked for by name: xdist's own
    return SuiteScheduling(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with machine_to_itself(item.config, item.nodeid):  # xdist_scheduling.QUIET_TESTS
        return (yield)


def pytest_sessionfinish(session: pytest.Session) -> None:
    stop_worker_redis()  # an xdist worker's own redis-server (redis_helpers)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the app at a per-test DATA_DIR (not created yet), never the repo's data/.

    The settings and all the process made from them (engines, cache, limiter, signer:
    settings.reset_process_state) are forgotten before and after each test, so a test
    starts from its own environment; a test changing it calls reset_process_state()."""
    path = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(path))
    # Also ignore a developer's .env / shell DATABASE_URL: tests never touch a real
    # database unless they ask for one through `db` or `pg_db`.
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("DATABASE_REPLICA_URL", "")
    reset_process_state()
    yield path
    reset_process_state()


@pytest.fixture(autouse=True)
def _usage_events_written(data_dir: Path) -> Iterator[None]:
    """Write the usage events a test's API calls queued into the test's own database, and
    stop the writer: the next test must not find them (or write them into its database)."""
    yield
    from jobspy_web.usage import stop_recorder

    stop_recorder()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database created for this session and dropped at its end.

    Shared: the fixtures below migrate it, so don't count on it being empty. For a
    database of your own, use db_helpers.temporary_postgres_database().
    """
    with temporary_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_url: str) -> str:
    upgrade_to_head(postgres_url)
    return postgres_url


@pytest.fixture(scope="session")
def migrated_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    upgrade_to_head(url)
    return url


_MIGRATED = {"sqlite": "migrated_sqlite_url", "postgresql": "migrated_postgres_url"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A database at Alembic head with empty tables; tests using it run on both backends.

    Migrated once per session per backend, emptied before each test: whatever an
    earlier (perhaps crashed) test left behind can't leak in.
    """
    # getfixturevalue: a SQLite-only run (-m "not postgresql") never touches PostgreSQL.
    url: str = request.getfixturevalue(_MIGRATED[request.param])
    clean_tables(url)
    return url


def _use_database(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", url)
    reset_process_state()
    yield url  # data_dir's reset disposes the pool, before the next test empties tables


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own with nothing in it, for walking migrations up and down."""
    if request.param == "sqlite":
        # The parent directory doesn't exist yet: alembic's env.py must create it.
        yield f"sqlite:///{tmp_path / 'not-yet' / 'fresh.db'}"
    else:
        with temporary_postgres_database("jobspy_migration_test") as url:
            yield url


@pytest.fixture
def db(database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """write_session()/read_session() talk to `database_url`; yields that URL."""
    yield from _use_database(database_url, monkeypatch)


@pytest.fixture
def pg_db(migrated_postgres_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Like `db`, on PostgreSQL only."""
    clean_tables(migrated_postgres_url)
    yield from _use_database(migrated_postgres_url, monkeypatch)


@pytest.fixture(scope="session")
def replay_proxy() -> Iterator[ReplayProxy]:
    """The offline job sites, shared by the whole session (see tests/replay)."""
    with ReplayProxy() as proxy:
        yield proxy


@pytest.fixture
def replay(replay_proxy: ReplayProxy, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayProxy]:
    """The app's scrapers go through the replay proxy; every site starts out behaving."""
    replay_proxy.scenario.clear()
    monkeypatch.setenv("JOBSPY_PROXIES", replay_proxy.url)
    monkeypatch.setenv("JOBSPY_CA_CERT", str(replay_proxy.ca_cert_path))
    reset_process_state()
    yield replay_proxy
    replay_proxy.scenario.clear()

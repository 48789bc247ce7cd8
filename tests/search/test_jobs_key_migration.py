"""Migration 0005 recomputes stored dedupe keys (and back), on SQLite and PostgreSQL.

Each test gets a database of its own, as tests/models/test_migrations.py does: it walks
the schema up and down.
"""

from __future__ import annotations

import importlib.util
import uuid
from types import ModuleType

import sqlalchemy as sa
from db_helpers import REPO_ROOT, alembic_config
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from alembic import command
from jobspy_web.models import Search
from jobspy_web.models.base import utcnow
from jobspy_web.search import jobs


def migration() -> ModuleType:
    path = REPO_ROOT / "alembic" / "versions" / "0005_job_dedupe_keys.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OLD_JOBS = sa.table(
    "jobs",
    sa.column("id", sa.Uuid()),
    sa.column("dedupe_key", sa.String()),
    sa.column("sources", sa.JSON()),
    sa.column("site", sa.String()),
    sa.column("job_url", sa.Text()),
    sa.column("title", sa.Text()),
    sa.column("company", sa.Text()),
    sa.column("location", sa.Text()),
    sa.column("first_seen_at", sa.DateTime(timezone=True)),
    sa.column("last_seen_at", sa.DateTime(timezone=True)),
)


def old_job(old_key, number: int, title: str, company: str | None, *, key: str | None = None) -> dict:
    row = {"job_url": f"https://www.indeed.com/viewjob?jk={number}", "title": title, "company": company, "location": "Austin, TX, US"}
    now = utcnow()
    return {
        **row,
        "id": uuid.UUID(int=number),
        "dedupe_key": key or old_key(row),
        "sources": [{"site": "indeed", "job_url": row["job_url"], "job_url_direct": None}],
        "site": "indeed",
        "first_seen_at": now.replace(microsecond=number),
        "last_seen_at": now,
    }


def keys(engine: sa.Engine) -> dict[int, tuple[str, str | None]]:
    with engine.connect() as connection:
        columns = "id, dedupe_key, company_city_key" if "company_city_key" in _columns(engine) else "id, dedupe_key, NULL"
        return {
            uuid.UUID(str(job_id)).int: (key, group) for job_id, key, group in connection.execute(sa.text(f"SELECT {columns} FROM jobs"))
        }


def _columns(engine: sa.Engine) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns("jobs")}


def test_stored_keys_are_recomputed_up_and_restored_down(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0004")
    old_key = migration().old_dedupe_key
    stored = [
        old_job(old_key, 1, "Sr. Python Developer", "Initech, Inc."),  # its key changes
        old_job(old_key, 2, "Senior Python Developer", "Initech Inc"),  # the same new key: the older job (1) takes it
        old_job(old_key, 3, "Data Engineer", "Acme"),  # the same key either way
        old_job(old_key, 4, "Data Engineer", "Acme Corp."),  # would take 3's key: keeps its own
        old_job(old_key, 5, "Sr. Python Developer", "Initech, Inc.", key=jobs.url_key({"job_url": "https://x/5"})),  # a second opening
        old_job(old_key, 6, "Nurse", None),  # no company: its URL's key either way
    ]
    engine = sa.create_engine(empty_database_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(OLD_JOBS.insert(), stored)
        before = keys(engine)

        command.upgrade(config, "head")
        after = keys(engine)
        initech_austin, acme_austin = jobs.company_city_key(stored[0]), jobs.company_city_key(stored[2])
        assert after[1] == (jobs.dedupe_key(stored[0]), initech_austin) and after[1][0] != before[1][0]
        assert after[2] == (before[2][0], initech_austin)
        assert after[3] == (before[3][0], acme_austin) and before[3][0] == jobs.dedupe_key(stored[2])
        assert after[4] == (before[4][0], acme_austin)
        assert (after[5][0], after[6]) == (before[5][0], (before[6][0], None))

        # The next search finds the recomputed job: a LinkedIn cross-post joins job 1.
        with Session(engine) as session:
            search = Search(params={})
            session.add(search)
            session.flush()
            row = {"job_url": "https://www.linkedin.com/jobs/view/9", "title": "Senior Python Developer", "company": "Initech, Inc."}
            jobs.store_site_jobs(session=session, search_id=search.id, site="linkedin", rows=[{**row, "location": "Austin, Texas"}])
            session.commit()
            (found,) = jobs.search_rows(session=session, search_id=search.id)
            assert uuid.UUID(found.id).int == 1 and found.sites == ["linkedin"]

        command.downgrade(config, "0004")
        assert keys(engine) == before
        assert "company_city_key" not in _columns(engine)
        command.upgrade(config, "head")
        assert keys(engine) == after
    finally:
        engine.dispose()

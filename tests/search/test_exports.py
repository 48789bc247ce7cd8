"""Exports count against the tier's exports_per_day: the limit the Pricing page publishes."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator

import pytest

from jobspy_web.core.errors import DomainError
from jobspy_web.core.tiers import Tier, rules_for
from jobspy_web.db import read_session, write_session
from jobspy_web.models import Search
from jobspy_web.search import exports, jobs
from jobspy_web.settings import reset_process_state


@pytest.fixture
def limiter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REDIS_URL", "")  # the embedded default: counted in memory
    reset_process_state()
    yield


def stored_job_ids() -> list[str]:
    with write_session() as session:
        search = Search(params={"search_term": "python"}, label="python")
        session.add(search)
        session.flush()
        row = {"id": "in-1", "site": "indeed", "job_url": "https://www.indeed.com/viewjob?jk=1", "title": "Python Developer"}
        jobs.store_site_jobs(session=session, search_id=search.id, site="indeed", rows=[{**row, "company": "Acme"}])
        search_id = search.id
    with read_session() as session:
        return [row.id for row in jobs.search_rows(session=session, search_id=search_id)]


async def test_a_free_account_hits_its_exports_per_day_and_is_told_when_it_can_again(db, limiter):
    free, other = uuid.uuid4(), uuid.uuid4()
    job_ids = stored_job_ids()
    allowed = rules_for(Tier.FREE).exports_per_day
    for _ in range(allowed):
        as_csv = await exports.export_jobs(user_id=free, tier=Tier.FREE, job_ids=job_ids, export_format="csv")
        assert [record["id"] for record in csv.DictReader(io.StringIO(as_csv.decode()))] == job_ids

    with pytest.raises(DomainError) as refused:
        await exports.export_jobs(user_id=free, tier=Tier.FREE, job_ids=job_ids, export_format="json")

    assert (refused.value.code, refused.value.status) == (exports.EXPORT_LIMIT, 429)
    assert refused.value.message.startswith(f"Your plan allows {allowed} exports a day; you can export again in ")
    assert "Pro allows 100." in refused.value.message
    # Counted per person: someone else on the free plan still has all of theirs.
    as_json = await exports.export_jobs(user_id=other, tier=Tier.FREE, job_ids=job_ids, export_format="json")
    assert [record["id"] for record in json.loads(as_json)] == job_ids


async def test_a_pro_account_exports_past_the_free_allowance(db, limiter):
    pro = uuid.uuid4()
    job_ids = stored_job_ids()
    for _ in range(rules_for(Tier.FREE).exports_per_day + 1):
        await exports.export_jobs(user_id=pro, tier=Tier.PRO, job_ids=job_ids, export_format="csv")

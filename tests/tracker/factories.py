"""Small factories for the tracker tests: people, stored search results, postings."""

from __future__ import annotations

import uuid
from typing import Any

from jobspy_web.db import write_session
from jobspy_web.models import Search, User
from jobspy_web.search import jobs
from jobspy_web.tracker.inputs import TrackedJobCreate


def make_user(email: str | None = None) -> uuid.UUID:
    with write_session() as session:
        user = User(email=email or f"user-{uuid.uuid4().hex[:8]}@example.com")
        session.add(user)
    return user.id


def posting(
    url: str = "https://www.linkedin.com/jobs/view/senior-python-developer-3912345678/?refId=abc", **fields: Any
) -> TrackedJobCreate:
    values = {"url": url, "title": "Senior Python Developer", "company": "Acme", "location": "Austin, TX", "site": "linkedin"}
    return TrackedJobCreate.model_validate({**values, **fields})


def stored_result(owner_id: uuid.UUID, *, sources: list[tuple[str, str]]) -> str:
    """A job one of `owner_id`'s searches found on each (site, url) in `sources`; its id."""
    with write_session() as session:
        search = Search(owner_id=owner_id, label="python")
        session.add(search)
        session.flush()
        for site, url in sources:
            row = {"site": site, "job_url": url, "title": "Data Engineer", "company": "Initech", "location": "Denver, CO", "id": url}
            jobs.store_site_jobs(session=session, search_id=search.id, site=site, rows=[row])
        rows = jobs.search_rows(session=session, search_id=search.id)
    assert len(rows) == 1, "the sources should merge into one job"
    return rows[0].id

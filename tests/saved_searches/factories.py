"""Small factories for saved-search tests: users, saved searches, and a search executor that
stores given rows (the scrape faked, everything after it real)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from jobspy_web.db import write_session
from jobspy_web.models import Role, SavedSearch, Search, SearchStatus, User
from jobspy_web.models.base import utcnow
from jobspy_web.saved_searches import store
from jobspy_web.search import jobs


def make_user(email: str = "ada@example.com", role: Role = Role.PRO) -> uuid.UUID:
    with write_session() as session:
        user = User(email=email, role=role, email_verified_at=utcnow())
        session.add(user)
        session.flush()
        return user.id


def save(owner_id: uuid.UUID, tier: str = "pro", now: Any = None, **raw: Any) -> SavedSearch:
    data = store.parse_saved_search({"name": "Python in Austin", "search_terms": ["python developer"], **raw})
    with write_session() as session:
        return store.create_saved_search(session=session, owner_id=owner_id, tier=tier, data=data, now=now)


def posting(index: int, *, site: str = "indeed", title: str | None = None, company: str | None = None) -> dict[str, Any]:
    return {
        "id": f"{site}-{index}",
        "job_url": f"https://{site}.example/jobs/{index}",
        "title": title or f"Engineer {index}",
        "company": company or f"Company {index}",
        "location": "Austin, TX",
    }


def storing(rows_for: Callable[[Search], list[dict[str, Any]]]) -> Callable[..., Any]:
    """An executor for runs.execute_run: the search 'finds' `rows_for(search)` at once."""

    async def execute(search_id: uuid.UUID, *, record_shown: bool = True) -> SearchStatus:
        with write_session() as session:
            search = session.get(Search, search_id)
            assert search is not None
            jobs.store_site_jobs(session=session, search_id=search_id, site="indeed", rows=rows_for(search))
            search.status, search.job_count = SearchStatus.COMPLETED, jobs.count_search_jobs(session=session, search_id=search_id)
            session.add(search)
        return SearchStatus.COMPLETED

    return execute

"""search.polls: the search API's polls read a search as a session would, on PostgreSQL over
asyncpg (on the event loop) and on SQLite through a thread; never someone else's."""

from __future__ import annotations

import uuid

import pytest

from jobspy_web.db import write_session
from jobspy_web.infra import pg_reads
from jobspy_web.models import User
from jobspy_web.search import polls, runner
from jobspy_web.search.params import SearchParams
from jobspy_web.settings import reset_process_state


def a_user(email: str) -> uuid.UUID:
    with write_session() as session:
        user = User(email=email, password_hash="x")
        session.add(user)
        session.flush()
        return user.id


async def test_a_poll_reads_the_search_as_stored_and_only_for_its_owner(db):
    ada, bob = a_user("ada@example.com"), a_user("bob@example.com")
    with write_session() as session:
        created = runner.create_search(session=session, params=SearchParams(search_term="nurse", site_name=["indeed"]), owner_id=ada)
        runner.request_cancel(session=session, search_id=created.id, owner_id=ada)
    with write_session() as session:
        stored = runner.get_search(session=session, search_id=created.id, owner_id=ada)
        assert stored is not None
        expected = polls.SearchView.of(stored)

    found = await polls.owned_search(search_id=created.id, owner_id=ada)
    assert found == expected
    assert found is not None and found.params["search_term"] == "nurse" and found.site_outcomes == expected.site_outcomes
    assert await polls.owned_search(search_id=created.id, owner_id=bob) is None
    assert await polls.owned_search(search_id=uuid.uuid4(), owner_id=ada) is None
    assert pg_reads.on_postgresql() == db.startswith("postgresql")


async def test_recent_searches_are_the_owners_newest_first_at_most_the_limit(db):
    ada, bob = a_user("ada@example.com"), a_user("bob@example.com")
    with write_session() as session:
        for n in range(polls.RECENT_LIMIT + 2):
            runner.create_search(session=session, params=SearchParams(search_term=f"term {n}"), owner_id=ada)
        runner.create_search(session=session, params=SearchParams(search_term="bob's"), owner_id=bob)
    with write_session() as session:
        expected = [polls.SearchView.of(each) for each in runner.recent_searches(session=session, owner_id=ada, limit=100)]
    assert len(expected) == polls.RECENT_LIMIT + 2

    found = await polls.recent_searches(owner_id=ada)
    assert found == expected[: polls.RECENT_LIMIT]
    assert found[0].params["search_term"] == f"term {polls.RECENT_LIMIT + 1}"  # the newest


@pytest.mark.postgresql
async def test_an_unreachable_primary_is_database_unavailable_after_the_retries(pg_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/test")  # nothing listens there
    reset_process_state()
    with pytest.raises(pg_reads.DatabaseUnavailable):
        await polls.owned_search(search_id=uuid.uuid4(), owner_id=uuid.uuid4())
    with pytest.raises(pg_reads.DatabaseUnavailable):
        await polls.recent_searches(owner_id=uuid.uuid4())

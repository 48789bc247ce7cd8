"""History: a person pages through, renames and deletes their own searches, and no one else's."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from jobspy_web.accounts import users
from jobspy_web.db import read_session, write_session
from jobspy_web.models import Search, SearchJob, SearchStatus
from jobspy_web.search import runner
from jobspy_web.search.params import SearchParamsError, parse_search_params

PASSWORD = "correct horse battery"


def _owner(email: str = "ada@example.com") -> uuid.UUID:
    with write_session() as session:
        return users.sign_up(session=session, email=email, password=PASSWORD, verified=True).id


def _search(owner_id: uuid.UUID, term: str, status: SearchStatus = SearchStatus.COMPLETED) -> uuid.UUID:
    params = parse_search_params({"search_term": term, "results_wanted": 5})
    with write_session() as session:
        search = runner.create_search(session=session, params=params, owner_id=owner_id)
        search.status = status
        session.add(search)
        return search.id


def test_pages_hold_every_search_once_newest_first(db):
    owner = _owner()
    made = [_search(owner, f"term {number}") for number in range(7)]
    with read_session() as session:
        pages = [runner.recent_searches(session=session, owner_id=owner, limit=3, offset=offset) for offset in (0, 3, 6)]
    seen = [search.id for page in pages for search in page]
    assert sorted(seen) == sorted(made) and len(set(seen)) == 7
    assert [len(page) for page in pages] == [3, 3, 1]


def test_rename_keeps_a_tidy_name_and_refuses_an_empty_one(db):
    owner = _owner()
    search_id = _search(owner, "python")
    with write_session() as session:
        runner.rename_search(session=session, search_id=search_id, owner_id=owner, label="  Python   jobs, Austin ")
    with read_session() as session:
        assert session.get(Search, search_id).label == "Python jobs, Austin"
    with pytest.raises(SearchParamsError) as refused, write_session() as session:
        runner.rename_search(session=session, search_id=search_id, owner_id=owner, label="   ")
    assert refused.value.problems == {"label": "Name: use 1 to 300 characters."}


def test_delete_removes_the_search_and_its_job_list_but_never_someone_elses_or_a_running_one(db):
    owner, other = _owner(), _owner("bob@example.com")
    mine, running = _search(owner, "python"), _search(owner, "rust", SearchStatus.RUNNING)
    with write_session() as session:
        assert not runner.delete_search(session=session, search_id=mine, owner_id=other)
        assert not runner.delete_search(session=session, search_id=running, owner_id=owner)
        assert not runner.rename_search(session=session, search_id=mine, owner_id=other, label="mine now")
        assert runner.delete_search(session=session, search_id=mine, owner_id=owner)
    with read_session() as session:
        assert session.get(Search, mine) is None and session.get(Search, running) is not None
        assert session.exec(select(SearchJob).where(SearchJob.search_id == mine)).all() == []

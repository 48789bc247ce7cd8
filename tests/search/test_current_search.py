"""A new tab of the search page shows the person's current search: running, or just finished."""

from __future__ import annotations

import uuid
from datetime import timedelta

from jobspy_web.accounts import users
from jobspy_web.db import read_session, write_session
from jobspy_web.models import SearchStatus
from jobspy_web.models.base import utcnow
from jobspy_web.search import runner
from jobspy_web.search.params import parse_search_params

PASSWORD = "correct horse battery"


def _owner(email: str) -> uuid.UUID:
    with write_session() as session:
        return users.sign_up(session=session, email=email, password=PASSWORD, verified=True).id


def _search(owner_id: uuid.UUID, term: str, status: SearchStatus, finished_ago: timedelta | None = None) -> uuid.UUID:
    params = parse_search_params({"search_term": term, "results_wanted": 5})
    with write_session() as session:
        search = runner.create_search(session=session, params=params, owner_id=owner_id)
        search.status = status
        search.heartbeat_at = utcnow()  # alive, for a running one
        if finished_ago is not None:
            search.finished_at = utcnow() - finished_ago
        session.add(search)
        return search.id


def _current(owner_id: uuid.UUID, **kwargs) -> uuid.UUID | None:
    with read_session() as session:
        found = runner.current_search(session=session, owner_id=owner_id, **kwargs)
        return found.id if found is not None else None


def test_a_running_search_is_current_however_long_it_runs(db):
    owner = _owner("ada@example.com")
    running = _search(owner, "python", SearchStatus.RUNNING)
    assert _current(owner) == running
    assert _current(owner, now=utcnow() + timedelta(hours=5)) == running


def test_a_finished_search_is_current_for_an_hour_then_the_form_starts_empty(db):
    owner = _owner("ada@example.com")
    done = _search(owner, "python", SearchStatus.COMPLETED, finished_ago=timedelta(minutes=50))
    assert _current(owner) == done
    assert _current(owner, now=utcnow() + timedelta(minutes=11)) is None
    assert timedelta(hours=1) == runner.CURRENT_SEARCH_WINDOW


def test_only_the_newest_search_counts_and_only_the_owners(db):
    owner, other = _owner("ada@example.com"), _owner("bob@example.com")
    _search(owner, "old but running", SearchStatus.RUNNING)
    newest = _search(owner, "newest", SearchStatus.CANCELLED, finished_ago=timedelta(hours=2))
    _search(other, "bob's", SearchStatus.RUNNING)
    # The newest is too old, and an older one still running is not what was just done.
    assert _current(owner) is None
    assert newest is not None
    fresh = _current(other)
    assert fresh is not None and fresh != newest
    assert _current(_owner("cy@example.com")) is None

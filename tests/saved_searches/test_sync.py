"""saved_searches.sync on SQLite and PostgreSQL: pulls since a moment (tombstones included),
pushes applied last-writer-wins per item with a conflict note, the tier's limits refusing
single items with a note, and a slot claimed by the scheduler being no edit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session, write_session
from jobspy_web.models import Role, SavedSearch, ScheduleKind
from jobspy_web.models.base import utcnow
from jobspy_web.saved_searches import runs, store, sync
from jobspy_web.search.params import SearchParamsError
from tests.saved_searches.factories import make_user, save


def copy(saved_id: uuid.UUID | None = None, *, minutes_ago: float = 0, **content) -> sync.SavedSearchSync:
    fields = {"name": "Python in Austin", "search_terms": ["python developer"], "locations": ["Austin, TX"], **content}
    return sync.SavedSearchSync(id=saved_id or uuid.uuid4(), updated_at=utcnow() - timedelta(minutes=minutes_ago), **fields)


def push(owner: uuid.UUID, *items: sync.SavedSearchSync, tier: str = "pro") -> list[sync.SyncResult]:
    with write_session() as session:
        return sync.apply_changes(session=session, owner_id=owner, tier=tier, incoming=list(items))


def pull(owner: uuid.UUID, since=None) -> sync.ChangeSet:
    with read_session() as session:
        return sync.changes_since(session=session, owner_id=owner, since=since)


def stored(saved_id: uuid.UUID) -> SavedSearch | None:
    with read_session() as session:
        return session.get(SavedSearch, saved_id)


def test_a_pushed_copy_is_created_and_pulled_back_without_its_channels(db):
    owner = make_user()
    made = copy(schedule="daily", hour=6, params={"site_name": ["indeed"], "results_wanted": 20})
    [result] = push(owner, made)
    assert result.status == "applied" and result.note is None
    row = stored(made.id)
    assert row is not None and row.owner_id == owner and row.schedule is ScheduleKind.DAILY and row.next_run_at is not None
    assert row.updated_at == made.updated_at  # the edit's time, not the write's
    [item] = pull(owner).items
    assert item["id"] == str(made.id) and item["name"] == "Python in Austin" and item["deleted"] is False
    assert "apprise_urls" not in item and "next_run_at" not in item
    assert sync.SavedSearchSync.model_validate(item).content() == made.content()  # the shape goes both ways


def test_pull_answers_only_what_was_written_since_and_deletions_as_tombstones(db):
    owner, other = make_user(), make_user("bob@example.com")
    kept, gone = save(owner, name="kept"), save(owner, name="gone")
    save(other, name="not mine")
    first = pull(owner)
    assert {item["name"] for item in first.items} == {"kept", "gone"}
    later = first.next_since + sync.PULL_OVERLAP  # as if the overlap had passed
    assert pull(owner, since=later).items == []
    with write_session() as session:
        store.delete_saved_search(session=session, owner_id=owner, saved_search_id=gone.id)
    [tombstone] = pull(owner, since=later).items
    assert tombstone == {"id": str(gone.id), "updated_at": tombstone["updated_at"], "deleted": True}
    assert str(kept.id) not in {item["id"] for item in pull(owner, since=later).items}


def test_the_later_copy_wins_and_an_older_one_is_a_conflict_with_a_note(db):
    owner = make_user()
    saved = save(owner, name="on the server")
    newer = copy(saved.id, name="renamed on the desktop")
    [applied] = push(owner, newer)
    assert applied.status == "applied" and stored(saved.id).name == "renamed on the desktop"

    older = copy(saved.id, minutes_ago=60, name="an old edit")
    [conflict] = push(owner, older)
    assert conflict.status == "conflict" and "the server's copy was kept" in (conflict.note or "")
    assert conflict.item is not None and conflict.item["name"] == "renamed on the desktop"
    assert stored(saved.id).name == "renamed on the desktop"
    [same] = push(owner, copy(saved.id, minutes_ago=60, name="renamed on the desktop"))
    assert same.status == "unchanged" and same.note is None


def test_deletions_sync_both_ways_last_writer_wins(db):
    owner = make_user()
    saved = save(owner)
    stale_delete = sync.SavedSearchSync(id=saved.id, updated_at=utcnow() - timedelta(hours=1), deleted=True)
    [kept] = push(owner, stale_delete)
    assert kept.status == "conflict" and stored(saved.id) is not None  # changed here after that deletion

    [deleted] = push(owner, sync.SavedSearchSync(id=saved.id, updated_at=utcnow(), deleted=True))
    assert deleted.status == "applied" and deleted.item == {"id": str(saved.id), "updated_at": deleted.item["updated_at"], "deleted": True}
    assert stored(saved.id) is None
    [stays_deleted] = push(owner, copy(saved.id, minutes_ago=30, name="edited before the deletion"))
    assert stays_deleted.status == "conflict" and "stays deleted" in (stays_deleted.note or "") and stored(saved.id) is None
    [back] = push(owner, copy(saved.id, name="edited after the deletion"))
    assert back.status == "applied" and stored(saved.id).name == "edited after the deletion"
    assert [item["deleted"] for item in pull(owner).items] == [False]  # the tombstone is gone with it


def test_the_tier_refuses_single_items_with_a_note_and_applies_the_rest(db):
    owner = make_user(role=Role.FREE)
    for index in range(2):
        save(owner, tier="free", name=f"search {index}")
    third, fourth = copy(name="third"), copy(name="fourth")
    scheduled = copy(name="scheduled", schedule="daily")
    results = push(owner, scheduled, third, fourth, tier="free")
    assert [result.status for result in results] == ["refused", "applied", "refused"]
    assert "Pro feature" in (results[0].note or "")
    assert "allows 3 saved searches" in (results[2].note or "") and results[2].item is None
    assert stored(fourth.id) is None and stored(scheduled.id) is None
    [changed] = push(owner, copy(third.id, name="third", schedule="weekly"), tier="free")
    assert changed.status == "refused" and "Not changed" in (changed.note or "") and stored(third.id).schedule is ScheduleKind.NONE


def test_an_invalid_copy_or_someone_elses_id_is_refused_alone(db):
    owner, other = make_user(), make_user("bob@example.com")
    theirs = save(other, name="bob's")
    bad = copy(timezone="Mars/Olympus", name="bad zone")
    good = copy(name="good")
    results = push(owner, bad, copy(theirs.id, name="hijack"), good)
    assert [result.status for result in results] == ["refused", "refused", "applied"]
    assert "timezone" in (results[0].note or "") and stored(bad.id) is None
    assert stored(theirs.id).name == "bob's" and stored(theirs.id).owner_id == other


def test_a_batch_with_a_repeated_id_or_a_future_time_is_refused_whole(db):
    owner = make_user()
    twice = copy()
    with pytest.raises(SearchParamsError) as repeated:
        push(owner, twice, twice)
    assert "items.1.id" in repeated.value.problems
    with pytest.raises(SearchParamsError) as future:
        push(owner, copy(name="fine"), sync.SavedSearchSync(id=uuid.uuid4(), updated_at=utcnow() + timedelta(hours=1), name="x"))
    assert "items.1.updated_at" in future.value.problems
    assert pull(owner).items == []  # nothing written


def test_a_slot_claimed_by_the_scheduler_is_no_edit_of_the_persons(db):
    owner = make_user()
    saved = save(owner, schedule="hourly", minute=0)
    edited_at = stored(saved.id).updated_at
    with write_session() as session:
        claimed = runs.claim_due(session=session, now=stored(saved.id).next_run_at + timedelta(seconds=1), tier_of=lambda _s, _u: Tier.PRO)
    assert len(claimed) == 1
    assert stored(saved.id).updated_at == edited_at  # so a copy edited meanwhile still wins

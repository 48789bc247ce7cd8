"""Syncing a desktop copy: changes since a moment, and pushes applied last-writer-wins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobspy_web.db import read_session, write_session
from jobspy_web.tracker import TrackerError, items, sync
from jobspy_web.tracker.inputs import TrackedJobSync, TrackedJobUpdate
from tests.tracker.factories import make_user, posting

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def desktop_item(**fields: Any) -> TrackedJobSync:
    values = {
        "id": str(uuid.uuid4()),
        "url": "https://www.indeed.com/viewjob?jk=desk1",
        "title": "Backend Engineer",
        "company": "Globex",
        "site": "indeed",
        "stage": "applied",
        "notes": "sent CV",
        "updated_at": T0.isoformat(),
    }
    return TrackedJobSync.model_validate({**values, **fields})


def push(owner: uuid.UUID, *incoming: TrackedJobSync, now: datetime = T0 + timedelta(hours=1)) -> list[sync.SyncResult]:
    with write_session() as session:
        return sync.apply_changes(session=session, owner_id=owner, incoming=list(incoming), now=now)


def pull(owner: uuid.UUID, since: datetime | None, now: datetime) -> sync.ChangeSet:
    with read_session() as session:
        return sync.changes_since(session=session, owner_id=owner, since=since, now=now)


def test_a_pushed_item_is_stored_under_its_id_and_pulled_back_by_another_device(db):
    owner = make_user()
    item = desktop_item()
    [result] = push(owner, item, now=T0 + timedelta(minutes=5))
    assert result.status == "applied" and result.item is not None
    assert result.item["id"] == str(item.id) and result.item["stage"] == "applied"
    assert result.item["stage_dates"]["applied"] == T0.isoformat()  # dated by the client's change

    changes = pull(owner, since=None, now=T0 + timedelta(minutes=6))
    assert [shown["id"] for shown in changes.items] == [str(item.id)]
    assert changes.next_since == T0 + timedelta(minutes=6) - sync.PULL_OVERLAP
    # The web app sees it like any other tracked job.
    with read_session() as session:
        found = items.lookup(session=session, owner_id=owner, url="https://indeed.com/viewjob?jk=desk1&from=x")
    assert found is not None and found.notes == "sent CV"


def test_the_later_change_wins_and_the_loser_gets_a_conflict_note(db):
    owner = make_user()
    item = desktop_item()
    push(owner, item)
    with write_session() as session:  # the web app moves it on, later than the desktop's edit
        items.update_item(
            session=session, owner_id=owner, item_id=item.id, changes=TrackedJobUpdate(stage="interviewing"), now=T0 + timedelta(hours=2)
        )

    stale = desktop_item(id=str(item.id), stage="withdrawn", updated_at=(T0 + timedelta(hours=1)).isoformat())
    [lost] = push(owner, stale, now=T0 + timedelta(hours=3))
    assert lost.status == "conflict" and lost.item is not None
    assert lost.item["stage"] == "interviewing"  # the server's copy stays and comes back
    assert lost.note is not None and "server's copy was kept" in lost.note

    newer = desktop_item(id=str(item.id), stage="offer", notes="offer!", updated_at=(T0 + timedelta(hours=4)).isoformat())
    [won] = push(owner, newer, now=T0 + timedelta(hours=5))
    assert won.status == "applied" and won.item is not None
    assert (won.item["stage"], won.item["notes"]) == ("offer", "offer!")

    [echo] = push(owner, newer, now=T0 + timedelta(hours=6))
    assert echo.status == "unchanged"


def test_only_items_written_after_since_come_back_deletions_as_tombstones(db):
    owner = make_user()
    with write_session() as session:
        first = items.save_job(session=session, owner_id=owner, posting=posting("https://example.com/a", site="other"), now=T0).item
        second = items.save_job(session=session, owner_id=owner, posting=posting("https://example.com/b", site="other"), now=T0).item
    changes = pull(owner, since=None, now=T0 + timedelta(minutes=1))
    assert {shown["id"] for shown in changes.items} == {str(first.id), str(second.id)}

    with write_session() as session:
        items.delete_item(session=session, owner_id=owner, item_id=first.id, now=T0 + timedelta(minutes=10))
    later = pull(owner, since=T0 + timedelta(minutes=5), now=T0 + timedelta(minutes=11))
    assert [(shown["id"], shown["deleted"]) for shown in later.items] == [(str(first.id), True)]


def test_a_delete_pushed_later_wins_and_an_older_one_does_not(db):
    owner = make_user()
    item = desktop_item()
    push(owner, item)
    [deleted] = push(owner, desktop_item(id=str(item.id), deleted=True, updated_at=(T0 + timedelta(minutes=30)).isoformat()))
    assert deleted.status == "applied" and deleted.item is not None and deleted.item["deleted"] is True
    with read_session() as session:
        assert items.list_items(session=session, owner_id=owner) == []


def test_a_new_id_for_an_address_already_tracked_is_the_same_job_and_says_which_id_to_adopt(db):
    owner = make_user()
    with write_session() as session:
        web = items.save_job(
            session=session, owner_id=owner, posting=posting("https://www.indeed.com/viewjob?jk=desk1", site="indeed"), now=T0
        ).item
    copy = desktop_item(url="https://indeed.com/viewjob?jk=desk1&from=app", updated_at=(T0 + timedelta(minutes=1)).isoformat())
    [merged] = push(owner, copy)
    assert merged.status == "applied" and merged.item is not None
    assert merged.item["id"] == str(web.id) and merged.id == copy.id
    assert merged.note is not None and str(web.id) in merged.note
    with read_session() as session:
        assert len(items.list_items(session=session, owner_id=owner)) == 1


def test_someone_elses_id_is_refused_and_their_item_untouched(db):
    ada, bob = make_user(), make_user()
    item = desktop_item()
    push(ada, item)
    [refused] = push(bob, desktop_item(id=str(item.id), title="Taken over", updated_at=(T0 + timedelta(hours=1)).isoformat()))
    assert (refused.status, refused.item) == ("refused", None)
    with read_session() as session:
        assert items.get_item(session=session, owner_id=ada, item_id=item.id).title == "Backend Engineer"
        assert sync.changes_since(session=session, owner_id=bob, since=None).items == []


def test_a_batch_with_a_repeated_id_or_a_clock_far_ahead_is_refused_whole(db):
    owner = make_user()
    item = desktop_item()
    with pytest.raises(TrackerError) as repeated:
        push(owner, desktop_item(), item, item)
    assert repeated.value.fields == {"items.2.id": "This id appears twice in the batch; send each item once."}
    with pytest.raises(TrackerError) as ahead:
        push(owner, desktop_item(updated_at=(T0 + timedelta(days=1)).isoformat()), now=T0)
    assert list(ahead.value.fields or {}) == ["items.0.updated_at"]
    with read_session() as session:
        assert sync.changes_since(session=session, owner_id=owner, since=None).items == []


def test_stage_dates_sent_by_the_client_are_kept(db):
    owner = make_user()
    applied_on = T0 - timedelta(days=3)
    item = desktop_item(
        stage="interviewing", stage_dates={"saved": (T0 - timedelta(days=4)).isoformat(), "applied": applied_on.isoformat()}
    )
    [result] = push(owner, item)
    assert result.item is not None
    dates = result.item["stage_dates"]
    assert dates["applied"] == applied_on.isoformat()
    assert dates["interviewing"] == T0.isoformat()  # the current stage without a date: dated by updated_at
    assert dates["offer"] is None


def test_a_pulled_item_goes_back_as_is_and_changes_nothing(db):
    owner = make_user()
    with write_session() as session:
        saved = items.save_job(session=session, owner_id=owner, posting=posting(), now=T0).item
        items.update_item(session=session, owner_id=owner, item_id=saved.id, changes=TrackedJobUpdate(stage="applied", notes="n"), now=T0)
    [pulled] = pull(owner, since=None, now=T0 + timedelta(minutes=1)).items
    [echo] = push(owner, TrackedJobSync.model_validate(pulled))  # every field the pull has, the push takes
    assert echo.status == "unchanged" and echo.item == pulled

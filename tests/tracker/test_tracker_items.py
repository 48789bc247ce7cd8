"""Saving, finding, moving and deleting tracked jobs, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import select

from jobspy_web.db import read_session, write_session
from jobspy_web.models import TrackedJob, TrackerStage
from jobspy_web.tracker import TrackerError, items
from jobspy_web.tracker.inputs import TrackedJobCreate, TrackedJobUpdate
from tests.tracker.factories import make_user, posting, stored_result

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def save(owner_id: uuid.UUID, new: TrackedJobCreate, now: datetime = T0) -> items.SaveOutcome:
    with write_session() as session:
        return items.save_job(session=session, owner_id=owner_id, posting=new, now=now)


def update(owner_id: uuid.UUID, item_id: uuid.UUID, now: datetime = T0, **changes) -> TrackedJob:
    with write_session() as session:
        return items.update_item(session=session, owner_id=owner_id, item_id=item_id, changes=TrackedJobUpdate(**changes), now=now)


def test_saving_the_same_posting_twice_is_one_item_whatever_its_tracking_parameters(db):
    owner = make_user()
    first = save(owner, posting("https://www.linkedin.com/jobs/view/senior-python-developer-3912345678/?refId=abc&trackingId=x"))
    again = save(owner, posting("https://linkedin.com/jobs/search/?currentJobId=3912345678&keywords=python", title="Other title"))

    assert first.created and not again.created
    assert again.item.id == first.item.id
    assert again.item.title == "Senior Python Developer"  # the second save changes nothing
    with read_session() as session:
        assert len(items.list_items(session=session, owner_id=owner)) == 1
        found = items.lookup(session=session, owner_id=owner, url="http://www.linkedin.com/jobs/view/3912345678")
    assert found is not None and found.id == first.item.id and found.stage == TrackerStage.SAVED


def test_two_people_track_the_same_posting_separately_and_see_only_their_own(db):
    ada, bob = make_user(), make_user()
    mine = save(ada, posting()).item
    theirs = save(bob, posting()).item
    assert mine.id != theirs.id
    with write_session() as session:
        with pytest.raises(TrackerError) as refused:
            items.get_item(session=session, owner_id=bob, item_id=mine.id)
        assert refused.value.status == 404
        with pytest.raises(TrackerError):
            items.update_item(session=session, owner_id=bob, item_id=mine.id, changes=TrackedJobUpdate(notes="mine now"))
        assert [item.id for item in items.list_items(session=session, owner_id=bob)] == [theirs.id]


def test_saving_a_result_links_every_board_it_was_posted_on(db):
    owner = make_user()
    job_id = stored_result(
        owner, sources=[("indeed", "https://www.indeed.com/viewjob?jk=77aa"), ("linkedin", "https://www.linkedin.com/jobs/view/555")]
    )
    saved = save(owner, posting("https://www.indeed.com/viewjob?jk=77aa&from=serp", site="indeed", job_id=job_id, company=None))
    assert saved.created and str(saved.item.job_id) == job_id
    assert saved.item.company == "Initech"  # filled from the stored result

    with read_session() as session:
        # The extension on the LinkedIn posting finds the job saved from Indeed's result.
        found = items.lookup(session=session, owner_id=owner, url="https://www.linkedin.com/jobs/view/data-engineer-555?trk=x")
        shown = items.public_items(session=session, items=[saved.item])[0]
        badges = items.stages_for_jobs(session=session, owner_id=owner, rows=[(job_id, "https://www.indeed.com/viewjob?jk=77aa")])
    assert found is not None and found.id == saved.item.id
    assert {posting["site"] for posting in shown["postings"]} == {"indeed", "linkedin"}
    assert shown["postings"][0]["url"] == "https://www.indeed.com/viewjob?jk=77aa&from=serp"  # where it was saved from, first
    assert badges == {job_id: TrackerStage.SAVED}


def test_a_result_of_someone_elses_search_cannot_be_linked(db):
    ada, bob = make_user(), make_user()
    job_id = stored_result(ada, sources=[("indeed", "https://www.indeed.com/viewjob?jk=1")])
    with pytest.raises(TrackerError) as refused:
        save(bob, posting(job_id=job_id))
    assert refused.value.status == 422 and "job_id" in (refused.value.fields or {})


def test_each_stage_gets_its_date_and_moving_back_clears_the_later_ones(db):
    owner = make_user()
    item = save(owner, posting()).item
    assert item.saved_at == T0 and item.applied_at is None

    applied = update(owner, item.id, T0 + timedelta(days=1), stage="applied")
    interviewing = update(owner, item.id, T0 + timedelta(days=5), stage="interviewing")
    assert (applied.applied_at, interviewing.interviewing_at) == (T0 + timedelta(days=1), T0 + timedelta(days=5))

    rejected = update(owner, item.id, T0 + timedelta(days=9), stage="rejected")
    assert rejected.stage == TrackerStage.REJECTED
    assert (rejected.applied_at, rejected.interviewing_at, rejected.rejected_at) == (
        T0 + timedelta(days=1),
        T0 + timedelta(days=5),
        T0 + timedelta(days=9),
    )  # the path that led to it stays

    back = update(owner, item.id, T0 + timedelta(days=10), stage="applied")
    assert back.applied_at == T0 + timedelta(days=10)
    assert back.interviewing_at is None and back.rejected_at is None
    with read_session() as session:
        dates = items.public(items.get_item(session=session, owner_id=owner, item_id=item.id))["stage_dates"]
    assert dates["saved"] == T0.isoformat() and dates["offer"] is None


def test_notes_and_follow_up_change_only_when_sent_and_null_clears_the_date(db):
    owner = make_user()
    item = save(owner, posting()).item
    update(owner, item.id, notes="Recruiter: Jo", follow_up_on=date(2026, 12, 8))
    kept = update(owner, item.id, T0 + timedelta(hours=1), stage="applied")
    assert (kept.notes, kept.follow_up_on) == ("Recruiter: Jo", date(2026, 12, 8))
    assert kept.updated_at == T0 + timedelta(hours=1)
    cleared = update(owner, item.id, follow_up_on=None)
    assert cleared.follow_up_on is None and cleared.notes == "Recruiter: Jo"


def test_a_deleted_item_is_gone_from_lists_and_lookups_and_saving_it_again_starts_afresh(db):
    owner = make_user()
    item = save(owner, posting()).item
    update(owner, item.id, stage="offer", notes="old")
    with write_session() as session:
        items.delete_item(session=session, owner_id=owner, item_id=item.id, now=T0 + timedelta(days=1))
    with read_session() as session:
        assert items.list_items(session=session, owner_id=owner) == []
        assert items.lookup(session=session, owner_id=owner, url=posting().url) is None
        tombstone = session.exec(select(TrackedJob).where(TrackedJob.id == item.id)).one()
        assert tombstone.deleted_at == T0 + timedelta(days=1)

    again = save(owner, posting(), now=T0 + timedelta(days=2))
    assert again.created and again.item.id == item.id
    assert (again.item.stage, again.item.notes, again.item.offer_at) == (TrackerStage.SAVED, "", None)


def test_list_filters_by_stage_newest_change_first(db):
    owner = make_user()
    first = save(owner, posting("https://example.com/jobs/1", site="other")).item
    second = save(owner, posting("https://example.com/jobs/2", site="other")).item
    update(owner, first.id, T0 + timedelta(hours=2), stage="applied")
    update(owner, second.id, T0 + timedelta(hours=3), stage="applied")
    save(owner, posting("https://example.com/jobs/3", site="other"))
    with read_session() as session:
        applied = items.list_items(session=session, owner_id=owner, stages=[TrackerStage.APPLIED])
        everything = items.list_items(session=session, owner_id=owner)
    assert [item.id for item in applied] == [second.id, first.id]
    assert len(everything) == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://"}, "url"),
        ({"title": "   "}, "title"),
        ({"site": "monster"}, "site"),
        ({"stage": "hired"}, "stage"),
        ({"job_id": "not-a-uuid"}, "job_id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_postings_are_refused_naming_the_field(fields, field):
    with pytest.raises(ValidationError) as refused:
        posting(**fields)
    assert field in {str(error["loc"][0]) for error in refused.value.errors()}


def test_sites_are_spelled_the_way_the_boards_are_keyed():
    assert posting(site="ZipRecruiter").site == "zip_recruiter"
    assert posting(site=" LinkedIn ").site == "linkedin"


def test_two_saves_of_one_address_at_the_same_moment_make_one_item(pg_db):
    owner = make_user()
    barrier = threading.Barrier(4)

    def save_at_once(url: str) -> items.SaveOutcome:
        with write_session() as session:
            barrier.wait()
            return items.save_job(session=session, owner_id=owner, posting=posting(url))

    addresses = [f"https://www.linkedin.com/jobs/view/3912345678/?refId={n}" for n in range(4)]
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(save_at_once, addresses))
    assert len({outcome.item.id for outcome in outcomes}) == 1
    assert sum(outcome.created for outcome in outcomes) == 1
    with read_session() as session:
        assert len(items.list_items(session=session, owner_id=owner)) == 1

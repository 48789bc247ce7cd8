"""A person's tracked jobs: save one (from the results or a posting the extension read), find
one by any of its postings' addresses, list, move through the stages, note, delete.

Every function takes the owner's id and answers only for that owner's rows: someone else's
tracked job is "not found", like a missing one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from jobspy_web.models import Job, TrackedJob, TrackedJobLink, TrackerStage
from jobspy_web.models.base import utcnow
from jobspy_web.search import jobs
from jobspy_web.tracker.errors import TrackerError, TrackerErrorCode, invalid
from jobspy_web.tracker.inputs import TrackedJobCreate, TrackedJobUpdate
from jobspy_web.tracker.urls import url_key

__all__ = [
    "OUTCOMES",
    "PIPELINE",
    "STAGES",
    "Posting",
    "SaveOutcome",
    "delete_item",
    "erase_owner",
    "export_owner",
    "get_item",
    "item_for_keys",
    "link_postings",
    "list_items",
    "lookup",
    "move_to_stage",
    "postings_of",
    "public",
    "public_items",
    "save_job",
    "savepoint",
    "stage_date",
    "stages_for_jobs",
    "update_item",
]

STAGES = tuple(TrackerStage)
PIPELINE = (TrackerStage.SAVED, TrackerStage.APPLIED, TrackerStage.INTERVIEWING, TrackerStage.OFFER)
OUTCOMES = (TrackerStage.REJECTED, TrackerStage.WITHDRAWN)


@dataclass(frozen=True)
class Posting:
    """One address of a tracked job, on one board."""

    site: str
    url: str


@dataclass(frozen=True)
class SaveOutcome:
    item: TrackedJob
    created: bool  # False: that address was tracked already, and `item` is that job


# --- stages ---------------------------------------------------------------------------


def stage_date(item: TrackedJob, stage: TrackerStage) -> datetime | None:
    value: datetime | None = getattr(item, f"{stage.value}_at")
    return value


def _set_stage_date(item: TrackedJob, stage: TrackerStage, value: datetime | None) -> None:
    setattr(item, f"{stage.value}_at", value)


def move_to_stage(item: TrackedJob, stage: TrackerStage, *, at: datetime) -> None:
    """Move `item` to `stage`, dated `at`. Moving back along saved → applied → interviewing →
    offer clears the later stages' dates (they haven't happened, as things now stand); an
    outcome (rejected, withdrawn) keeps the path that led to it."""
    if item.stage == stage and stage_date(item, stage) is not None:
        return
    _set_stage_date(item, stage, at)
    if stage in PIPELINE:
        for later in (*PIPELINE[PIPELINE.index(stage) + 1 :], *OUTCOMES):
            _set_stage_date(item, later, None)
    else:
        for other in OUTCOMES:
            if other != stage:
                _set_stage_date(item, other, None)
    item.stage = stage


# --- saving ---------------------------------------------------------------------------


def _postings_to_link(posting: TrackedJobCreate, job: Job | None) -> list[Posting]:
    """The address it was saved from first, then the stored job's other boards' addresses."""
    found = [Posting(site=posting.site, url=posting.url)]
    if job is not None:
        for source in job.sources:
            for address in (source.get("job_url"), source.get("job_url_direct")):
                if isinstance(address, str) and address.startswith(("http://", "https://")):
                    found.append(Posting(site=str(source.get("site") or job.site), url=address))
        found.append(Posting(site=job.site, url=job.job_url))
    unique: dict[str, Posting] = {}
    for item in found:
        unique.setdefault(url_key(item.url), item)
    return list(unique.values())


def item_for_keys(session: Session, owner_id: uuid.UUID, keys: Sequence[str]) -> TrackedJob | None:
    """The owner's tracked job linked to any of `keys`, live ones first."""
    if not keys:
        return None
    found = session.exec(
        select(TrackedJob)
        .join(TrackedJobLink, col(TrackedJobLink.item_id) == TrackedJob.id)
        .where(TrackedJobLink.owner_id == owner_id, col(TrackedJobLink.url_key).in_(keys))
        .order_by(col(TrackedJob.deleted_at).is_not(None), col(TrackedJob.updated_at).desc())
    ).first()
    return found


def link_postings(session: Session, owner_id: uuid.UUID, item_id: uuid.UUID, postings: Iterable[Posting]) -> None:
    """Link the addresses not yet linked to any of the owner's tracked jobs to `item_id`
    (an address already linked elsewhere stays with that job)."""
    by_key = {url_key(posting.url): posting for posting in postings}
    if not by_key:
        return
    taken = set(
        session.exec(
            select(TrackedJobLink.url_key).where(TrackedJobLink.owner_id == owner_id, col(TrackedJobLink.url_key).in_(list(by_key)))
        )
    )
    for key, posting in by_key.items():
        if key not in taken:
            session.add(TrackedJobLink(owner_id=owner_id, url_key=key, item_id=item_id, site=posting.site, url=posting.url))
    session.flush()


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A savepoint on PostgreSQL, where two requests can race to link one address; SQLite
    runs one writer at a time (and pysqlite's savepoints are unreliable), so none there."""
    guard = session.begin_nested() if session.get_bind().dialect.name == "postgresql" else nullcontext()
    with guard:
        yield


def _fill(item: TrackedJob, posting: TrackedJobCreate, job: Job | None, now: datetime) -> None:
    item.url, item.site, item.title = posting.url, posting.site, posting.title
    item.company, item.location = posting.company, posting.location
    item.salary_text, item.description = posting.salary_text, posting.description
    if job is not None:  # the stored result knows what the form may have left out
        item.company = item.company or job.company
        item.location = item.location or job.location
        item.description = item.description or job.description
    item.job_id = job.id if job is not None else None
    item.notes, item.follow_up_on, item.reminded_at, item.deleted_at = "", None, None, None
    for stage in STAGES:
        _set_stage_date(item, stage, None)
    item.stage = TrackerStage.SAVED
    _set_stage_date(item, TrackerStage.SAVED, now)
    if posting.stage != TrackerStage.SAVED:
        move_to_stage(item, posting.stage, at=now)
    item.updated_at = item.changed_at = now


def save_job(*, session: Session, owner_id: uuid.UUID, posting: TrackedJobCreate, now: datetime | None = None) -> SaveOutcome:
    """Track `posting` for `owner_id`. An address already tracked (normalised: tracking
    parameters and `www.` don't count) answers with that job, unchanged (`created` False);
    one tracked before and deleted is tracked afresh under its old id."""
    now = now or utcnow()
    job = None
    if posting.job_id is not None:
        # Only a result of the owner's own searches (jobs are shared rows).
        job = jobs.get_job(session=session, job_id=posting.job_id, owner_id=owner_id)
        if job is None:
            raise invalid("job_id", "No stored search result has this id; leave job_id out for a posting from elsewhere.")
    postings = _postings_to_link(posting, job)
    keys = [url_key(item.url) for item in postings]
    existing = item_for_keys(session, owner_id, keys)
    if existing is not None and existing.deleted_at is None:
        link_postings(session, owner_id, existing.id, postings)
        return SaveOutcome(existing, created=False)
    item = existing or TrackedJob(id=uuid.uuid4(), owner_id=owner_id, url=posting.url, site=posting.site, title=posting.title)
    _fill(item, posting, job, now)
    try:
        with savepoint(session):
            session.add(item)
            session.flush()
            if existing is None:
                # Its own address is inserted, never skipped as taken: a concurrent save of
                # it fails here on the key instead of making a second job.
                first = postings[0]
                session.add(TrackedJobLink(owner_id=owner_id, url_key=keys[0], item_id=item.id, site=first.site, url=first.url))
                session.flush()
            link_postings(session, owner_id, item.id, postings)
    except IntegrityError:
        # Another request tracked one of these addresses meanwhile: that one is the job.
        winner = item_for_keys(session, owner_id, keys)
        if winner is None:
            raise
        return SaveOutcome(winner, created=False)
    return SaveOutcome(item, created=True)


# --- reading --------------------------------------------------------------------------


def lookup(*, session: Session, owner_id: uuid.UUID, url: str) -> TrackedJob | None:
    """The owner's live tracked job with this address (any of its postings'), or None."""
    found = item_for_keys(session, owner_id, [url_key(url)])
    return found if found is not None and found.deleted_at is None else None


def get_item(*, session: Session, owner_id: uuid.UUID, item_id: uuid.UUID, include_deleted: bool = False) -> TrackedJob:
    """The owner's tracked job; TrackerError NOT_FOUND for a missing, deleted or someone else's."""
    item = session.get(TrackedJob, item_id)
    if item is None or item.owner_id != owner_id or (item.deleted_at is not None and not include_deleted):
        raise TrackerError(TrackerErrorCode.NOT_FOUND)
    return item


def list_items(*, session: Session, owner_id: uuid.UUID, stages: Iterable[TrackerStage] = ()) -> list[TrackedJob]:
    """The owner's live tracked jobs (in `stages`, if given), most recently changed first."""
    statement = select(TrackedJob).where(TrackedJob.owner_id == owner_id, col(TrackedJob.deleted_at).is_(None))
    if wanted := list(stages):
        statement = statement.where(col(TrackedJob.stage).in_(wanted))
    return list(session.exec(statement.order_by(col(TrackedJob.updated_at).desc(), col(TrackedJob.id))))


def postings_of(*, session: Session, item_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Posting]]:
    """Each tracked job's postings, the address it was saved from first."""
    ids = list(item_ids)
    found: dict[uuid.UUID, list[Posting]] = {item_id: [] for item_id in ids}
    if ids:
        in_order = (col(TrackedJobLink.created_at), col(TrackedJobLink.url))
        links = session.exec(select(TrackedJobLink).where(col(TrackedJobLink.item_id).in_(ids)).order_by(*in_order))
        for link in links:
            found[link.item_id].append(Posting(site=link.site, url=link.url))
    return found


def stages_for_jobs(*, session: Session, owner_id: uuid.UUID, rows: Iterable[tuple[str, str]]) -> dict[str, TrackerStage]:
    """For results rows given as (job id, job URL): the stage of each one the owner tracks,
    saved from these results or (by its address) from the board's page."""
    by_key: dict[str, str] = {}
    job_ids: list[uuid.UUID] = []
    for job_id, job_url in rows:
        job_ids.append(uuid.UUID(job_id))
        if job_url:
            by_key[url_key(job_url)] = job_id
    if not job_ids:
        return {}
    live = (col(TrackedJob.owner_id) == owner_id, col(TrackedJob.deleted_at).is_(None))
    found: dict[str, TrackerStage] = {}
    linked = session.exec(
        select(TrackedJobLink.url_key, TrackedJob.stage)
        .join(TrackedJob, col(TrackedJob.id) == TrackedJobLink.item_id)
        .where(TrackedJobLink.owner_id == owner_id, col(TrackedJobLink.url_key).in_(list(by_key)), *live)
    )
    for key, stage in linked:
        found[by_key[key]] = TrackerStage(stage)
    saved_from = session.exec(select(TrackedJob.job_id, TrackedJob.stage).where(col(TrackedJob.job_id).in_(job_ids), *live))
    for saved_job_id, saved_stage in saved_from:
        found[str(saved_job_id)] = TrackerStage(saved_stage)
    return found


# --- changing -------------------------------------------------------------------------


def update_item(
    *, session: Session, owner_id: uuid.UUID, item_id: uuid.UUID, changes: TrackedJobUpdate, now: datetime | None = None
) -> TrackedJob:
    """Apply the fields `changes` carries (a null follow_up_on clears it); NOT_FOUND otherwise."""
    now = now or utcnow()
    item = get_item(session=session, owner_id=owner_id, item_id=item_id)
    given = changes.model_fields_set
    if "stage" in given:
        if changes.stage is None:
            raise invalid("stage", f"Use one of: {', '.join(stage.value for stage in STAGES)}.")
        move_to_stage(item, changes.stage, at=now)
    if "notes" in given:
        item.notes = changes.notes or ""
    if "follow_up_on" in given and changes.follow_up_on != item.follow_up_on:
        item.follow_up_on = changes.follow_up_on
        item.reminded_at = None  # a new date gets its own reminder
    item.updated_at = item.changed_at = now
    session.add(item)
    session.flush()
    return item


def delete_item(*, session: Session, owner_id: uuid.UUID, item_id: uuid.UUID, now: datetime | None = None) -> TrackedJob:
    """Mark the owner's tracked job deleted (kept as a tombstone for syncing devices)."""
    now = now or utcnow()
    item = get_item(session=session, owner_id=owner_id, item_id=item_id)
    item.deleted_at = item.updated_at = item.changed_at = now
    session.add(item)
    session.flush()
    return item


# --- the shape clients read -----------------------------------------------------------


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def public(item: TrackedJob, postings: Sequence[Posting] = ()) -> dict[str, Any]:
    """A tracked job as the API answers it and syncing clients send it back."""
    return {
        "id": str(item.id),
        "url": item.url,
        "site": item.site,
        "title": item.title,
        "company": item.company,
        "location": item.location,
        "salary_text": item.salary_text,
        "description": item.description,
        "stage": item.stage.value,
        "stage_dates": {stage.value: _iso(stage_date(item, stage)) for stage in STAGES},
        "notes": item.notes,
        "follow_up_on": _iso(item.follow_up_on),
        "job_id": str(item.job_id) if item.job_id else None,
        "postings": [{"site": posting.site, "url": posting.url} for posting in postings],
        "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at),
        "deleted": item.deleted_at is not None,
    }


def public_items(*, session: Session, items: Sequence[TrackedJob]) -> list[dict[str, Any]]:
    """`public` for several, their postings read in one query."""
    postings = postings_of(session=session, item_ids=[item.id for item in items])
    return [public(item, postings.get(item.id, [])) for item in items]


# --- a person's data (accounts.erasure) -----------------------------------------------


def export_owner(*, session: Session, owner_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every tracked job of the owner's, deleted ones included, in the public shape."""
    found = list(session.exec(select(TrackedJob).where(TrackedJob.owner_id == owner_id).order_by(col(TrackedJob.created_at))))
    return public_items(session=session, items=found)


def erase_owner(*, session: Session, owner_id: uuid.UUID) -> None:
    """Delete the owner's tracked jobs and their postings for good (not soft: the account goes)."""
    session.execute(delete(TrackedJobLink).where(col(TrackedJobLink.owner_id) == owner_id))
    session.execute(delete(TrackedJob).where(col(TrackedJob.owner_id) == owner_id))

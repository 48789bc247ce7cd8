"""The tracker as the search results show it: each row's stage, and "Save to tracker".

Plain functions the search page's state calls, so that state keeps one line per use.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from jobspy_web.db import read_session, write_session
from jobspy_web.search import jobs
from jobspy_web.tracker import items
from jobspy_web.tracker.inputs import MAX_DESCRIPTION_CHARS, TRACKER_SITES, TrackedJobCreate
from jobspy_web.ui.state.tracker import STAGE_LABELS


def stages_of(user_id: str, rows: Sequence[jobs.JobRow]) -> dict[str, str]:
    """Job id -> the stage's name, for the rows the person tracks."""
    if not user_id or not rows:
        return {}
    with read_session() as session:
        found = items.stages_for_jobs(session=session, owner_id=uuid.UUID(user_id), rows=[(row.id, row.job_url) for row in rows])
    return {job_id: STAGE_LABELS[stage.value] for job_id, stage in found.items()}


def with_stages(views: list[dict[str, str]], stages: dict[str, str]) -> list[dict[str, str]]:
    return [{**view, "stage": stages.get(view["id"], "")} for view in views]


def save_result(owner_id: uuid.UUID, job_id: str) -> tuple[str, bool] | None:
    """Track one of the person's results: (its stage's name, whether it is new); None if it isn't theirs."""
    with write_session() as session:
        job = jobs.get_job(session=session, job_id=uuid.UUID(job_id), owner_id=owner_id)
        if job is None:
            return None
        posting = TrackedJobCreate(
            url=job.job_url,
            # Cut to the tracker's limits: a board's text can run longer than a person's would.
            title=(job.title or jobs.UNTITLED)[:500],
            company=(job.company or "")[:500],
            location=(job.location or "")[:500],
            salary_text=jobs.salary_text(job)[:500],
            description=(job.description or "")[:MAX_DESCRIPTION_CHARS],
            site=job.site if job.site in TRACKER_SITES else "other",
            job_id=job.id,
        )
        outcome = items.save_job(session=session, owner_id=owner_id, posting=posting)
        return STAGE_LABELS[outcome.item.stage.value], outcome.created

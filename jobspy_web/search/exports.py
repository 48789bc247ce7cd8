"""A search's jobs downloaded as CSV, XLSX or JSON, counted against the person's tier.

Each export counts one against the tier's `exports_per_day` (core.tiers), in the rate
limiter's storage: Redis when configured (shared by every worker), memory otherwise.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from jobspy_web.core import tiers
from jobspy_web.core.errors import DomainError
from jobspy_web.db import read_session
from jobspy_web.infra import rate_limits
from jobspy_web.search import jobs

__all__ = ["EXPORT_LIMIT", "charge_export", "export_jobs"]

EXPORT_LIMIT = "EXPORT_LIMIT"


async def export_jobs(*, user_id: uuid.UUID, tier: tiers.Tier | str, job_ids: Sequence[str], export_format: str) -> bytes:
    """The jobs as a file of `export_format`; a DomainError EXPORT_LIMIT (429) once the
    person has used their tier's exports for the day."""
    await charge_export(user_id=user_id, tier=tier)
    # Off the event loop: the read and the spreadsheet's encoding can take a while.
    return await asyncio.to_thread(_export, list(job_ids), export_format)


async def charge_export(*, user_id: uuid.UUID, tier: tiers.Tier | str) -> None:
    """Count one export against the person's day (any kind: search results, the tracker);
    a DomainError EXPORT_LIMIT (429) once the tier's exports for the day are used."""
    verdict = await rate_limits.hit(tiers.export_limit(tier), "exports", str(user_id))
    if not verdict.allowed:
        raise DomainError(EXPORT_LIMIT, tiers.export_refusal(tier, retry_after_s=verdict.retry_after_s), status=429)


def _export(job_ids: list[str], export_format: str) -> bytes:
    with read_session() as session:
        return jobs.export_jobs(session=session, job_ids=job_ids, export_format=export_format)

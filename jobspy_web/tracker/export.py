"""The tracker as a CSV, XLSX or JSON file: one row per tracked job with its stage dates,
notes and postings. Counts as one of the person's exports for the day (search.exports).

Text that a spreadsheet would run as a formula (=, +, -, @ first) is written with a leading
apostrophe in CSV and XLSX: titles come from web pages and notes from people, and neither
should execute when the file is opened.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from jobspy_web.core import tiers
from jobspy_web.db import read_session
from jobspy_web.models import TrackerStage
from jobspy_web.search import exports, jobs
from jobspy_web.tracker import items

__all__ = ["EXPORT_COLUMNS", "export_tracker", "tracker_file"]

EXPORT_COLUMNS = [
    "title", "company", "location", "site", "stage",
    *(f"{stage.value}_at" for stage in TrackerStage),
    "follow_up_on", "salary_text", "notes", "url", "postings", "created_at", "updated_at", "id",
]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def export_tracker(*, user_id: uuid.UUID, tier: tiers.Tier | str, export_format: str, stages: Iterable[TrackerStage] = ()) -> bytes:
    """The person's live tracked jobs (in `stages`, if given) as a file; DomainError
    EXPORT_LIMIT (429) once the day's exports are used."""
    await exports.charge_export(user_id=user_id, tier=tier)
    wanted = list(stages)

    def build() -> bytes:
        with read_session() as session:
            return tracker_file(session=session, owner_id=user_id, export_format=export_format, stages=wanted)

    return await asyncio.to_thread(build)  # off the event loop: the spreadsheet takes a while


def tracker_file(*, session: Session, owner_id: uuid.UUID, export_format: str, stages: Iterable[TrackerStage] = ()) -> bytes:
    found = items.list_items(session=session, owner_id=owner_id, stages=stages)
    records = [_record(shown) for shown in items.public_items(session=session, items=found)]
    if export_format in ("csv", "xlsx"):
        records = [{name: _inert(value) for name, value in record.items()} for record in records]
    return jobs.encode_records(records, EXPORT_COLUMNS, export_format)


def _record(shown: dict[str, Any]) -> dict[str, Any]:
    record = {name: shown.get(name) for name in EXPORT_COLUMNS}
    for stage, moment in shown["stage_dates"].items():
        record[f"{stage}_at"] = moment
    record["postings"] = " ".join(posting["url"] for posting in shown["postings"])
    return record


def _inert(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value

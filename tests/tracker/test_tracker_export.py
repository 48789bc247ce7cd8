"""The tracker as a file: every tracked job with its stage dates and postings; formulas inert."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest

from jobspy_web.core.errors import DomainError
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.models import TrackerStage
from jobspy_web.settings import reset_process_state
from jobspy_web.tracker import export, items
from jobspy_web.tracker.inputs import TrackedJobUpdate
from tests.tracker.factories import make_user, posting

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def two_tracked(owner):
    with write_session() as session:
        first = items.save_job(session=session, owner_id=owner, posting=posting("https://example.com/1", site="other"), now=T0).item
        items.save_job(
            session=session, owner_id=owner, posting=posting("https://example.com/2", site="other", title='=HYPERLINK("x")'), now=T0
        )
        changes = TrackedJobUpdate(stage="applied", notes="@boss said hi")
        items.update_item(session=session, owner_id=owner, item_id=first.id, changes=changes, now=T0)
    return first


def test_csv_has_every_tracked_job_with_stage_dates_and_formulas_made_inert(db):
    owner = make_user()
    first = two_tracked(owner)
    with write_session() as session:
        data = export.tracker_file(session=session, owner_id=owner, export_format="csv")
    records = list(csv.DictReader(io.StringIO(data.decode())))
    assert sorted(record["title"] for record in records) == ['\'=HYPERLINK("x")', "Senior Python Developer"]
    by_id = {record["id"]: record for record in records}
    applied = by_id[str(first.id)]
    assert (applied["stage"], applied["applied_at"], applied["notes"]) == ("applied", T0.isoformat(), "'@boss said hi")
    assert applied["postings"] == "https://example.com/1"
    assert list(records[0]) == export.EXPORT_COLUMNS


def test_xlsx_filtered_by_stage_holds_text_not_formulas(db):
    owner = make_user()
    two_tracked(owner)
    with write_session() as session:
        data = export.tracker_file(session=session, owner_id=owner, export_format="xlsx", stages=[TrackerStage.SAVED])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "title" and len(rows) == 2
    assert rows[1][0] == '\'=HYPERLINK("x")'
    assert sheet.cell(row=2, column=1).data_type == "s"  # a string, never a formula


async def test_a_tracker_export_counts_against_the_days_exports(db):
    reset_process_state()
    owner = make_user()
    two_tracked(owner)
    for _ in range(5):  # free: 5 a day
        assert await export.export_tracker(user_id=owner, tier=Tier.FREE, export_format="csv")
    with pytest.raises(DomainError) as refused:
        await export.export_tracker(user_id=owner, tier=Tier.FREE, export_format="csv")
    assert refused.value.status == 429

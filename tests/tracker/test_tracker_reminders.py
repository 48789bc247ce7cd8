"""Follow-up reminders: due once per date, for the alerts worker to send."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from jobspy_web.db import read_session, write_session
from jobspy_web.tracker import due_reminders, items, mark_reminded
from jobspy_web.tracker.inputs import TrackedJobUpdate
from tests.tracker.factories import make_user, posting

NOW = datetime(2026, 12, 8, 7, 30, tzinfo=UTC)


def tracked(owner, url: str, follow_up_on: date | None):
    with write_session() as session:
        item = items.save_job(session=session, owner_id=owner, posting=posting(url, site="other"), now=NOW - timedelta(days=7)).item
        changes = TrackedJobUpdate(follow_up_on=follow_up_on)
        return items.update_item(session=session, owner_id=owner, item_id=item.id, changes=changes, now=NOW - timedelta(days=7))


def due(now: datetime = NOW):
    with read_session() as session:
        return due_reminders(session, now)


def test_due_follow_ups_come_once_and_a_new_date_brings_a_new_reminder(db):
    owner = make_user()
    today = tracked(owner, "https://example.com/today", NOW.date())
    overdue = tracked(owner, "https://example.com/overdue", NOW.date() - timedelta(days=2))
    tomorrow = tracked(owner, "https://example.com/tomorrow", NOW.date() + timedelta(days=1))
    tracked(owner, "https://example.com/none", None)

    found = due()
    assert [reminder.item_id for reminder in found] == [overdue.id, today.id]  # earliest date first
    assert found[1].owner_id == owner and found[1].url == "https://example.com/today"
    assert found[1].text == "Follow up: Senior Python Developer at Acme (saved)"

    with write_session() as session:
        assert mark_reminded(session, [reminder.item_id for reminder in found], NOW) == 2
    assert due() == []
    with read_session() as session:  # not a change of the person's: syncing devices see nothing new
        assert items.get_item(session=session, owner_id=owner, item_id=today.id).updated_at == NOW - timedelta(days=7)

    with write_session() as session:
        changes = TrackedJobUpdate(follow_up_on=NOW.date() + timedelta(days=3))
        items.update_item(session=session, owner_id=owner, item_id=today.id, changes=changes, now=NOW)
    assert due() == []
    assert [reminder.item_id for reminder in due(NOW + timedelta(days=3))] == [tomorrow.id, today.id]


def test_deleted_items_send_no_reminder(db):
    owner = make_user()
    item = tracked(owner, "https://example.com/gone", NOW.date())
    with write_session() as session:
        items.delete_item(session=session, owner_id=owner, item_id=item.id, now=NOW)
    assert due() == []

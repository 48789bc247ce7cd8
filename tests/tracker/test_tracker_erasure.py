"""Export-my-data holds the tracker; deleting the account erases it, and nobody else's."""

from __future__ import annotations

from sqlmodel import select

from jobspy_web.accounts import erasure
from jobspy_web.db import read_session, write_session
from jobspy_web.models import TrackedJob, TrackedJobLink, User
from jobspy_web.tracker import items
from jobspy_web.tracker.inputs import TrackedJobUpdate
from tests.tracker.factories import make_user, posting


def test_the_export_has_every_tracked_job_and_deleting_the_account_erases_them(db):
    ada, bob = make_user("ada@example.com"), make_user("bob@example.com")
    with write_session() as session:
        kept = items.save_job(session=session, owner_id=ada, posting=posting()).item
        items.update_item(session=session, owner_id=ada, item_id=kept.id, changes=TrackedJobUpdate(notes="call Jo"))
        gone = items.save_job(session=session, owner_id=ada, posting=posting("https://example.com/2", site="other")).item
        items.delete_item(session=session, owner_id=ada, item_id=gone.id)
        theirs = items.save_job(session=session, owner_id=bob, posting=posting()).item

    with read_session() as session:
        data = erasure.export_user_data(session=session, user=session.get(User, ada))
    exported = {item["id"]: item for item in data["tracked_jobs"]}
    assert set(exported) == {str(kept.id), str(gone.id)}  # deleted ones too: we still hold them
    assert exported[str(kept.id)]["notes"] == "call Jo" and exported[str(kept.id)]["postings"]

    with write_session() as session:
        erasure.delete_account(session=session, user=session.get(User, ada))
    with read_session() as session:
        assert [row.id for row in session.exec(select(TrackedJob))] == [theirs.id]
        assert {row.owner_id for row in session.exec(select(TrackedJobLink))} == {bob}

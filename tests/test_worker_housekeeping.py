"""Housekeeping on the queue: what nothing ran before now runs every few minutes."""

import smtplib
from datetime import timedelta

from sqlmodel import select

from jobspy_web import worker
from jobspy_web.db import read_session, write_session
from jobspy_web.models import LoginSession, OutboxMessage, RevokedJwt, Search, SearchStatus
from jobspy_web.models.base import utcnow
from jobspy_web.search import runner
from jobspy_web.search.params import parse_search_params
from jobspy_web.settings import reset_process_state
from tests.saved_searches.factories import make_user


def test_housekeeping_purges_settles_prunes_and_keeps_what_is_live(db, monkeypatch):
    owner = make_user()
    now = utcnow()
    with write_session() as session:
        session.add(RevokedJwt(jti="old", expires_at=now - timedelta(hours=1)))
        session.add(RevokedJwt(jti="live", expires_at=now + timedelta(minutes=10)))
        session.add(LoginSession(user_id=owner, secret_hash="a" * 64, expires_at=now - timedelta(days=1)))
        session.add(LoginSession(user_id=owner, secret_hash="b" * 64, expires_at=now + timedelta(days=1)))
        params = parse_search_params({"search_term": "python"})
        stale = runner.create_search(session=session, params=params, owner_id=owner)
        stale.status, stale.heartbeat_at = SearchStatus.RUNNING, now - timedelta(minutes=10)
        old_anonymous = runner.create_search(session=session, params=params)
        old_anonymous.status, old_anonymous.created_at = SearchStatus.COMPLETED, now - timedelta(days=40)
        recent_anonymous = runner.create_search(session=session, params=params)
        recent_anonymous.status = SearchStatus.COMPLETED
        session.add(OutboxMessage(to_address="ada@example.com", subject="Confirm", body="link"))
        ids = stale.id, old_anonymous.id, recent_anonymous.id

    delivered = []

    class FakeSmtp:  # the mail server is the network: a stand-in that records what it was given
        def __init__(self, *_args, **_kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *_exc):
            return False

        def has_extn(self, _name):
            return False

        def send_message(self, message):
            delivered.append(message["To"])

    monkeypatch.setenv("SMTP_URL", "smtp://mail.invalid:25")
    reset_process_state()
    monkeypatch.setattr(smtplib, "SMTP", FakeSmtp)

    done = worker.housekeeping_once()

    assert done["interrupted_searches"] == 1 and done["anonymous_searches_pruned"] == 1
    assert done["expired_credentials"] == 2 and done["mail_resent"] == 1
    assert delivered == ["ada@example.com"]
    with read_session() as session:
        assert [jwt.jti for jwt in session.exec(select(RevokedJwt))] == ["live"]
        assert [s.secret_hash[0] for s in session.exec(select(LoginSession))] == ["b"]
        assert session.get(Search, ids[0]).status is SearchStatus.INTERRUPTED
        assert session.get(Search, ids[1]) is None and session.get(Search, ids[2]) is not None
        assert session.exec(select(OutboxMessage)).one().sent_at is not None
    assert worker.housekeeping_once()["mail_resent"] == 0  # sent mail is not sent twice


def test_a_tracker_follow_up_that_has_come_goes_out_once_through_the_alert_channels(db):
    import asyncio

    from jobspy_web.alerts import inbox
    from jobspy_web.models import AlertDelivery, DeliveryStatus, TrackedJob

    owner = make_user("tracker@example.com")
    with write_session() as session:
        session.add(
            TrackedJob(
                owner_id=owner,
                url="https://indeed.example/jobs/1",
                site="indeed",
                title="Staff Engineer",
                company="Initech",
                follow_up_on=utcnow().date() - timedelta(days=1),
            )
        )

    asyncio.run(worker.housekeeping_job())

    with read_session() as session:
        [alert] = inbox.list_alerts(session=session, user_id=owner)
        [sent] = session.exec(select(AlertDelivery).where(AlertDelivery.alert_id == alert.id)).all()
        [mail] = session.exec(select(OutboxMessage).where(OutboxMessage.to_address == "tracker@example.com")).all()
    assert alert.title == "Follow up: Staff Engineer at Initech (saved)"
    assert sent.channel == "email" and sent.status is DeliveryStatus.SENT and mail.subject == alert.title
    assert worker.housekeeping_once()["reminders"] == 0  # once per follow-up date

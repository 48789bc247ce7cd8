"""Alert channels: the email digest with its unsubscribe link, Apprise through a local catcher,
Web Push through a local push service; a failing channel retried with backoff, never blocking."""

import asyncio
import json
from datetime import timedelta

import pytest
from sqlmodel import select

from jobspy_web.alerts import delivery, digest, inbox, webpush
from jobspy_web.db import read_session, write_session
from jobspy_web.models import AlertDelivery, DeliveryStatus, OutboxMessage, SavedSearch
from jobspy_web.models.base import utcnow
from jobspy_web.saved_searches import runs
from tests.alerts.catchers import Catcher, PushService
from tests.saved_searches.factories import make_user, posting, save, storing


def alert_for(saved, owner, rows):
    with write_session() as session:
        run = runs.request_run(session=session, owner_id=owner, saved_search_id=saved.id)
    return asyncio.run(runs.execute_run(run.id, tier="pro", execute_search=storing(lambda _search: rows)))


def deliveries(alert_id) -> dict[str, AlertDelivery]:
    with read_session() as session:
        return {d.channel: d for d in session.exec(select(AlertDelivery).where(AlertDelivery.alert_id == alert_id))}


def test_a_failing_channel_is_retried_with_backoff_and_never_blocks_the_others(db):
    with Catcher() as working, Catcher() as failing:
        failing.status = 500
        owner = make_user()
        saved = save(owner, apprise_urls=[f"json://{failing.url}/hook", f"json://{working.url}/hook"])
        alert_id = alert_for(saved, owner, [posting(1), posting(2)])
        asyncio.run(delivery.deliver_alert(alert_id))

        sent = deliveries(alert_id)
        assert sent["apprise:1"].status is DeliveryStatus.SENT and sent["email"].status is DeliveryStatus.SENT
        assert sent["apprise:0"].status is DeliveryStatus.FAILING and sent["apprise:0"].attempts == 1
        assert "did not accept" in sent["apprise:0"].last_error
        body = json.loads(working.requests[0]["body"])
        assert body["title"].startswith("2 new jobs") and f"/alerts/{alert_id}" in body["message"]
        with read_session() as session:
            health = delivery.channel_health(session=session, saved_search_id=saved.id)
        assert health["apprise:0"]["status"] == "failing" and health["apprise:1"]["status"] == "sent"

        # Not due yet: nothing is tried. After its backoff, the recovered service gets it.
        assert asyncio.run(delivery.deliver_due(now=utcnow())) == 0
        failing.status = 200
        assert asyncio.run(delivery.deliver_due(now=utcnow() + timedelta(minutes=2))) == 1
        assert deliveries(alert_id)["apprise:0"].status is DeliveryStatus.SENT
        assert len(working.requests) == 1  # a sent channel is never sent again


def test_a_channel_that_keeps_failing_gives_up_after_the_last_backoff(db):
    with Catcher() as failing:
        failing.status = 503
        owner = make_user()
        saved = save(owner, email_digest=False, apprise_urls=[f"json://{failing.url}/hook"])
        alert_id = alert_for(saved, owner, [posting(1)])
        asyncio.run(delivery.deliver_alert(alert_id))
        for _ in delivery.BACKOFF:
            asyncio.run(delivery.deliver_due(now=utcnow() + timedelta(days=1)))
        found = deliveries(alert_id)["apprise:0"]
        assert found.status is DeliveryStatus.GAVE_UP and found.attempts == len(delivery.BACKOFF) + 1


def test_the_digest_is_one_mail_with_the_new_jobs_and_an_unsubscribe_link_that_needs_no_sign_in(db):
    owner = make_user("digest@example.com")
    saved = save(owner)
    alert_id = alert_for(saved, owner, [posting(1), posting(2, title="Staff Engineer")])
    asyncio.run(delivery.deliver_alert(alert_id))
    with read_session() as session:
        [mail] = session.exec(select(OutboxMessage).where(OutboxMessage.to_address == "digest@example.com")).all()
    assert mail.subject == "2 new jobs: Python in Austin"
    assert "Staff Engineer" in mail.body and "https://indeed.example/jobs/2" in mail.body
    link = next(line for line in mail.body.splitlines() if "/api/alerts/unsubscribe/" in line)
    token = link.rsplit("/", 1)[1]
    with write_session() as session:
        assert digest.unsubscribe(session=session, token=token).id == saved.id
    with read_session() as session:
        assert session.get(SavedSearch, saved.id).email_digest is False
    # Nothing new: no mail at all.
    assert alert_for(saved, owner, [posting(1)]) is None
    with write_session() as session, pytest.raises(digest.UnsubscribeError):
        digest.unsubscribe(session=session, token=token[:-3] + "abc")


def test_web_push_reaches_the_browser_signed_and_encrypted_and_a_gone_browser_is_dropped(db):
    with PushService(webpush.application_server_key()) as service:
        owner = make_user()
        with write_session() as session:
            webpush.subscribe(session=session, user_id=owner, subscription=service.subscription())
            webpush.subscribe(session=session, user_id=owner, subscription=service.subscription("/push/gone"))
        saved = save(owner, email_digest=False, push=True)
        alert_id = alert_for(saved, owner, [posting(1)])
        asyncio.run(delivery.deliver_alert(alert_id))

        assert deliveries(alert_id)["push"].status is DeliveryStatus.SENT
        [shown] = service.delivered
        assert shown["title"] == "1 new job: Python in Austin" and shown["url"] == f"/alerts/{alert_id}"
        with read_session() as session:
            [kept] = webpush.subscriptions(session=session, user_id=owner)
        assert kept.endpoint.endswith("/push/browser-1")


def test_a_push_signed_with_another_key_is_refused_by_the_push_service(db):
    with PushService("not-our-key") as service:
        owner = make_user()
        with write_session() as session:
            webpush.subscribe(session=session, user_id=owner, subscription=service.subscription())
        saved = save(owner, email_digest=False, push=True)
        alert_id = alert_for(saved, owner, [posting(1)])
        asyncio.run(delivery.deliver_alert(alert_id))
        found = deliveries(alert_id)["push"]
        assert found.status is DeliveryStatus.FAILING and service.delivered == []


def test_the_bell_counts_unread_alerts_and_opening_one_marks_it_read(db):
    owner = make_user()
    saved = save(owner, email_digest=False)
    alert_id = alert_for(saved, owner, [posting(1), posting(2)])
    with write_session() as session:
        assert inbox.unread_count(session=session, user_id=owner) == 1
        alert, jobs = inbox.open_alert(session=session, user_id=owner, alert_id=alert_id)
        assert alert.read_at is not None and sorted(job.title for job in jobs) == ["Engineer 1", "Engineer 2"]
    with read_session() as session:
        assert inbox.unread_count(session=session, user_id=owner) == 0
    with write_session() as session, pytest.raises(inbox.AlertError):
        inbox.open_alert(session=session, user_id=make_user("eve@example.com"), alert_id=alert_id)

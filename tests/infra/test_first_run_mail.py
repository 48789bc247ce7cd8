"""Without SMTP, the first run's mail links reach the operator's terminal, once; later, only the outbox."""

from __future__ import annotations

from jobspy_web.accounts import users
from jobspy_web.db import write_session
from jobspy_web.infra import mail
from jobspy_web.models import Role

PASSWORD = "correct horse battery"


def test_before_any_admin_the_confirmation_link_is_printed_once_and_marked(db, capsys):
    with write_session() as session:
        users.sign_up(session=session, email="first@example.com", password=PASSWORD)
    printed = capsys.readouterr().err.splitlines()
    marked = [line for line in printed if line.startswith(mail.CONSOLE_MARK)]
    assert len(marked) == 2 and "first@example.com" in marked[0]
    assert marked[1].startswith(mail.CONSOLE_MARK + "  open: http") and "/auth/verify?token=" in marked[1]


def test_once_an_admin_exists_links_stay_in_the_outbox(db, capsys):
    with write_session() as session:
        admin = users.sign_up(session=session, email="admin@example.com", password=PASSWORD, verified=True)
        users.set_role(session=session, user=admin, role=Role.ADMIN)
    with write_session() as session:
        users.sign_up(session=session, email="later@example.com", password=PASSWORD)
    assert mail.CONSOLE_MARK not in capsys.readouterr().err
    with write_session() as session:
        assert [message.to_address for message in mail.outbox(session=session)] == ["later@example.com"]


def test_a_verified_sign_up_sends_no_confirmation(db):
    with write_session() as session:
        user = users.sign_up(session=session, email="op@example.com", password=PASSWORD, verified=True)
        assert user.email_verified_at is not None
        assert mail.outbox(session=session) == []

"""No cookie, token, Authorization header or link token in any log record."""

from __future__ import annotations

import io
import logging

import pytest

from jobspy_web.db import write_session
from jobspy_web.infra import log_redaction, mail
from jobspy_web.infra.log_redaction import REDACTED, RedactingFilter, redact

SECRETS = {
    "cookie": "jobspy_session=Zx9sEcReTcOoKiEvAlUe_1234567890abcdef",
    "jwt": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVlLWhlcmU",
    "api_token": "jsw_" + "A" * 43,
    "license_key": "JSW-K7QF2-9XM4C-HT3WA-PZ8RN-D6EYB-4KQ2M",
    "link": "https://jobs.example.com/reset?token=link-token-value.abc.def",
    "ws": "/_event/?EIO=4&transport=websocket&token=0f8c2a7e-client-token-value",
    "smtp": "smtp://mailer:hunter2-password@mail.example.com:587",
}


@pytest.fixture
def captured() -> io.StringIO:
    log_redaction.install()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # added after install: the record factory still cleans
    logger = logging.getLogger("reflex.some_internal_module")  # Reflex's own loggers included
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)


def test_redacting_filter_drops_cookies_tokens_authorization_and_link_tokens(captured: io.StringIO):
    logger = logging.getLogger("reflex.some_internal_module")
    router_data = {"headers": {"cookie": SECRETS["cookie"], "authorization": f"Bearer {SECRETS['jwt']}", "user-agent": "Firefox"}}
    logger.error("event failed, router data: %s", router_data)
    logger.warning("GET %s 101", SECRETS["ws"])
    logger.info("reset link %s for key %s token %s via %s", SECRETS["link"], SECRETS["license_key"], SECRETS["api_token"], SECRETS["smtp"])
    logger.info("raw header line Cookie: %s", SECRETS["cookie"])
    try:
        raise ValueError(f"bad header Authorization: Bearer {SECRETS['jwt']}")
    except ValueError:
        logger.exception("handler crashed")
    logger.info("with extras", extra={"authorization": "Basic dXNlcjpwYXNzd29yZA==", "path": SECRETS["link"]})
    text = captured.getvalue()
    for name, secret in SECRETS.items():
        value = secret.split("=", 1)[-1] if name in {"cookie", "link", "ws"} else secret
        assert value not in text, name
    assert "hunter2-password" not in text
    assert "Firefox" in text and "handler crashed" in text and "ValueError" in text  # the rest stays readable
    assert text.count(REDACTED) >= 8


def test_redact_is_a_plain_function_for_structlog():
    event = {"event": "request", "headers": {"Cookie": SECRETS["cookie"], "Accept": "text/html"}, "url": SECRETS["link"], "count": 3}
    cleaned = redact(event)
    assert cleaned["headers"] == {"Cookie": REDACTED, "Accept": "text/html"}
    assert "link-token-value" not in cleaned["url"] and cleaned["url"].startswith("https://jobs.example.com/reset?token=")
    assert cleaned["count"] == 3 and event["headers"]["Cookie"] == SECRETS["cookie"]  # the input is left alone
    assert log_redaction.redact_processor(None, "info", {"token": "abc"}) == {"token": REDACTED}
    assert redact([SECRETS["api_token"], 5]) == [REDACTED, 5]


def test_the_filter_never_drops_a_record():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plain %s", ("text",), None)
    assert RedactingFilter().filter(record) and record.getMessage() == "plain text"


def test_mail_bodies_are_not_logged_and_links_not_at_warning(db, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    with write_session() as session:
        mail.send_mail(session=session, to="someone@example.com", subject="Reset your password", body=f"Open {SECRETS['link']}")
    assert "link-token-value" not in caplog.text and "Open " not in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING and record.name == mail.__name__]
    assert "Reset your password" in caplog.text  # the operator still sees that a mail waits

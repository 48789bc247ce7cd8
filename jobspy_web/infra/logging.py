"""Structured logs: every line through structlog, JSON in production, a readable console
in development.

Python's own loggers (ours, Reflex's, granian's, SQLAlchemy's, uvicorn's) are routed
through the same processors by a `structlog.stdlib.ProcessorFormatter` on the root
logger, so a line from a library carries the same fields as one of ours. The request id
and the user id live in contextvars (`bind_request`, `bind_user`): the API's middleware
binds them once per request, and every line logged while it runs, by anyone, carries them.

Secrets never reach the output: the last processor before rendering hands the whole event
to `infra.log_redaction.redact` (the one rule for what is a secret), and `configure` puts
its RedactingFilter on the handler it installs.
"""

from __future__ import annotations

import logging
import logging.config
import os
import random
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from jobspy_web.infra import log_redaction

__all__ = ["REQUEST_ID_HEADER", "bind_request", "bind_user", "configure", "new_request_id", "redacting_processor", "request_id_from"]

REQUEST_ID_HEADER = "x-request-id"
# A client's X-Request-ID is echoed into every log line: keep it short and printable.
_REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Loggers that install their own handlers (granian configures its loggers from a dict in
# the server process); theirs are removed so their lines reach ours.
_LIBRARY_LOGGERS = (
    "_granian",
    "granian",
    "granian.access",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "reflex",
    "sqlalchemy",
    "alembic",
)
_configured_as: tuple[bool, str] | None = None


# The request's fields (its id, then the user) as one dict, replaced, never changed: binding
# and forgetting them is one ContextVar set/reset per request (structlog's contextvars
# helpers cost ~10 µs a request, a copy of the whole context to unbind one key).
_request_fields: ContextVar[dict[str, Any] | None] = ContextVar("jobspy_request_fields", default=None)


def new_request_id() -> str:
    # 128 random bits as 32 hex digits, like a uuid4's. Not os.urandom: its system call lets
    # go of the GIL on every request, and a waiting thread (the usage writer) then holds the
    # event loop up until it lets go in turn. An id names a request; it guards nothing.
    # (random reseeds in each forked worker.)
    return f"{random.getrandbits(128):032x}"


def request_id_from(header: str | None) -> str:
    """The client's X-Request-ID when it is a sane one, else a fresh id."""
    if header and _REQUEST_ID_SHAPE.match(header):
        return header
    return new_request_id()


@contextmanager
def bind_request(request_id: str, **fields: Any) -> Iterator[None]:
    """Every line logged inside carries `request_id` (and `fields`); the user bound
    meanwhile (`bind_user`) is forgotten at the end, whoever serves the next request."""
    token = _request_fields.set({"request_id": request_id, **fields})
    try:
        yield
    finally:
        _request_fields.reset(token)


def bind_user(user_id: object | None) -> None:
    """Add the signed-in user's id to the lines of the current request."""
    fields = {key: value for key, value in (_request_fields.get() or {}).items() if key != "user_id"}
    if user_id is not None:
        fields["user_id"] = str(user_id)
    _request_fields.set(fields)


def _merge_request_fields(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    fields = _request_fields.get()
    return {**fields, **event_dict} if fields else event_dict


def redacting_processor() -> Processor:
    """A structlog processor that passes every field through the shared redaction."""

    def redact_event(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        return dict(log_redaction.redact(dict(event_dict)))

    return redact_event


def _shared_processors() -> list[Processor]:
    return [
        _merge_request_fields,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redacting_processor(),
    ]


class _Formatter(structlog.stdlib.ProcessorFormatter):
    """Lines structlog already rendered pass as they are; any other record (a library's)
    goes through the same processors first."""

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, _RENDERED, False):
            return record.getMessage()
        return super().format(record)


_RENDERED = "_jobspy_rendered"


def _handed_to_stdlib(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> Any:
    # Rendered here rather than by the handler's formatter: the redaction filter on the
    # handler rewrites a record's message as text, which a dict message would not survive.
    return (event_dict["rendered"],), {"extra": {_RENDERED: True}}


def configure(*, json_output: bool | None = None, level: str | None = None, stream: Any = None) -> None:
    """Route structlog and the standard library through one pipeline (idempotent).

    JSON lines unless ENVIRONMENT is development (or LOG_FORMAT=json|console says
    otherwise); LOG_LEVEL picks the level (INFO by default)."""
    global _configured_as
    if json_output is None:
        wanted = os.environ.get("LOG_FORMAT", "").lower()
        json_output = wanted == "json" or (wanted != "console" and os.environ.get("ENVIRONMENT", "development") == "production")
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    if stream is None and _configured_as == (json_output, level):
        return
    renderer: Processor = structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer(colors=False)
    shared = _shared_processors()

    def render(logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
        return {"rendered": renderer(logger, method, event_dict)}

    structlog.configure(
        processors=[shared[0], structlog.stdlib.filter_by_level, *shared[1:], render, _handed_to_stdlib],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = _Formatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        for old in list(library.handlers):
            library.removeHandler(old)
        library.propagate = True
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)  # one line per statement otherwise
    log_redaction.install()  # its filter on the handler just made (and the record factory)
    _configured_as = (json_output, level)

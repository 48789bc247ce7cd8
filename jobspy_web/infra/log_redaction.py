"""Secrets never reach a log: cookies, tokens, Authorization headers and link tokens are cut
from every record, the app's and its libraries' (Reflex, Granian, httpx) alike.

Two faces over one rule:
  redact(value) -> value      any str / bytes / mapping / sequence, secrets replaced by
                              "[redacted]"; usable as is inside a structlog processor.
  RedactingFilter             a logging.Filter rewriting a record's message, arguments and
                              traceback in place (it never drops a record).
`install()` puts the filter in the record factory, so a record made by any logger
(propagating or not, whatever its handlers) is cleaned when it is created, and on the root
logger's handlers, for the `extra=` fields a logger adds after the factory ran.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "RedactingFilter", "install", "redact", "redact_processor"]

REDACTED = "[redacted]"

# Keys whose value is a secret wherever they appear (headers, router data, JSON, kwargs).
_SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "token",
        "client_token",
        "access_token",
        "refresh_token",
        "id_token",
        "api_token",
        "secret",
        "client_secret",
        "password",
        "current_password",
        "new_password",
        "license_key",
        "jobspy_session",
        "stripe_signature",
        "csrf_token",
    }
)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Header lines and header-like pairs: "Cookie: a=b; c=d", "authorization': 'Bearer x"
    (re.compile(r"(?i)\b((?:set-)?cookie|(?:proxy-)?authorization)(['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n]+"), rf"\1\2{REDACTED}"),
    # Bearer / Basic credentials anywhere.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # A query parameter or form field carrying a secret: ?token=..., &code=..., state=...
    (
        re.compile(r"(?i)([?&;\s\"'](?:token|client_token|access_token|id_token|code|state|key|license_key|password|secret)=)[^&\s\"'#;]+"),
        rf"\1{REDACTED}",
    ),
    # Our session cookie by name, e.g. inside a repr of router data.
    (re.compile(r"(jobspy_session['\"]?\s*[=:]\s*['\"]?)[A-Za-z0-9_-]+"), rf"\1{REDACTED}"),
    # JWTs (three base64url parts, the first a JSON header).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # Personal API tokens and license keys, whole or formatted.
    (re.compile(r"\bjsw_[A-Za-z0-9_-]{20,}"), REDACTED),
    (re.compile(r"\bJSW(?:-[0-9A-Z]{5}){6}\b"), REDACTED),
    # Stripe secrets, in case a library's error repeats one.
    (re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}|\bwhsec_[A-Za-z0-9]{8,}"), REDACTED),
    # URLs with a password: scheme://user:password@host
    (re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s/]+@"), rf"\1{REDACTED}@"),
]


def _secret_key(key: object) -> bool:
    return isinstance(key, str) and key.strip().lower().replace("-", "_") in _SECRET_KEYS


def _redact_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any) -> Any:
    """`value` with every secret replaced by "[redacted]"; other values unchanged.

    Strings are scanned for secret shapes; mappings lose the values of secret keys
    (Cookie, Authorization, token, password, ...); lists, tuples and sets are walked.
    Anything else (numbers, None, objects) is returned as it is: a formatter's str() of
    it goes through the record-level pass of RedactingFilter.
    """
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, bytes | bytearray):
        return _redact_text(bytes(value).decode("utf-8", "replace")).encode()
    if isinstance(value, Mapping):
        return {key: (REDACTED if _secret_key(key) and item not in ("", None) else redact(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, tuple):
        return tuple(redact(item) for item in value)
    if isinstance(value, set | frozenset):
        return {redact(item) for item in value}
    return value


def redact_processor(_logger: object, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """The same rule in structlog's processor signature."""
    return redact(event_dict)


class RedactingFilter(logging.Filter):
    """Rewrites a record so its formatted text holds no secret; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Format once here, with the arguments, so a secret inside an argument's str()
        # (a dict of headers, an exception) is caught as text too.
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what we can show safely
            message = str(record.msg)
        record.msg, record.args = _redact_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = _redact_text(record.stack_info)
        for name, item in list(vars(record).items()):
            if name not in _STANDARD_ATTRIBUTES:  # `extra=` fields
                setattr(record, name, REDACTED if _secret_key(name) else redact(item))
        return True


_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_FILTER = RedactingFilter()
_installed = False


def install() -> None:
    """Clean every record of this process from now on. Safe to call more than once."""
    global _installed
    root = logging.getLogger()
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    if _installed:
        return
    _installed = True
    previous_factory = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    logging.setLogRecordFactory(factory)

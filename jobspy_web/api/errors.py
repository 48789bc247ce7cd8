"""JSON errors with a stable code and a sentence, and body parsing that never 500s.

A domain's refusal (core.errors.DomainError) is mapped here once: its `status`, and
`{"error": {"code": code_text, "message", "fields"?}}`; a 401 also carries the Bearer
challenge (RFC 6750) the API's clients authenticate with.

Every body the app reads comes through here, bounded three ways before a route sees it:
its size while it streams in (413), its JSON by orjson (no number past a double, no
nesting past MAX_JSON_DEPTH: 400), and its text (no NUL or lone surrogate, which
PostgreSQL and UTF-8 refuse: 422 naming the field).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.types import Message

from jobspy_web.core.errors import DomainError
from jobspy_web.infra import pg_reads, redis_health

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32  # our own bodies nest 2 deep; orjson alone would allow 1024
REALM = "jobspy-web"  # of the API's Bearer challenges
Model = TypeVar("Model", bound=BaseModel)

# Text PostgreSQL can't store (NUL) or UTF-8 can't encode (a surrogate without its pair).
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
# Each escape in a JSON text, matched left to right (so `\\u` is never read as `\u`);
# the group catches a surrogate escape that is not half of a pair.
_JSON_ESCAPE = re.compile(
    rb"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    rb"|(u[dD][89a-fA-F][0-9a-fA-F]{2})|.)",
    re.DOTALL,
)


class ApiError(Exception):
    """Raise from a route to answer with `{"error": {"code", "message", "fields"?}}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = fields, headers

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return JSONResponse({"error": body}, status_code=self.status, headers=self.headers)


def raise_if_limited(verdict: Any, *, what: str = "attempts") -> None:
    """429 with Retry-After when a rate_limits.Verdict refused the request."""
    if not verdict.allowed:
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"Too many {what}; try again in {verdict.retry_after_s} seconds.",
            headers={"Retry-After": str(verdict.retry_after_s)},
        )


# --- the body's bytes -----------------------------------------------------------------


def body_too_large(limit: int) -> ApiError:
    return ApiError(413, "BODY_TOO_LARGE", f"The request body is over {limit} bytes.")


async def read_body(request: Request, *, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request's body, refused with 413 as soon as it passes `limit`: up front when
    Content-Length says it will, else at the chunk that crosses it. The rest is never
    read, so a 200 MB upload costs us `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 15 or int(declared) > limit):
        raise body_too_large(limit)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise body_too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody will read this answer; it only keeps a half-sent body out of the 500s.
        raise ApiError(400, "INCOMPLETE_BODY", "The client went away before sending the whole body.") from None
    return b"".join(chunks)


# --- JSON -----------------------------------------------------------------------------


def decode_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`raw` parsed by orjson: 400 if it isn't JSON, has a number no double holds, or
    nests deeper than `max_depth`. orjson refuses lone surrogates outright; those are
    rewritten to NUL first, so refuse_unstorable_text can name their field."""
    try:
        document = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as error:
        if "surrogate" not in str(error):
            raise _malformed(error) from None
        try:
            document = orjson.loads(_JSON_ESCAPE.sub(_nul_for_lone_surrogate, raw))
        except orjson.JSONDecodeError as again:
            raise _malformed(again) from None
    # Nesting can't be deeper than the count of brackets: most bodies need no walk.
    if raw.count(b"[") + raw.count(b"{") > max_depth and _nests_deeper_than(document, max_depth):
        raise ApiError(400, "MALFORMED_JSON", f"The request body nests deeper than {max_depth} levels.")
    return document


def _nul_for_lone_surrogate(escape: re.Match[bytes]) -> bytes:
    return b"\\u0000" if escape.group(1) else escape.group(0)


def _malformed(error: orjson.JSONDecodeError) -> ApiError:
    if "number" in str(error):  # e.g. "number is infinity when parsed as double"
        return ApiError(400, "MALFORMED_JSON", "The request body has a number too large to read.")
    return ApiError(400, "MALFORMED_JSON", "The request body is not valid JSON.")


def _nests_deeper_than(document: Any, max_depth: int) -> bool:
    """Whether arrays and objects in `document` nest more than `max_depth` levels.
    Without recursion: orjson allows 1024 levels, Python's stack not many more."""
    stack = [(document, 1)] if isinstance(document, dict | list) else []
    while stack:
        value, depth = stack.pop()
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, dict | list):
                if depth == max_depth:
                    return True
                stack.append((child, depth + 1))
    return False


# --- text -----------------------------------------------------------------------------

_Path = tuple[Any, ...] | None  # (parent path, key) pairs: one tuple per node, not a copy


def _walk(document: Any) -> Iterator[tuple[_Path, Any]]:
    """(path, value) for every value and object key in `document`, without recursion.
    A key shares its value's path."""
    stack: list[tuple[_Path, Any]] = [(None, document)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            for key, child in value.items():
                stack += [((path, key), key), ((path, key), child)]
        elif isinstance(value, list):
            stack += [((path, index), child) for index, child in enumerate(value)]


def _field_name(path: _Path) -> str:
    parts = []
    while path is not None:
        path, key = path
        parts.append(str(key))
    name = ".".join(reversed(parts)) or "body"
    # Shown back to the client, so without the characters that made it unstorable.
    return UNSTORABLE_TEXT.sub(lambda found: f"\\u{ord(found.group()):04x}", name)[:200]


def refuse_unstorable_text(document: Any) -> None:
    """422 naming the first string (or key) in `document` with a NUL or a lone surrogate."""
    for path, value in _walk(document):
        if isinstance(value, str) and UNSTORABLE_TEXT.search(value):
            raise ApiError(
                422,
                "INVALID_REQUEST",
                "Some fields are missing or invalid.",
                fields={_field_name(path): "Text must not contain NUL characters or unpaired surrogates."},
            )


async def read_json_object(request: Request, *, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request's JSON object body: 413 if huge, 400 if not JSON, 422 if not an
    object or its text can't be stored."""
    raw = await read_body(request, limit=limit)
    payload = decode_json(raw)
    if not isinstance(payload, dict):
        raise ApiError(422, "INVALID_REQUEST", "The request body must be a JSON object.")
    # orjson refuses a raw NUL and raw surrogates (not UTF-8): either must have come as
    # a \u escape, so a body without one needs no walk.
    if b"\\u" in raw:
        refuse_unstorable_text(payload)
    return payload


async def parse_body(request: Request, model: type[Model], *, limit: int = MAX_BODY_BYTES) -> Model:
    """The request's JSON body as `model`; like read_json_object, plus 422 naming fields."""
    payload = await read_json_object(request, limit=limit)
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        fields = {".".join(str(part) for part in problem["loc"]) or "body": problem["msg"] for problem in error.errors(include_url=False)}
        raise ApiError(422, "INVALID_REQUEST", "Some fields are missing or invalid.", fields=fields) from None


# --- forms ----------------------------------------------------------------------------


async def read_form(request: Request, *, limit: int = MAX_BODY_BYTES) -> dict[str, str]:
    """The request's form's text fields (urlencoded or multipart; files are dropped):
    413 if the body passes `limit`, 422 naming a field with a NUL."""
    raw = await read_body(request, limit=limit)
    # Starlette parses forms from a stream; give it the bytes already read (and bounded).
    async with Request(request.scope, _replay(raw)).form() as form:
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
    refuse_unstorable_text(fields)
    return fields


def _replay(raw: bytes) -> Any:
    async def receive() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    return receive


# --- exception handlers ---------------------------------------------------------------


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error.response()


def bearer_challenge(message: str | None = None) -> str:
    """A `WWW-Authenticate` value; with `message`, for a token we refused (invalid_token)."""
    if message is None:
        return f'Bearer realm="{REALM}"'
    description = message.replace("\\", "").replace('"', "'")  # it sits inside a quoted string
    return f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'


async def _domain_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    headers = {"WWW-Authenticate": bearer_challenge(error.message)} if error.status == 401 else None
    return ApiError(error.status, error.code_text, error.message, fields=error.fields, headers=headers).response()


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(error.status_code, "HTTP_ERROR")
    # Keep Starlette's headers: a 405 says which methods are allowed.
    return ApiError(error.status_code, code, str(error.detail), headers=dict(error.headers or {})).response()


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    if _unavailable(error):
        # The documented 503: a database or Redis that is down or just dropped the
        # connection (pooled ones are checked and retried once first). Retry shortly.
        log.warning("answered 503: %s unavailable (%s)", _unavailable(error), type(error).__name__)
        return ApiError(
            503, "UNAVAILABLE", "A service this needs is briefly unavailable; try again shortly.", headers={"Retry-After": "2"}
        ).response()
    # The traceback goes to the server log (Starlette logs it); never to the client.
    return ApiError(500, "INTERNAL_ERROR", "Something went wrong on our side.").response()


def _unavailable(error: BaseException) -> str:
    """The service `error` says is unreachable ("database" or "redis"), or ""."""
    if isinstance(error, OperationalError | pg_reads.DatabaseUnavailable):
        return "database"
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return "database"
    if isinstance(error, redis_health.REDIS_ERRORS):
        return "redis"
    return ""


EXCEPTION_HANDLERS = {ApiError: _api_error, DomainError: _domain_error, HTTPException: _http_error, Exception: _unexpected}

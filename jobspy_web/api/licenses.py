"""The License Server over HTTP, for desktop apps and browser extensions. No sign-in: the
license key is the credential.

  POST /licenses/validate    {license_key, hardware_fp, app_version}         -> signed answer
  POST /licenses/activate    {license_key, hardware_fp, app_version, name?}  -> signed answer
  POST /licenses/deactivate  {license_key, hardware_fp}                      -> signed answer
  GET  /licenses/public-key  the Ed25519 key answers are signed with (licensing.signing)

A good key and a bad one both get HTTP 200:
  {"valid": true, "license_type", "features", "expires_at", "hardware_fp", "checked_at"}
  {"valid": false, "code", "reason", "hardware_fp", "checked_at"}
codes and their order: licensing.licenses. Deactivate answers {"deactivated": true} or
{"deactivated": false, "code": NOT_FOUND | MACHINE_NOT_FOUND, "reason"}. A malformed
request gets 422 naming its fields (a mistyped key fails its checksum there, never
reaching the database); too many requests per IP or per key, 429 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from anyio import CapacityLimiter, to_thread
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.pool import QueuePool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from jobspy_web.api.auth_web import client_ip
from jobspy_web.api.errors import MAX_BODY_BYTES, UNSTORABLE_TEXT, ApiError, raise_if_limited
from jobspy_web.db import primary_engine, write_session
from jobspy_web.infra import rate_limits
from jobspy_web.licensing import hot_path, keys, licenses
from jobspy_web.licensing.licenses import APP_VERSION_PATTERN, REASONS, LicenseCode, Validation
from jobspy_web.licensing.signing import SIGNATURE_HEADER, get_signer
from jobspy_web.models.base import utcnow
from jobspy_web.settings import get_settings


class DeactivateRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    license_key: str = Field(max_length=100)
    # Printable ASCII without spaces; our client sends 64 hex digits.
    hardware_fp: str = Field(min_length=16, max_length=128, pattern=r"^[\x21-\x7e]+$")

    @field_validator("license_key")
    @classmethod
    def _canonical_key(cls, value: str) -> str:
        canonical = keys.parse_key(value)
        if canonical is None:
            raise ValueError("This is not a license key; check it for typos.")
        return canonical


class ValidateRequest(DeactivateRequest):
    app_version: str = Field(max_length=64, pattern=APP_VERSION_PATTERN)


class ActivateRequest(ValidateRequest):
    name: str | None = Field(None, max_length=100)

    @field_validator("name")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        # The one free-text field stored as sent: PostgreSQL refuses a NUL with a 500.
        if value is not None and UNSTORABLE_TEXT.search(value):
            raise ValueError("Text must not contain NUL characters or unpaired surrogates.")
        return value


Body = TypeVar("Body", bound=DeactivateRequest)
Result = TypeVar("Result")
DATABASE_THREADS = 4


async def _parse_within_limits(raw: bytes, ip: str, model: type[Body], *, read_answer: bool = False) -> _Parsed[Body]:
    """The request body `raw` as `model`, counted against the limits of `ip` and of its
    key; with `read_answer`, the cached answer for its key and machine and its license's
    generation are read in the same round trip.

    A body that can't be parsed still counts against its IP, and a 429 wins over its 400 or 422.
    """
    settings = get_settings()
    per_ip = rate_limits.Check(settings.license_limit_per_ip, ("license-ip", ip))
    body = _parsed(raw, model)
    if isinstance(body, ApiError):
        _raise_if_refused((await rate_limits.hit_each([per_ip]))[0])
        raise body
    key_hash = keys.hash_key(body.license_key)
    checks = [per_ip, rate_limits.Check(settings.license_limit_per_key, ("license-key", key_hash))]
    if not read_answer:
        _raise_if_refused((await rate_limits.hit_each(checks))[0])
        return _Parsed(body, key_hash, None, None, 0)
    cache_keys = licenses.answer_cache_keys(key_hash=key_hash, fingerprint=body.hardware_fp)
    verdict, (cached, generation) = await rate_limits.hit_each(checks, then_get=(cache_keys.answer, cache_keys.generation))
    _raise_if_refused(verdict)
    return _Parsed(body, key_hash, cache_keys, cached, generation or 0)


@dataclass(slots=True)  # not frozen: building a frozen one costs several µs, per request
class _Parsed(Generic[Body]):
    body: Body
    key_hash: str
    keys: licenses.CacheKeys | None  # what was read, with read_answer
    cached: Any | None  # the cached answer
    generation: int  # the license's answers' generation


def _parsed(raw: bytes, model: type[Body]) -> Body | ApiError:
    # api.errors.parse_body's answers, with pydantic reading the bytes itself (one parse).
    if len(raw) > MAX_BODY_BYTES:
        return ApiError(413, "BODY_TOO_LARGE", f"The request body is over {MAX_BODY_BYTES} bytes.")
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as error:
        problems = error.errors(include_url=False)
        if any(problem["type"] == "json_invalid" for problem in problems):
            return ApiError(400, "MALFORMED_JSON", "The request body is not valid JSON.")
        if any(problem["type"] == "model_type" and not problem["loc"] for problem in problems):
            return ApiError(422, "INVALID_REQUEST", "The request body must be a JSON object.")
        fields = {".".join(str(part) for part in problem["loc"]) or "body": problem["msg"] for problem in problems}
        return ApiError(422, "INVALID_REQUEST", "Some fields are missing or invalid.", fields=fields)


def _raise_if_refused(verdict: rate_limits.Verdict) -> None:
    raise_if_limited(verdict, what="license requests")


def _sent(answer: licenses.SignedAnswer) -> Response:
    headers = {SIGNATURE_HEADER: answer.signature, "Cache-Control": "no-store"}
    return Response(answer.body, media_type="application/json", headers=headers)


def _signed(payload: dict[str, Any], hardware_fp: str) -> Response:
    return _sent(licenses.sign_answer(payload, fingerprint=hardware_fp, checked_at=utcnow()))


@lru_cache
def _database_threads() -> CapacityLimiter:
    # Few threads at the database, never more than the pool has connections: past the pool,
    # each extra thread opens (and soon closes) a connection of its own; and past a few,
    # threads only take turns at the GIL (measured: 2 to 4 serve the most misses per second).
    pool = primary_engine().pool
    return CapacityLimiter(min(DATABASE_THREADS, pool.size()) if isinstance(pool, QueuePool) else DATABASE_THREADS)


async def _in_database(work: Callable[[Body], Result], body: Body) -> Result:
    return await to_thread.run_sync(work, body, limiter=_database_threads())


def _validate(body: ValidateRequest, *, counted: bool = False) -> licenses.SignedAnswer:
    with write_session() as session:
        return licenses.answer_from_database(
            session=session, key=body.license_key, fingerprint=body.hardware_fp, app_version=body.app_version, counted=counted
        )


def _validate_counted(body: ValidateRequest) -> licenses.SignedAnswer:
    return _validate(body, counted=True)


def _activate(body: ActivateRequest) -> Validation:
    with write_session() as session:
        return licenses.activate_machine(
            session=session, key=body.license_key, fingerprint=body.hardware_fp, app_version=body.app_version, name=body.name
        )


def _deactivate(body: DeactivateRequest) -> LicenseCode | None:
    with write_session() as session:
        return licenses.deactivate_machine(session=session, key=body.license_key, fingerprint=body.hardware_fp)


async def validate(scope: Scope, receive: Receive, send: Send) -> None:
    # The hot path: on a cache hit, one Redis round trip (limits and cache together), no
    # thread, no JSON rendering and no signing (the cached answer is sent as it was signed).
    # On a miss, with PostgreSQL, one statement more (licensing.hot_path). Plain
    # ASGI: Starlette's Request and Response cost ~40 µs a call here, a fifth of a hit.
    ip = scope["client"][0] if scope.get("client") else "unknown"
    raw = await _read_body(receive)
    parsed = await _parse_within_limits(raw, ip, ValidateRequest, read_answer=True)
    body = parsed.body
    answer = None
    if parsed.cached is not None:
        answer = licenses.answer_from_cache(parsed.cached, fingerprint=body.hardware_fp, app_version=body.app_version)
    if answer is None and parsed.keys is not None and hot_path.available():
        try:
            answer = await hot_path.answer_from_database(
                key_hash=parsed.key_hash,
                fingerprint=body.hardware_fp,
                app_version=body.app_version,
                read=parsed.keys,
                generation=parsed.generation,
            )
        except hot_path.DatabaseBusy:
            raise ApiError(503, "BUSY", "The license server is busy; try again shortly.", headers={"Retry-After": "1"}) from None
        if answer is None:  # a machine to bind: the full path, which won't count it again
            answer = await _in_database(_validate_counted, body)
    if answer is None:
        answer = await _in_database(_validate, body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(answer.body)),
        (SIGNATURE_HEADER.lower().encode(), answer.signature.encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


async def _read_body(receive: Receive) -> bytes:
    """The request's body, as Starlette's Request.body() reads it, but read no further
    once it is past MAX_BODY_BYTES (_parsed refuses it then, without the rest)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect  # no answer: nobody is there to read it
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES or not message.get("more_body", False):
            return b"".join(chunks)


class _Asgi:
    """`handler(scope, receive, send)`, which Starlette's Route would otherwise call with a
    Request (it takes any plain function for a request/response endpoint)."""

    def __init__(self, handler: ASGIApp) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._handler(scope, receive, send)


async def activate(request: Request) -> Response:
    body = (await _parse_within_limits(await _read_body(request.receive), client_ip(request), ActivateRequest)).body
    validation = await _in_database(_activate, body)
    return _signed(validation.as_json(), body.hardware_fp)


async def deactivate(request: Request) -> Response:
    body = (await _parse_within_limits(await _read_body(request.receive), client_ip(request), DeactivateRequest)).body
    code = await _in_database(_deactivate, body)
    if code is None:
        return _signed({"deactivated": True}, body.hardware_fp)
    return _signed({"deactivated": False, "code": code.value, "reason": REASONS[code]}, body.hardware_fp)


async def public_key(_request: Request) -> JSONResponse:
    return JSONResponse(get_signer().public_key_json(), headers={"Cache-Control": "public, max-age=3600"})


routes = [
    Route("/licenses/validate", _Asgi(validate), methods=["POST"]),
    Route("/licenses/activate", activate, methods=["POST"]),
    Route("/licenses/deactivate", deactivate, methods=["POST"]),
    Route("/licenses/public-key", public_key, methods=["GET"]),
]

"""The License Server over HTTP, for desktop apps and browser extensions. No sign-in: the
license key is the credential.

  POST /licenses/validate    {license_key, hardware_fp, app_version}         -> signed answer
  POST /licenses/activate    {license_key, hardware_fp, app_version, name?}  -> signed answer
  POST /licenses/deactivate  {license_key, hardware_fp}                      -> signed answer
  POST /licenses/machines    {license_key, hardware_fp}                      -> {max_machines, machines}
  GET  /licenses/public-key  the Ed25519 key answers are signed with (licensing.signing)

A good key and a bad one both get HTTP 200:
  {"valid": true, "license_type", "features", "expires_at", "hardware_fp", "checked_at"}
  {"valid": false, "code", "reason", "hardware_fp", "checked_at"}
codes and their order: licensing.licenses; the pipeline: licensing.validate. Deactivate answers {"deactivated": true} or
{"deactivated": false, "code": NOT_FOUND | MACHINE_NOT_FOUND, "reason"}. A malformed
request gets 422 naming its fields (a mistyped key fails its checksum there, never
reaching the database); too many requests per IP or per key, 429 with Retry-After.

Machines (licensing.machines) are listed only to a machine bound to the key: 200
{"max_machines", "machines": [{name, short_fingerprint, app_version, first_seen_at,
last_seen_at, this_machine}]}, else 404 NOT_FOUND (no such key) or 403 MACHINE_NOT_FOUND.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from jobspy_web.api.auth_web import client_ip
from jobspy_web.api.errors import MAX_BODY_BYTES, UNSTORABLE_TEXT, ApiError
from jobspy_web.db import write_session
from jobspy_web.licensing import licenses, machines
from jobspy_web.licensing import validate as validating
from jobspy_web.licensing.licenses import REASONS, LicenseError, SignedAnswer
from jobspy_web.licensing.signing import SIGNATURE_HEADER, get_signer
from jobspy_web.licensing.validate import DeactivateRequest, ValidateRequest
from jobspy_web.models.base import utcnow


class ActivateRequest(ValidateRequest):
    name: str | None = Field(None, max_length=100)

    @field_validator("name")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        # The one free-text field stored as sent: PostgreSQL refuses a NUL with a 500.
        if value is not None and UNSTORABLE_TEXT.search(value):
            raise ValueError("Text must not contain NUL characters or unpaired surrogates.")
        return value


def _api_error(error: LicenseError) -> Exception:
    """api.errors maps a LicenseError like any DomainError; a 429 or 503 also says when to retry."""
    if not error.retry_after_s:
        return error
    return ApiError(error.status, error.code_text, error.message, headers={"Retry-After": str(error.retry_after_s)})


def _answer_headers(answer: SignedAnswer) -> dict[str, str]:
    """What every signed answer carries beside its body (the signature covers the body)."""
    return {SIGNATURE_HEADER: answer.signature, "Cache-Control": "no-store"}


def _sent(answer: SignedAnswer) -> Response:
    return Response(answer.body, media_type="application/json", headers=_answer_headers(answer))


class _Validate:
    """POST /licenses/validate as a bare ASGI app: the License Server's busiest route skips
    the Request/Response objects and the per-route exception wrapper (a LicenseError still
    reaches api.errors, through the app's ExceptionMiddleware): ~5-7 of its ~70 µs in-process."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            raw = await _read_body(receive)
            answer = await validating.validate(raw, ip=client_ip(Request(scope)), body_limit=MAX_BODY_BYTES)
        except LicenseError as error:
            raise _api_error(error) from None
        # _sent's headers, put as raw ASGI ones directly: building the Response was most of
        # what this route saved.
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer.body))]
        headers += [(name.lower().encode(), value.encode()) for name, value in _answer_headers(answer).items()]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})


validate = _Validate()


async def activate(request: Request) -> Response:
    body = await _parse(request, ActivateRequest)

    def work() -> licenses.Validation:
        with write_session() as session:
            return licenses.activate_machine(
                session=session, key=body.license_key, fingerprint=body.hardware_fp, app_version=body.app_version, name=body.name
            )

    validation = await validating.in_thread(work)
    return _sent(licenses.sign_answer(validation.as_json(), fingerprint=body.hardware_fp, checked_at=utcnow()))


async def deactivate(request: Request) -> Response:
    body = await _parse(request, DeactivateRequest)

    def work() -> licenses.LicenseCode | None:
        with write_session() as session:
            return licenses.deactivate_machine(session=session, key=body.license_key, fingerprint=body.hardware_fp)

    code = await validating.in_thread(work)
    payload = {"deactivated": True} if code is None else {"deactivated": False, "code": code.value, "reason": REASONS[code]}
    return _sent(licenses.sign_answer(payload, fingerprint=body.hardware_fp, checked_at=utcnow()))


async def list_machines(request: Request) -> JSONResponse:
    body = await _parse(request, DeactivateRequest)

    def work() -> dict[str, object]:
        with write_session() as session:
            return machines.machines_for_holder(session=session, key=body.license_key, fingerprint=body.hardware_fp)

    try:
        listed = await validating.in_thread(work)
    except LicenseError as error:
        raise _api_error(error) from None
    return JSONResponse(listed, headers={"Cache-Control": "no-store"})


async def _parse(request: Request, model: type[validating.Body]) -> validating.Body:
    try:
        raw = await _read_body(request.receive)
        return (await validating.parse_within_limits(raw, client_ip(request), model, body_limit=MAX_BODY_BYTES))[0]
    except LicenseError as error:
        raise _api_error(error) from None


async def _read_body(receive: Receive) -> bytes:
    """The request's body, read no further once it is past MAX_BODY_BYTES (the pipeline
    refuses it then, without the rest, still counting it against its IP)."""
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


async def public_key(_request: Request) -> JSONResponse:
    return JSONResponse(get_signer().public_key_json(), headers={"Cache-Control": "public, max-age=3600"})


routes = [
    Route("/licenses/validate", validate, methods=["POST"]),
    Route("/licenses/activate", activate, methods=["POST"]),
    Route("/licenses/deactivate", deactivate, methods=["POST"]),
    Route("/licenses/machines", list_machines, methods=["POST"]),
    Route("/licenses/public-key", public_key, methods=["GET"]),
]

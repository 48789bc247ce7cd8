"""The License Server over HTTP, for desktop apps and browser extensions. No sign-in: the
license key is the credential.

  POST /licenses/validate    {license_key, hardware_fp, app_version}         -> signed answer
  POST /licenses/activate    {license_key, hardware_fp, app_version, name?}  -> signed answer
  POST /licenses/deactivate  {license_key, hardware_fp}                      -> signed answer
  GET  /licenses/public-key  the Ed25519 key answers are signed with (services.signing)

A good key and a bad one both get HTTP 200:
  {"valid": true, "license_type", "features", "expires_at", "hardware_fp", "checked_at"}
  {"valid": false, "code", "reason", "hardware_fp", "checked_at"}
codes and their order: services.licenses. Deactivate answers {"deactivated": true} or
{"deactivated": false, "code": NOT_FOUND | MACHINE_NOT_FOUND, "reason"}. A malformed
request gets 422 naming its fields (a mistyped key fails its checksum there, never
reaching the database); too many requests per IP or per key, 429 with Retry-After.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobspy_web.api.auth_web import client_ip
from jobspy_web.api.errors import ApiError, parse_body
from jobspy_web.db import write_session
from jobspy_web.models.base import utcnow
from jobspy_web.services import license_keys, licenses, rate_limits
from jobspy_web.services.licenses import APP_VERSION_PATTERN, REASONS, LicenseCode, Validation
from jobspy_web.services.signing import SIGNATURE_HEADER, get_signer
from jobspy_web.settings import get_settings


class DeactivateRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    license_key: str = Field(max_length=100)
    # Printable ASCII without spaces; our client sends 64 hex digits.
    hardware_fp: str = Field(min_length=16, max_length=128, pattern=r"^[\x21-\x7e]+$")

    @field_validator("license_key")
    @classmethod
    def _canonical_key(cls, value: str) -> str:
        canonical = license_keys.parse_key(value)
        if canonical is None:
            raise ValueError("This is not a license key; check it for typos.")
        return canonical


class ValidateRequest(DeactivateRequest):
    app_version: str = Field(max_length=64, pattern=APP_VERSION_PATTERN)


class ActivateRequest(ValidateRequest):
    name: str | None = Field(None, max_length=100)


async def _limit(limit: str, bucket: str, who: str) -> None:
    verdict = await rate_limits.hit(limit, bucket, who)
    if not verdict.allowed:
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"Too many license requests; try again in {verdict.retry_after_s} seconds.",
            headers={"Retry-After": str(verdict.retry_after_s)},
        )


async def _parse_within_limits(request: Request, model: type[DeactivateRequest]) -> Any:
    settings = get_settings()
    await _limit(settings.license_limit_per_ip, "license-ip", client_ip(request))
    body = await parse_body(request, model)
    await _limit(settings.license_limit_per_key, "license-key", license_keys.hash_key(body.license_key))
    return body


def _signed(payload: dict[str, Any], hardware_fp: str) -> Response:
    # The client verifies these exact bytes, so they are rendered once, here.
    payload = {**payload, "hardware_fp": hardware_fp, "checked_at": utcnow().isoformat(timespec="seconds")}
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {SIGNATURE_HEADER: get_signer().signature_header(body), "Cache-Control": "no-store"}
    return Response(body, media_type="application/json", headers=headers)


def _validate(body: ValidateRequest) -> Validation:
    with write_session() as session:  # untouched when the answer is cached
        return licenses.validate_license(
            session=session, key=body.license_key, fingerprint=body.hardware_fp, app_version=body.app_version
        )


def _activate(body: ActivateRequest) -> Validation:
    with write_session() as session:
        return licenses.activate_machine(
            session=session, key=body.license_key, fingerprint=body.hardware_fp, app_version=body.app_version, name=body.name
        )


def _deactivate(body: DeactivateRequest) -> LicenseCode | None:
    with write_session() as session:
        return licenses.deactivate_machine(session=session, key=body.license_key, fingerprint=body.hardware_fp)


async def validate(request: Request) -> Response:
    body: ValidateRequest = await _parse_within_limits(request, ValidateRequest)
    validation = await run_in_threadpool(_validate, body)
    return _signed(validation.as_json(), body.hardware_fp)


async def activate(request: Request) -> Response:
    body: ActivateRequest = await _parse_within_limits(request, ActivateRequest)
    validation = await run_in_threadpool(_activate, body)
    return _signed(validation.as_json(), body.hardware_fp)


async def deactivate(request: Request) -> Response:
    body: DeactivateRequest = await _parse_within_limits(request, DeactivateRequest)
    code = await run_in_threadpool(_deactivate, body)
    if code is None:
        return _signed({"deactivated": True}, body.hardware_fp)
    return _signed({"deactivated": False, "code": code.value, "reason": REASONS[code]}, body.hardware_fp)


async def public_key(_request: Request) -> JSONResponse:
    return JSONResponse(get_signer().public_key_json(), headers={"Cache-Control": "public, max-age=3600"})


routes = [
    Route("/licenses/validate", validate, methods=["POST"]),
    Route("/licenses/activate", activate, methods=["POST"]),
    Route("/licenses/deactivate", deactivate, methods=["POST"]),
    Route("/licenses/public-key", public_key, methods=["GET"]),
]

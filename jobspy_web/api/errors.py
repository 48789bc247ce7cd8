"""JSON errors with a stable code and a sentence, and body parsing that never 500s."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

MAX_BODY_BYTES = 64 * 1024
Model = TypeVar("Model", bound=BaseModel)


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


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body: 413 if huge, 400 if not JSON, 422 if not an object."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "BODY_TOO_LARGE", f"The request body is over {MAX_BODY_BYTES} bytes.")
    try:
        payload = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "MALFORMED_JSON", "The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise ApiError(422, "INVALID_REQUEST", "The request body must be a JSON object.")
    return payload


async def parse_body(request: Request, model: type[Model]) -> Model:
    """The request's JSON body as `model`; like read_json_object, plus 422 naming fields."""
    payload = await read_json_object(request)
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        fields = {".".join(str(part) for part in problem["loc"]) or "body": problem["msg"] for problem in error.errors(include_url=False)}
        raise ApiError(422, "INVALID_REQUEST", "Some fields are missing or invalid.", fields=fields) from None


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error.response()


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(error.status_code, "HTTP_ERROR")
    # Keep Starlette's headers: a 405 says which methods are allowed.
    return ApiError(error.status_code, code, str(error.detail), headers=dict(error.headers or {})).response()


async def _unexpected(_request: Request, _error: Exception) -> JSONResponse:
    # The traceback goes to the server log (Starlette logs it); never to the client.
    return ApiError(500, "INTERNAL_ERROR", "Something went wrong on our side.").response()


EXCEPTION_HANDLERS = {ApiError: _api_error, HTTPException: _http_error, Exception: _unexpected}

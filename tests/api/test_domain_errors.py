"""Every domain's refusal is one DomainError, answered once by api/errors.py: its status,
its stable code, its sentence and (for a form) the fields it names."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from jobspy_web.accounts.api_tokens import ApiTokenError, ApiTokenErrorCode
from jobspy_web.accounts.jwt_tokens import TokenError, TokenErrorCode
from jobspy_web.accounts.users import AccountError, AccountErrorCode
from jobspy_web.api.errors import EXCEPTION_HANDLERS
from jobspy_web.billing.checkout import BillingError, BillingErrorCode
from jobspy_web.core.errors import DomainError
from jobspy_web.search.params import SearchParamsError

REFUSALS = [
    (AccountError(AccountErrorCode.EMAIL_TAKEN), 409, "EMAIL_TAKEN"),
    (AccountError(AccountErrorCode.WEAK_PASSWORD, "Use at least 10 characters."), 422, "WEAK_PASSWORD"),
    (AccountError(AccountErrorCode.WRONG_PASSWORD), 403, "WRONG_PASSWORD"),
    (AccountError(AccountErrorCode.BILLING_UNAVAILABLE), 503, "BILLING_UNAVAILABLE"),
    (ApiTokenError(ApiTokenErrorCode.INVALID_NAME, "Give the token a name."), 422, "INVALID_NAME"),
    (ApiTokenError(ApiTokenErrorCode.TOO_MANY_TOKENS, "Revoke one."), 409, "TOO_MANY_TOKENS"),
    (TokenError(TokenErrorCode.EXPIRED), 401, "EXPIRED"),
    (BillingError(BillingErrorCode.NOT_CONFIGURED), 503, "PAYMENTS_NOT_CONFIGURED"),
    (BillingError(BillingErrorCode.UNKNOWN_PLAN, "There is no plan 'x'."), 404, "UNKNOWN_PLAN"),
    (BillingError(BillingErrorCode.WRONG_KIND, "Bought through Checkout."), 422, "WRONG_PLAN_KIND"),
    (BillingError(BillingErrorCode.STRIPE_UNAVAILABLE), 502, "STRIPE_UNAVAILABLE"),
    (SearchParamsError({"distance": "Use at most 500."}), 422, "INVALID_SEARCH"),
    (DomainError("SOMETHING", "A sentence.", status=418), 418, "SOMETHING"),
]


def answering_with(error: Exception) -> httpx.AsyncClient:
    async def refuse(_request: Request) -> None:
        raise error

    app = Starlette(routes=[Route("/", refuse)], exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.mark.parametrize(("error", "status", "code"), REFUSALS, ids=[code for _error, _status, code in REFUSALS])
async def test_a_domain_error_is_its_status_code_and_sentence(error, status, code):
    async with answering_with(error) as client:
        response = await client.get("/")
    assert response.status_code == status
    body = response.json()["error"]
    assert body["code"] == code and body["message"] == error.message and error.message
    assert body.get("fields") == error.fields


async def test_a_refused_token_is_a_401_with_a_bearer_challenge_naming_why():
    async with answering_with(TokenError(TokenErrorCode.REVOKED)) as client:
        response = await client.get("/")
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="jobspy-web", error="invalid_token"')
    assert "has been revoked" in challenge


async def test_a_search_refusal_names_each_field_and_keeps_problems():
    error = SearchParamsError({"distance": "Use at most 500.", "search_term": "Enter a search term."})
    assert error.problems == error.fields and error.message == "Use at most 500. Enter a search term."
    async with answering_with(error) as client:
        assert (await client.get("/")).json()["error"]["fields"] == error.fields


def test_a_page_given_only_a_code_shows_the_domains_own_sentence():
    # A form post's redirect carries ?error=CODE; the page finds the sentence the domain gives it.
    assert AccountError.sentence_for("EMAIL_TAKEN") == AccountError(AccountErrorCode.EMAIL_TAKEN).message
    assert BillingError.sentence_for("PAYMENTS_NOT_CONFIGURED") == BillingError(BillingErrorCode.NOT_CONFIGURED).message
    assert AccountError.sentence_for("<script>") is None

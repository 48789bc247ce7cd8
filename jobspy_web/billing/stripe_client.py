"""The one way we talk to Stripe: the official SDK's StripeClient, built from settings.

STRIPE_API_BASE (tests: a local fake server) replaces Stripe's address; the key never
leaves this module except inside the SDK's requests.
"""

from __future__ import annotations

from functools import lru_cache

import stripe

from jobspy_web.settings import get_settings

__all__ = ["StripeNotConfigured", "get_client", "payments_configured", "to_dict"]

# Enough for Stripe's slowest calls, short enough that a webhook still answers in time.
TIMEOUT_S = 20
NETWORK_RETRIES = 2  # the SDK resends with the same idempotency key, so retries are safe


class StripeNotConfigured(RuntimeError):
    """No STRIPE_SECRET_KEY: plans are shown, nothing can be bought."""


def payments_configured() -> bool:
    return bool(get_settings().stripe_secret_key.get_secret_value())


def get_client() -> stripe.StripeClient:
    settings = get_settings()
    api_key = settings.stripe_secret_key.get_secret_value()
    if not api_key:
        raise StripeNotConfigured("STRIPE_SECRET_KEY is not set")
    return _client(api_key, settings.stripe_api_base)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=NETWORK_RETRIES,
        http_client=stripe.new_default_http_client(timeout=TIMEOUT_S),
    )


def to_dict(stripe_object: stripe.StripeObject) -> dict:  # type: ignore[type-arg]
    """A plain dict of what Stripe sent: handlers read fields by name, as in Stripe's docs
    (some, like `items`, clash with Python attribute names)."""
    return stripe_object.to_dict()

"""Payments through Stripe: the plans (`plans`), Checkout, the Billing Portal, one-off payments
and paid tiers (`checkout`), exactly-once webhooks that apply payments, subscriptions and
licenses (`webhooks`), and the configured Stripe client (`stripe_client`)."""

__all__ = ["checkout", "plans", "stripe_client", "webhooks"]

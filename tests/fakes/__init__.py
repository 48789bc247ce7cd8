"""In-process stand-ins for services the app talks to (Stripe)."""

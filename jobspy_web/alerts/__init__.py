"""Alerts: in-app, email digest, Apprise channels and Web Push."""

__all__: list[str] = []

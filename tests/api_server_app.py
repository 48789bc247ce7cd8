"""What tests/api_server.py serves: the app's API behind the same HttpHardening the Reflex
app puts in front of it, so browser clients meet the real CORS (the extension's origins)."""

from starlette.types import ASGIApp

from jobspy_web.api import build_api, http_hardening


def build() -> ASGIApp:
    return http_hardening.HttpHardening(build_api())

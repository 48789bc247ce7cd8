"""HTTP routes served beside the Reflex app (mounted through api_transformer)."""

from jobspy_web.api.app import build_api

__all__ = ["build_api"]

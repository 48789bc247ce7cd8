"""An offline replay harness for JobSpy's real scrapers: see proxy.ReplayProxy."""

from .behaviour import MODES, SiteBehaviour
from .catalog import CROSS_POSTINGS, CrossPosting
from .proxy import UNKNOWN_SITE, ReplayProxy, SeenRequest

__all__ = [
    "CROSS_POSTINGS",
    "MODES",
    "UNKNOWN_SITE",
    "CrossPosting",
    "ReplayProxy",
    "SeenRequest",
    "SiteBehaviour",
]

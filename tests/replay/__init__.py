"""An offline replay harness for JobSpy's real scrapers.

    with ReplayProxy({"glassdoor": SiteBehaviour("status", status=429)}) as proxy:
        jobs = scrape_jobs(..., proxies=[proxy.url], ca_cert=proxy.ca_cert_path)

proxy.py      the HTTPS proxy: CONNECT, TLS with its own CA, per-site behaviour
behaviour.py  SiteBehaviour: ok, status, hang, malformed, empty, drifted, partial
              or challenge; delay; job count
catalog.py    the deterministic postings, and which ones are cross-posted
challenges.py the bot-challenge pages of mode "challenge"
sites/        each site's fake endpoints, from templates in tests/fixtures/replay/,
              and how its postings drift (modes drifted and partial)
__main__.py   `python -m tests.replay --port 8899 ...`: the proxy in the foreground
"""

from .behaviour import CHALLENGE_KINDS, MODES, SiteBehaviour
from .catalog import CROSS_POSTINGS, CrossPosting
from .proxy import UNKNOWN_SITE, ReplayProxy, SeenRequest
from .sites import SITE_NAMES

__all__ = [
    "CHALLENGE_KINDS",
    "CROSS_POSTINGS",
    "MODES",
    "SITE_NAMES",
    "UNKNOWN_SITE",
    "CrossPosting",
    "ReplayProxy",
    "SeenRequest",
    "SiteBehaviour",
]

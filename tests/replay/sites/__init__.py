"""The fake job sites: which hosts each one answers for, and how."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..http11 import Request, Response
from . import indeed


@dataclass(frozen=True)
class FakeSite:
    name: str
    """JobSpy's site value, the key of a ReplayProxy scenario."""
    hosts: re.Pattern[str]
    respond: Callable[[Request, int], Response]
    """The answer to a request, given how many jobs the site has."""


SITES = (
    FakeSite("indeed", re.compile(r"(.+\.)?indeed\.com"), indeed.respond),
)


def site_for_host(host: str) -> FakeSite | None:
    return next((site for site in SITES if site.hosts.fullmatch(host.lower())), None)

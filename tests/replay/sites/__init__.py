"""The fake job sites: which hosts each one answers for, and how."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..http11 import Request, Response
from . import bayt, glassdoor, google, indeed, linkedin, ziprecruiter


@dataclass(frozen=True)
class FakeSite:
    name: str
    """JobSpy's site value, the key of a ReplayProxy scenario."""
    hosts: re.Pattern[str]
    respond: Callable[[Request, int], Response]
    """The answer to a request, given how many jobs the site has."""


SITES = (
    FakeSite("indeed", re.compile(r"(.+\.)?indeed\.com"), indeed.respond),
    FakeSite("linkedin", re.compile(r"(.+\.)?linkedin\.com"), linkedin.respond),
    FakeSite("zip_recruiter", re.compile(r"(.+\.)?ziprecruiter\.com"), ziprecruiter.respond),
    # every country's domain: glassdoor.com, glassdoor.co.uk, de.glassdoor.ch, ...
    FakeSite("glassdoor", re.compile(r"(.+\.)?glassdoor\.[a-z.]+"), glassdoor.respond),
    FakeSite("google", re.compile(r"www\.google\.com"), google.respond),
    FakeSite("bayt", re.compile(r"(.+\.)?bayt\.com"), bayt.respond),
)


def site_for_host(host: str) -> FakeSite | None:
    return next((site for site in SITES if site.hosts.fullmatch(host.lower())), None)


SITE_NAMES = tuple(site.name for site in SITES)

"""The fake job sites: which hosts each one answers for, and how."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..behaviour import SiteBehaviour
from ..http11 import Request, Response
from . import bayt, bdjobs, glassdoor, google, indeed, linkedin, naukri, ziprecruiter


@dataclass(frozen=True)
class FakeSite:
    name: str
    """JobSpy's site value, the key of a ReplayProxy scenario."""
    hosts: re.Pattern[str]
    respond: Callable[[Request, SiteBehaviour], Response]
    """The answer to a request, given the site's behaviour: how many jobs it has
    (job_count) and which of them it sends drifted (unreadable)."""


SITES = (
    FakeSite("indeed", re.compile(r"(.+\.)?indeed\.com"), indeed.respond),
    FakeSite("linkedin", re.compile(r"(.+\.)?linkedin\.com"), linkedin.respond),
    FakeSite("zip_recruiter", re.compile(r"(.+\.)?ziprecruiter\.com"), ziprecruiter.respond),
    # every country's domain: glassdoor.com, glassdoor.co.uk, de.glassdoor.ch, ...
    FakeSite("glassdoor", re.compile(r"(.+\.)?glassdoor\.[a-z.]+"), glassdoor.respond),
    FakeSite("google", re.compile(r"www\.google\.com"), google.respond),
    FakeSite("bayt", re.compile(r"(.+\.)?bayt\.com"), bayt.respond),
    FakeSite("naukri", re.compile(r"(.+\.)?naukri\.com"), naukri.respond),
    # api.bdjobs.com searches, gateway.bdjobs.com has job details
    FakeSite("bdjobs", re.compile(r"(.+\.)?bdjobs\.com"), bdjobs.respond),
)


def site_for_host(host: str) -> FakeSite | None:
    return next((site for site in SITES if site.hosts.fullmatch(host.lower())), None)


SITE_NAMES = tuple(site.name for site in SITES)

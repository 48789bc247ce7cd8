"""Deterministic fake job postings: the same ones on every run.

`Board(site, search_term, total).page(start, size)` lists what a fake site
has for a search. The search term is echoed in each title; everything else
comes from an RNG seeded with the site and the posting's index (not the page,
so a job stays the same whatever the page size a scraper asks for). Each site
picks companies from a pool of its own, so two sites never list the same job
by chance. The job number, from which each site makes its ids and URLs, is
unique per search and index; with the site's own URL scheme, per site too.

Cross-posted jobs, the same job on two sites (same title, company, city, pay,
type and date; different id and URL), for a downstream dedupe to merge:

    index  sites                     title                      company        city
    0      indeed, linkedin          Senior <Term>              Initech        Austin, TX
    1      zip_recruiter, glassdoor  Junior <Term>              Globex         Round Rock, TX
    2      indeed, glassdoor         Staff <Term>               Hooli          Austin, TX
    3      linkedin, google          Lead <Term> (Remote)       Umbrella Labs  Austin, TX

(<Term> is the search term in title case, "Python Developer".)

Naukri's and BDJobs' jobs are in India and Bangladesh (REGIONAL_PLACES), paid
in rupees and taka (PAY_SCALES times the other sites' amounts).
"""

from __future__ import annotations

import random
import string
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from html import escape

INDEX_SPAN = 100_000
"""A job number is search_code * INDEX_SPAN + index."""
DEFAULT_TITLE = "Software Engineer"
"""The title's subject when a search has no term."""


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    country_code: str
    country: str
    currency: str

    @property
    def label(self) -> str:
        """ "Austin, TX" in the US, "Toronto, ON, Canada" elsewhere."""
        if self.country_code == "US":
            return f"{self.city}, {self.state}"
        return f"{self.city}, {self.state}, {self.country}"


@dataclass(frozen=True)
class Company:
    name: str
    industry: str
    employees: str
    revenue: str
    rating: float
    reviews: int
    headquarters: str

    @property
    def about(self) -> str:
        return f"{self.name} is a {self.industry.lower()} company based in {self.headquarters}."

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def number(self) -> int:
        """A stable id, for sites' company URLs."""
        return zlib.crc32(self.name.encode()) % 1_000_000

    @property
    def website(self) -> str:
        return f"https://www.{self.slug}.example"

    @property
    def logo_url(self) -> str:
        return f"https://media.replay.example/logos/{self.slug}.png"


@dataclass(frozen=True)
class Pay:
    interval: str
    """JobSpy's CompensationInterval value: "hourly", "monthly" or "yearly"."""
    low: float
    high: float
    currency: str


@dataclass(frozen=True)
class Level:
    title_prefix: str
    seniority: str
    """LinkedIn's "Seniority level"."""


@dataclass(frozen=True)
class Posting:
    index: int
    number: int
    title: str
    level: Level
    company: Company
    place: Place
    days_ago: int
    job_type: str
    """JobSpy's JobType value: "fulltime", "parttime", "contract" or "internship"."""
    pay: Pay | None
    remote: bool
    description_html: str
    skills: tuple[str, ...]
    """The three the description names, for sites that list skills."""

    @property
    def posted_at(self) -> datetime:
        """Midday UTC, days_ago days before today (UTC)."""
        today = datetime.now(UTC).date()
        return datetime.combine(today - timedelta(days=self.days_ago), time(12), UTC)

    @property
    def age(self) -> str:
        return f"{self.days_ago} day{'s' if self.days_ago > 1 else ''} ago"

    @property
    def employer_apply_url(self) -> str:
        return f"{self.company.website}/careers/{self.number}"


@dataclass(frozen=True)
class CrossPosting:
    index: int
    sites: tuple[str, str]
    level: str
    company: str
    city: str
    remote: bool = False


CROSS_POSTINGS = (
    CrossPosting(0, ("indeed", "linkedin"), "Senior", "Initech", "Austin"),
    CrossPosting(1, ("zip_recruiter", "glassdoor"), "Junior", "Globex", "Round Rock"),
    CrossPosting(2, ("indeed", "glassdoor"), "Staff", "Hooli", "Austin"),
    CrossPosting(3, ("linkedin", "google"), "Lead", "Umbrella Labs", "Austin", remote=True),
)

PLACES = (
    Place("Austin", "TX", "US", "United States", "USD"),
    Place("Round Rock", "TX", "US", "United States", "USD"),
    Place("Dallas", "TX", "US", "United States", "USD"),
    Place("Houston", "TX", "US", "United States", "USD"),
    Place("San Antonio", "TX", "US", "United States", "USD"),
    Place("Denver", "CO", "US", "United States", "USD"),
    Place("Seattle", "WA", "US", "United States", "USD"),
    Place("New York", "NY", "US", "United States", "USD"),
    Place("Toronto", "ON", "CA", "Canada", "CAD"),
)
PLACE_WEIGHTS = (6, 2, 2, 2, 1, 1, 1, 1, 1)
REGIONAL_PLACES: dict[str, tuple[tuple[Place, ...], tuple[int, ...]]] = {
    # the regional boards list jobs in their own country: (places, weights)
    "naukri": (
        (
            Place("Bengaluru", "KA", "IN", "India", "INR"),
            Place("Pune", "MH", "IN", "India", "INR"),
            Place("Hyderabad", "TS", "IN", "India", "INR"),
            Place("Chennai", "TN", "IN", "India", "INR"),
            Place("Gurugram", "HR", "IN", "India", "INR"),
        ),
        (4, 2, 2, 1, 1),
    ),
    "bdjobs": (
        (
            Place("Dhaka", "Dhaka Division", "BD", "Bangladesh", "BDT"),
            Place("Chattogram", "Chattogram Division", "BD", "Bangladesh", "BDT"),
            Place("Sylhet", "Sylhet Division", "BD", "Bangladesh", "BDT"),
            Place("Khulna", "Khulna Division", "BD", "Bangladesh", "BDT"),
        ),
        (5, 2, 1, 1),
    ),
}

LEVELS = {
    level.title_prefix: level
    for level in (
        Level("Junior", "Entry level"),
        Level("", "Associate"),
        Level("Senior", "Mid-Senior level"),
        Level("Staff", "Mid-Senior level"),
        Level("Lead", "Director"),
    )
}

COMPANY_POOLS = {
    "indeed": (
        "Stark Industries",
        "Wayne Enterprises",
        "Acme Analytics",
        "Cyberdyne Systems",
        "Soylent Foods",
        "Vandelay Industries",
    ),
    "linkedin": (
        "Pied Piper",
        "Massive Dynamic",
        "Tyrell Corporation",
        "Wonka Labs",
        "Oscorp",
        "Aperture Science",
    ),
    "zip_recruiter": (
        "Dunder Mifflin",
        "Sterling Cooper & Partners",
        "Bluth Company",
        "Prestige Worldwide",
        "Monarch Solutions",
        "Gringotts Fintech",
    ),
    "glassdoor": (
        "Wernham Hogg",
        "Nakatomi Trading",
        "Virtucon",
        "Gekko & Co",
        "Kwik-E-Mart Digital",
        "Paper Street Soap",
    ),
    "google": ("Buy n Large", "Rekall", "Spacely Sprockets", "Cogswell Cogs", "Ollivanders", "Duff Brewing"),
    "bayt": (
        "Weyland-Yutani",
        "InGen",
        "Zorg Industries",
        "Sirius Cybernetics",
        "Blue Sun",
        "Tessier-Ashpool",
    ),
    "naukri": (
        "Hamilton Softworks",
        "Bluebook Infotech",
        "Saffron Circuits",
        "Monsoon Data Labs",
        "Peacock Payments",
        "Deccan Cloudworks",
    ),
    "bdjobs": (
        "Padma Digital",
        "Sundarban Systems",
        "Jamdani Tech",
        "Meghna Fintech",
        "Rupsha Software",
        "Karnaphuli Logistics",
    ),
}

INDUSTRIES = ("Software Development", "Financial Services", "Retail", "Healthcare", "Logistics", "Media")
EMPLOYEES = ("11-50", "51-200", "201-500", "1001-5000", "10000+")
REVENUES = ("$1 to $5 million (USD)", "$25 to $100 million (USD)", "$1 to $5 billion (USD)")
SKILLS = (
    "Django",
    "FastAPI",
    "PostgreSQL",
    "AWS",
    "Kubernetes",
    "React",
    "Kafka",
    "Terraform",
    "Airflow",
    "Redis",
)
JOB_TYPES = ("fulltime", "contract", "parttime", "internship")
JOB_TYPE_WEIGHTS = (12, 4, 2, 1)
# pay ranges by interval: (lowest low, highest low, step)
PAY_RANGES = {"yearly": (80_000, 180_000, 1000), "monthly": (6_000, 14_000, 100), "hourly": (30, 90, 0.5)}
PAY_SCALES = {"INR": 10, "BDT": 10}
"""Pay in these currencies is the ranges' times this: 8 to 18 lakh rupees a year, ..."""


@dataclass(frozen=True)
class Board:
    """What one fake site lists for one search."""

    site: str
    search_term: str | None
    total: int

    def page(self, start: int, size: int) -> list[Posting]:
        end = min(start + size, self.total)
        return [make_posting(self.site, index, self.search_term) for index in range(start, end)]

    def has_more_after(self, end: int) -> bool:
        return end < self.total

    def find(self, number: int) -> Posting | None:
        """A posting by number, for a job page: its request doesn't carry the
        search term, on which nothing but the title depends."""
        index = number % INDEX_SPAN
        if index >= self.total:
            return None
        return replace(make_posting(self.site, index, self.search_term), number=number)


def make_posting(site: str, index: int, search_term: str | None) -> Posting:
    cross = next((c for c in CROSS_POSTINGS if c.index == index and site in c.sites), None)
    rng = random.Random(f"cross:{index}" if cross else f"{site}:{index}")
    places, weights = REGIONAL_PLACES.get(site, (PLACES, PLACE_WEIGHTS))
    if cross:
        level, company_name, remote = LEVELS[cross.level], cross.company, cross.remote
        place = next(p for p in PLACES if p.city == cross.city)
    else:
        level = rng.choice(list(LEVELS.values()))
        company_name = rng.choice(COMPANY_POOLS[site])
        place = rng.choices(places, weights)[0]
        remote = rng.random() < 0.15
    subject = string.capwords(search_term) if search_term else DEFAULT_TITLE
    title = " ".join(filter(None, (level.title_prefix, subject, "(Remote)" if remote else "")))
    job_type = rng.choices(JOB_TYPES, JOB_TYPE_WEIGHTS)[0]
    company = _company(company_name, places)
    # every fifth posting shows no pay, as many real ones don't
    pay = None if index % 5 == 4 else _pay(rng, job_type, place.currency)
    days_ago = rng.randint(1, 21)
    skills = tuple(rng.sample(SKILLS, 3))
    return Posting(
        index=index,
        number=_search_code(search_term) * INDEX_SPAN + index,
        title=title,
        level=level,
        company=company,
        place=place,
        days_ago=days_ago,
        job_type=job_type,
        pay=pay,
        remote=remote,
        description_html=_description(skills, company, place, pay, remote),
        skills=skills,
    )


def slugify(text: str) -> str:
    """ "Sterling Cooper & Partners" -> "sterling-cooper-partners" """
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _search_code(search_term: str | None) -> int:
    return zlib.crc32((search_term or "").lower().encode()) % 10_000


def _company(name: str, places: tuple[Place, ...]) -> Company:
    rng = random.Random(f"company:{name}")
    headquarters = rng.choice(places)
    return Company(
        name=name,
        industry=rng.choice(INDUSTRIES),
        employees=rng.choice(EMPLOYEES),
        revenue=rng.choice(REVENUES),
        rating=round(rng.uniform(2.8, 4.9), 1),
        reviews=rng.randint(5, 3000),
        headquarters=f"{headquarters.city}, {headquarters.state}",
    )


def _pay(rng: random.Random, job_type: str, currency: str) -> Pay:
    interval = "hourly" if job_type != "fulltime" else rng.choice(("yearly", "yearly", "monthly"))
    lowest, highest, step = PAY_RANGES[interval]
    low = round(rng.uniform(lowest, highest) / step) * step
    high = low + round(low * rng.uniform(0.15, 0.4) / step) * step
    scale = PAY_SCALES.get(currency, 1)
    return Pay(interval, float(low * scale), float(high * scale), currency)


def _description(skills: tuple[str, ...], company: Company, place: Place, pay: Pay | None, remote: bool) -> str:
    where = f"remote, anywhere in {place.country}" if remote else f"on site in {place.city}, {place.state}"
    paragraphs = [
        f"<p><b>{escape(company.name)}</b> ({escape(company.industry)}) is growing its engineering team.",
        f" This role is {where}.</p>",
        "<p>What you will do:</p>",
        "<ul>" + "".join(f"<li>Build and run services with {skill}</li>" for skill in skills) + "</ul>",
    ]
    if pay:
        unit = {"hourly": "hour", "monthly": "month", "yearly": "year"}[pay.interval]
        paragraphs.append(f"<p>Pay: {pay.low:,.2f} - {pay.high:,.2f} {pay.currency} per {unit}.</p>")
    email = f"jobs@{company.slug}.example"
    paragraphs.append(f'<p>Questions? Write to <a href="mailto:{email}">{email}</a>.</p>')
    return "".join(paragraphs)

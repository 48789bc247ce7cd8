"""A search with thousands of stored jobs, written straight into the database.

Shared by the result-page service tests and the big-results e2e test: varied titles,
companies, places, sites, dates, job types, remote flags and pay in three currencies,
the same every run (seeded), so filters and sorts have real work to do.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from jobspy_web.models import Job, Search, SearchJob, SearchStatus

ROLES = ["Python Developer", "Data Engineer", "Product Manager", "Nurse", "Accountant", "Designer", "Welder", "Teacher"]
LEVELS = ["Senior", "Junior", "Lead", "Staff", "Principal", ""]
COMPANIES = [
    f"{name} {suffix}" for name in ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark") for suffix in ("Corp", "Labs", "Group")
]
PLACES = ["Austin, TX", "Toronto, ON", "Berlin, DE", "Remote", "New York, NY", "Vancouver, BC", "Zürich, CH"]
SITES = ["indeed", "linkedin", "glassdoor", "zip_recruiter", "google"]
JOB_TYPES = ["fulltime", "parttime", "contract", "internship", None]


def _job(index: int, chance: random.Random, today: date) -> dict[str, Any]:
    currency = chance.choices(["USD", "CAD", "EUR"], weights=[6, 3, 1])[0]
    low = chance.randrange(30, 200) * 1000.0
    paid = chance.random() < 0.7
    only_min = chance.random() < 0.15
    posted = today - timedelta(days=chance.randrange(0, 60)) if chance.random() < 0.9 else None
    level = chance.choice(LEVELS)
    return {
        "id": uuid.uuid4(),
        "dedupe_key": f"big-{uuid.uuid4().hex}",
        "sources": [],
        "site": "indeed",
        "job_url": f"https://jobs.example/{index}",
        # Unique titles: every order is total, so two pagings of the same filter agree.
        "title": f"{level} {chance.choice(ROLES)} #{index:05d}".strip(),
        "company": chance.choice(COMPANIES),
        "location": chance.choice(PLACES),
        "date_posted": posted,
        "job_type": chance.choice(JOB_TYPES),
        "interval": "yearly" if paid else None,
        "min_amount": low if paid else None,
        "max_amount": None if (not paid or only_min) else low + chance.randrange(5, 60) * 1000.0,
        "currency": currency if paid else None,
        "is_remote": chance.choice([True, False, None]),
    }


def seed_big_search(session: Session, *, owner_id: uuid.UUID | None, count: int = 5000, label: str = "big search") -> uuid.UUID:
    """Store a finished search of `count` jobs for `owner_id` (flushed, not committed); returns its id."""
    chance, today = random.Random(5000), date.today()
    now = datetime.now(UTC)
    search = Search(
        owner_id=owner_id,
        params={"search_term": label, "site_name": SITES},
        label=label,
        status=SearchStatus.COMPLETED,
        site_outcomes={site: {"state": "done", "count": count // len(SITES)} for site in SITES},
        job_count=count,
        finished_at=now,
    )
    session.add(search)
    session.flush()
    search_id = search.id
    rows = [_job(index, chance, today) for index in range(count)]
    for row in rows:
        row["yearly_min"], row["yearly_max"] = row["min_amount"], row["max_amount"]
    session.execute(sa.insert(Job.__table__), rows)  # type: ignore[attr-defined]
    links = [
        {"search_id": search_id, "job_id": row["id"], "sites": chance.sample(SITES, chance.randint(1, 2)), "found_at": now} for row in rows
    ]
    session.execute(sa.insert(SearchJob.__table__), links)  # type: ignore[attr-defined]
    return search_id

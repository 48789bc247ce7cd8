"""Small factories for insights tests: stored jobs with pay, and a tiny OEWS file."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from jobspy_web.db import write_session
from jobspy_web.models import Job


def add_jobs(specs: list[dict[str, Any]]) -> list[Job]:
    """Store one job per spec: title, location, yearly (the midpoint), plus any Job field."""
    jobs = []
    with write_session() as session:
        for spec in specs:
            spec = dict(spec)
            yearly = spec.pop("yearly", None)
            job = Job(
                dedupe_key=uuid.uuid4().hex,
                site=spec.pop("site", "indeed"),
                job_url=f"https://example.com/{uuid.uuid4().hex}",
                title=spec.pop("title"),
                company=spec.pop("company", "Initech"),
                location=spec.pop("location", "Austin, TX"),
                date_posted=spec.pop("date_posted", date.today().replace(day=1)),
                currency=spec.pop("currency", "USD" if yearly else None),
                interval="yearly" if yearly else None,
                min_amount=yearly,
                max_amount=yearly,
                yearly_min=yearly,
                yearly_max=yearly,
                salary_source=spec.pop("salary_source", "direct_data" if yearly else None),
                **spec,
            )
            session.add(job)
            jobs.append(job)
    return jobs


def software_jobs(count: int, *, start: float = 100_000, step: float = 1_000, **extra: Any) -> list[dict[str, Any]]:
    return [{"title": "Senior Software Engineer", "yearly": start + step * index, **extra} for index in range(count)]


# Austin metro, Texas and the nation; software developers at three levels of pay.
_AREAS = [("0000000", "N", "00", "National"), ("4800000", "S", "48", "Texas"), ("0012420", "M", "48", "Austin-Round Rock-San Marcos, TX")]
_WAGES = {"0000000": 135980, "4800000": 125000, "0012420": 130000}


def tiny_oews_file(path: Path) -> Path:
    """An OEWS SQLite in the bundled file's shape: three areas, software developers (one
    figure top-coded, one not released) and one occupation without estimates."""
    connection = sqlite3.connect(path)
    columns = ", ".join(f"v{index:02d} TEXT" for index in range(1, 18))
    connection.executescript(
        f"""
        CREATE TABLE cell (key TEXT PRIMARY KEY, {columns});
        CREATE TABLE area (area_code TEXT PRIMARY KEY, areatype_code TEXT, state_code TEXT, area_name TEXT);
        CREATE TABLE occupation (occupation_code TEXT PRIMARY KEY, occupation_name TEXT, display_level INTEGER);
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);
        INSERT INTO meta VALUES ('release', 'May 2025'), ('release_code', '2025A01');
        INSERT INTO occupation VALUES ('151252', 'Software Developers', 3), ('291141', 'Registered Nurses', 3);
        """
    )
    connection.executemany("INSERT INTO area VALUES (?, ?, ?, ?)", _AREAS)
    for code, kind, _state, _name in _AREAS:
        median = _WAGES[code]
        values = [
            "1000",
            "0.5",
            "60",
            str(median + 5000),
            "0.4",
            *["30"] * 5,
            str(median - 50000),
            str(median - 25000),
            str(median),
            str(median + 35000),
            "#" if code == "0000000" else str(median + 80000),
            "1",
            "1",
        ]
        connection.execute(f"INSERT INTO cell VALUES (?, {', '.join('?' * 17)})", [f"OEU{kind}{code}000000151252", *values])
        # Another industry: not imported (only cross-industry figures are).
        connection.execute(f"INSERT INTO cell VALUES (?, {', '.join('?' * 17)})", [f"OEU{kind}{code}541500151252", *values])
        connection.execute(f"INSERT INTO cell VALUES (?, {', '.join('?' * 17)})", [f"OEU{kind}{code}000000291141", *["-"] * 17])
    connection.commit()
    connection.close()
    return path

import csv
import io
import json
import uuid
from datetime import date

import openpyxl
import pytest

from jobspy_web.db import read_session, write_session
from jobspy_web.models import Search
from jobspy_web.search import jobs


def jobspy_row(**overrides) -> dict:
    """A row shaped like jobspy.scrape_jobs' DataFrame records."""
    row = {
        "id": "in-1",
        "site": "indeed",
        "job_url": "https://www.indeed.com/viewjob?jk=1",
        "job_url_direct": None,
        "title": "Senior Python Developer",
        "company": "Acme Corp",
        "location": "Austin, TX, US",
        "date_posted": date(2026, 11, 20),
        "job_type": "fulltime",
        "interval": "hourly",
        "min_amount": 50.0,
        "max_amount": 60.0,
        "currency": "USD",
        "is_remote": False,
        "description": "Build **things**.",
    }
    return {**row, **overrides}


def test_same_title_company_and_city_on_two_boards_share_a_key():
    indeed = jobspy_row()
    linkedin = jobspy_row(
        site="linkedin",
        job_url="https://www.linkedin.com/jobs/view/9",
        title="Senior Python Developer!",
        company="ACME corp",
        location="Austin, Texas",
    )
    other_city = jobspy_row(location="Boston, MA, US")
    assert jobs.dedupe_key(indeed) == jobs.dedupe_key(linkedin)
    assert jobs.dedupe_key(indeed) != jobs.dedupe_key(other_city)


def test_a_job_without_company_is_identified_by_its_url():
    assert jobs.dedupe_key(jobspy_row(company=None)) != jobs.dedupe_key(jobspy_row(company=None, job_url="https://x/2"))


@pytest.mark.parametrize(
    ("interval", "low", "expected"),
    [("hourly", 50.0, 104000.0), ("monthly", 5000.0, 60000.0), ("yearly", 90000.0, 90000.0), (None, 1.0, None)],
)
def test_salary_is_normalised_to_a_year(interval, low, expected):
    assert jobs.yearly_salary({"interval": interval, "min_amount": low, "max_amount": None})[0] == expected


def make_search() -> uuid.UUID:
    with write_session() as session:
        search = Search(params={"search_term": "python"}, label="python")
        session.add(search)
    return search.id


def test_storing_two_boards_merges_duplicates_with_both_sources(db):
    search_id = make_search()
    with write_session() as session:
        assert (
            jobs.store_site_jobs(
                session=session,
                search_id=search_id,
                site="indeed",
                rows=[jobspy_row(), jobspy_row(id="in-2", title="Data Engineer", job_url="https://www.indeed.com/viewjob?jk=2")],
            )
            == 2
        )
    with write_session() as session:
        linked = jobs.store_site_jobs(
            session=session,
            search_id=search_id,
            site="linkedin",
            rows=[jobspy_row(id="li-9", site="linkedin", job_url="https://www.linkedin.com/jobs/view/9")],
        )
        assert linked == 1
    with read_session() as session:
        rows = jobs.search_rows(session=session, search_id=search_id)
        assert jobs.count_search_jobs(session=session, search_id=search_id) == 2
        merged = next(row for row in rows if row.title == "Senior Python Developer")
        assert merged.sites == ["indeed", "linkedin"]
        job = jobs.get_job(session=session, job_id=uuid.UUID(merged.id), owner_id=None)
        assert [source["site"] for source in job.sources] == ["indeed", "linkedin"]
        assert (job.interval, job.min_amount, job.yearly_min, job.yearly_max) == ("hourly", 50.0, 104000.0, 124800.0)
        assert merged.salary == "USD 50–60 per hour (≈ 104,000–124,800 a year)"


def test_storing_the_same_site_twice_does_not_duplicate(db):
    search_id = make_search()
    for _ in range(2):
        with write_session() as session:
            jobs.store_site_jobs(session=session, search_id=search_id, site="indeed", rows=[jobspy_row(), jobspy_row()])
    with read_session() as session:
        (row,) = jobs.search_rows(session=session, search_id=search_id)
        assert row.sites == ["indeed"]
        assert len(jobs.get_job(session=session, job_id=uuid.UUID(row.id), owner_id=None).sources) == 1


def row(**overrides) -> jobs.JobRow:
    base = dict(
        id="1",
        title="Python Dev",
        company="Acme",
        location="Austin, TX",
        sites=["indeed"],
        job_url="u",
        date_posted="2026-11-20",
        job_type="fulltime",
        is_remote=False,
        salary="",
        yearly_min=100000.0,
        currency="USD",
    )
    return jobs.JobRow(**{**base, **overrides})


def test_filters_combine_and_sort():
    rows = [
        row(id="a"),
        row(id="b", sites=["linkedin"], is_remote=True, yearly_min=150000.0, date_posted="2026-11-24"),
        row(id="c", title="Nurse", job_type="parttime", yearly_min=None, date_posted="2026-10-01"),
    ]
    today = date(2026, 11, 25)

    def pick(**kw):
        return [r.id for r in jobs.filter_rows(rows, jobs.JobFilter(**kw), today=today)]

    assert pick() == ["b", "a", "c"]
    assert pick(sites=frozenset({"linkedin"})) == ["b"]
    assert pick(remote="onsite") == ["a", "c"]
    assert pick(job_type="parttime") == ["c"]
    assert pick(min_yearly_salary=120000) == ["b"]
    assert pick(posted_within_days=7) == ["b", "a"]
    assert pick(text="python acme") == ["b", "a"]
    assert pick(sort="salary") == ["b", "a", "c"]


def test_exports_keep_order_and_every_field(db):
    search_id = make_search()
    with write_session() as session:
        jobs.store_site_jobs(
            session=session,
            search_id=search_id,
            site="indeed",
            rows=[jobspy_row(), jobspy_row(id="in-2", title='Data Engineer, "ML"', job_url="https://www.indeed.com/viewjob?jk=2")],
        )
    with read_session() as session:
        ids = [r.id for r in jobs.search_rows(session=session, search_id=search_id)][::-1]
        as_csv = jobs.export_jobs(session=session, job_ids=ids, export_format="csv")
        as_json = jobs.export_jobs(session=session, job_ids=ids, export_format="json")
        as_xlsx = jobs.export_jobs(session=session, job_ids=ids, export_format="xlsx")
        with pytest.raises(ValueError, match="unknown export format"):
            jobs.export_jobs(session=session, job_ids=ids, export_format="pdf")
    records = list(csv.DictReader(io.StringIO(as_csv.decode())))
    assert [r["id"] for r in records] == ids
    assert {"title", "company", "yearly_min", "description", "job_url", "sites"} <= set(records[0])
    assert json.loads(as_json)[1]["id"] == ids[1]
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx)).active
    assert sheet.max_row == 3 and sheet.cell(1, 1).value == "id"


def test_two_alike_openings_on_one_board_stay_two_jobs(db):
    search_id = make_search()
    first = jobspy_row()
    second = jobspy_row(id="in-7", job_url="https://www.indeed.com/viewjob?jk=7")
    with write_session() as session:
        assert jobs.store_site_jobs(session=session, search_id=search_id, site="indeed", rows=[first, second]) == 2
    with write_session() as session:  # and a cross-post of one of them still merges
        jobs.store_site_jobs(
            session=session,
            search_id=search_id,
            site="linkedin",
            rows=[jobspy_row(site="linkedin", job_url="https://www.linkedin.com/jobs/view/9")],
        )
        jobs.store_site_jobs(session=session, search_id=search_id, site="indeed", rows=[second])  # seen again
    with read_session() as session:
        rows = jobs.search_rows(session=session, search_id=search_id)
    assert sorted(row.sites for row in rows) == [["indeed"], ["indeed", "linkedin"]]


def test_pay_sorts_by_the_yearly_top_or_middle_and_never_mixes_currencies():
    rows = [
        row(id="usd-wide", yearly_min=50_000.0, yearly_max=200_000.0),
        row(id="usd-narrow", yearly_min=140_000.0, yearly_max=150_000.0),
        row(id="usd-min-only", yearly_min=160_000.0),
        row(id="cad-high", yearly_min=300_000.0, yearly_max=320_000.0, currency="CAD"),
        row(id="none", yearly_min=None),
    ]

    def pick(sort):
        return [r.id for r in jobs.filter_rows(rows, jobs.JobFilter(sort=sort), today=date(2026, 11, 25))]

    # USD (three jobs) before CAD (one), whatever the numbers; jobs without pay last.
    assert pick("salary") == ["usd-wide", "usd-min-only", "usd-narrow", "cad-high", "none"]
    assert pick("salary_mid") == ["usd-min-only", "usd-narrow", "usd-wide", "cad-high", "none"]

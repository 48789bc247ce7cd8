"""Storing a job again enriches it, one posting on two boards is one job, reposts are seen."""

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from jobspy_web.db import primary_engine, read_session, write_session
from jobspy_web.models import Job, Search, User
from jobspy_web.search import jobs


def posting(**overrides) -> dict:
    """A JobSpy row with little in it, as a board's search results often are."""
    row = {
        "id": "in-1",
        "site": "indeed",
        "job_url": "https://www.indeed.com/viewjob?jk=1",
        "title": "Senior Python Developer",
        "company": "Initech",
        "location": "Austin, TX, US",
        "date_posted": date(2026, 11, 20),
    }
    return {**row, **overrides}


def linkedin(number: int = 9, **overrides) -> dict:
    return posting(id=f"li-{number}", site="linkedin", job_url=f"https://www.linkedin.com/jobs/view/{number}", **overrides)


def make_search(owner_id: uuid.UUID | None = None, minutes_ago: int = 0) -> uuid.UUID:
    with write_session() as session:
        search = Search(params={"search_term": "python"}, owner_id=owner_id)
        search.created_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        session.add(search)
    return search.id


def make_user(email: str) -> uuid.UUID:
    with write_session() as session:
        user = User(email=email)
        session.add(user)
    return user.id


def store(search_id: uuid.UUID, site: str, rows: list[dict]) -> int:
    with write_session() as session:
        return jobs.store_site_jobs(session=session, search_id=search_id, site=site, rows=rows)


def stored_jobs() -> list[Job]:
    with read_session() as session:
        return list(session.exec(jobs.select(Job).order_by(Job.first_seen_at)))


def rows_of(search_id: uuid.UUID) -> list[jobs.JobRow]:
    with read_session() as session:
        return jobs.search_rows(session=session, search_id=search_id)


# --- Re-running enriches ------------------------------------------------------------------


def test_a_rerun_fills_what_the_first_search_lacked_and_keeps_both_sources(db):
    first, rerun = make_search(), make_search()
    store(first, "indeed", [posting()])
    richer = linkedin(
        description="Build **things**.",
        job_type="fulltime",
        interval="yearly",
        min_amount=120000.0,
        max_amount=150000.0,
        currency="USD",
        job_url_direct="https://initech.example/jobs/42",
        company_url="https://www.linkedin.com/company/initech",
        company_industry="Software",
        company_logo="https://media.licdn.com/initech.png",
        is_remote=False,
    )
    store(rerun, "linkedin", [richer])

    (job,) = stored_jobs()
    assert (job.description, job.job_type, job.job_url_direct) == ("Build **things**.", "fulltime", "https://initech.example/jobs/42")
    assert (job.interval, job.min_amount, job.max_amount, job.currency) == ("yearly", 120000.0, 150000.0, "USD")
    assert (job.yearly_min, job.yearly_max) == (120000.0, 150000.0)
    assert (job.company_url, job.company_industry, job.is_remote) == (richer["company_url"], "Software", False)
    assert (job.site, job.job_url, job.external_id) == ("indeed", posting()["job_url"], "in-1")  # the first board's own
    assert [source["site"] for source in job.sources] == ["indeed", "linkedin"]
    assert job.last_seen_at > job.first_seen_at
    assert [row.sites for row in rows_of(first)] == [["indeed"]]
    assert [(row.sites, row.salary) for row in rows_of(rerun)] == [(["linkedin"], "USD 120,000–150,000 a year")]


def test_a_later_row_lacking_fields_blanks_nothing_and_pay_is_never_mixed(db):
    search_id = make_search()
    full = posting(description="Full text", job_type="fulltime", interval="hourly", min_amount=50.0, max_amount=60.0, currency="USD")
    store(search_id, "indeed", [full])
    store(search_id, "linkedin", [linkedin(description="", job_type=None, interval="yearly", min_amount=90000.0, max_amount=None)])
    store(search_id, "indeed", [posting(description=None, job_type="  ")])  # the same board, seen again

    (job,) = stored_jobs()
    assert (job.description, job.job_type) == ("Full text", "fulltime")
    assert (job.interval, job.min_amount, job.max_amount, job.yearly_min) == ("hourly", 50.0, 60.0, 104000.0)
    assert len(job.sources) == 2


def test_the_same_board_seen_again_adds_its_direct_link_to_its_source(db):
    search_id = make_search()
    store(search_id, "indeed", [posting()])
    store(search_id, "indeed", [posting(job_url_direct="https://initech.example/apply")])
    (job,) = stored_jobs()
    assert job.sources == [{"site": "indeed", "job_url": posting()["job_url"], "job_url_direct": "https://initech.example/apply"}]
    assert job.job_url_direct == "https://initech.example/apply"


def test_pages_of_one_site_add_up_and_a_repeated_page_changes_nothing(db):
    search_id = make_search()
    page_one = [posting(), posting(id="in-2", title="Data Engineer", job_url="https://www.indeed.com/viewjob?jk=2")]
    page_two = [posting(id="in-3", title="QA Analyst", job_url="https://www.indeed.com/viewjob?jk=3")]
    assert store(search_id, "indeed", page_one) == 2
    assert store(search_id, "indeed", page_two) == 1
    assert store(search_id, "indeed", page_one) == 2
    assert store(search_id, "indeed", page_one + page_one) == 2  # a row twice in one page too

    assert sorted((row.title, row.sites) for row in rows_of(search_id)) == [
        ("Data Engineer", ["indeed"]),
        ("QA Analyst", ["indeed"]),
        ("Senior Python Developer", ["indeed"]),
    ]
    assert [len(job.sources) for job in stored_jobs()] == [1, 1, 1]


def test_a_row_twice_in_one_page_gives_the_job_what_either_has(db):
    search_id = make_search()
    store(search_id, "indeed", [posting(), posting(description="From the second copy", company_industry="Software")])
    (job,) = stored_jobs()
    assert (job.description, job.company_industry) == ("From the second copy", "Software")


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = primary_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_page_costs_a_few_statements_however_many_rows(db):
    search_id = make_search()
    page = [posting(id=f"in-{n}", title=f"Python Developer {n}", job_url=f"https://www.indeed.com/viewjob?jk={n}") for n in range(25)]
    with counted_statements() as first_sighting:
        store(search_id, "indeed", page)
    cross_posts = [linkedin(n, title=f"Python Developer {n}", description="More") for n in range(25)]
    with counted_statements() as cross_posted:
        store(search_id, "linkedin", cross_posts)
    assert len(stored_jobs()) == 25
    # Look-up, upsert, links read, links written; cross-posts: sources and sites updated
    # (each one executemany), no new links.
    assert len(first_sighting) == 4, first_sighting
    assert len(cross_posted) == 5, cross_posted


# --- One posting on two boards is one job ------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Sr. Python Developer", "Initech, Inc."), ("Senior Python Developer", "Initech")),
        (("Jr Data Eng", "Acme LLC"), ("Junior Data Engineer", "ACME")),
        (("Snr. Sales Mgr", "Globex Ltd."), ("senior sales manager", "Globex")),
        (("Backend Developer", "Müller GmbH"), ("BACKEND DEVELOPER!", "Muller")),
        (("Analyst, Risk", "Banco S.A."), ("Analyst - Risk", "Banco")),
        (("Store Manager", "Tesco PLC"), ("Store Manager", "tesco plc")),
        (("Research & Development Lead", "Procter & Gamble Co."), ("Research and Development Lead", "Procter and Gamble")),
    ],
)
def test_spelling_variants_share_a_key(first, second):
    one = posting(title=first[0], company=first[1])
    other = linkedin(title=second[0], company=second[1], location="Austin, Texas")
    assert jobs.dedupe_key(one) == jobs.dedupe_key(other)
    assert jobs.company_city_key(one) == jobs.company_city_key(other)


@pytest.mark.parametrize(
    ("first", "second"),
    [("Python Developer", "Java Developer"), ("C++ Developer", "C# Developer"), ("Software Engineer II", "Software Engineer III")],
)
def test_different_jobs_have_different_keys_and_titles_not_alike(first, second):
    assert jobs.dedupe_key(posting(title=first)) != jobs.dedupe_key(posting(title=second))
    assert jobs.title_similarity(jobs.title_identity(first), jobs.title_identity(second)) < jobs.SAME_TITLE_SCORE


def test_the_same_posting_on_two_boards_is_one_job_listing_both(db):
    search_id = make_search()
    store(search_id, "indeed", [posting(title="Sr. Python Developer", company="Initech, Inc.")])
    store(search_id, "linkedin", [linkedin(title="Senior Python Developer", company="Initech", location="Austin, Texas")])
    (row,) = rows_of(search_id)
    assert (row.title, row.company, row.sites) == ("Sr. Python Developer", "Initech, Inc.", ["indeed", "linkedin"])
    (job,) = stored_jobs()
    assert [source["site"] for source in job.sources] == ["indeed", "linkedin"]


def test_alike_titles_at_one_company_and_city_are_one_job(db):
    search_id = make_search()
    store(search_id, "indeed", [posting(title="Senior Software Engineer (Back End)")])
    store(search_id, "linkedin", [linkedin(title="Senior Software Engineer - Backend")])
    store(
        search_id,
        "google",
        [posting(site="google", job_url="https://g.co/1", title="Senior Software Engineer, Backend", location="Boston")],
    )
    assert sorted(row.sites for row in rows_of(search_id)) == [["google"], ["indeed", "linkedin"]]  # Boston is elsewhere


def test_different_jobs_at_one_company_stay_apart(db):
    search_id = make_search()
    store(search_id, "indeed", [posting(title="Python Developer"), posting(id="in-2", title="Software Engineer II", job_url="https://x/2")])
    store(search_id, "linkedin", [linkedin(title="Java Developer"), linkedin(10, title="Software Engineer III")])
    assert sorted(row.title for row in rows_of(search_id)) == [
        "Java Developer",
        "Python Developer",
        "Software Engineer II",
        "Software Engineer III",
    ]


def test_alike_openings_on_one_board_stay_two_and_pair_with_another_boards(db):
    search_id = make_search()
    store(search_id, "indeed", [posting(title="Sr. Python Developer"), posting(id="in-2", job_url="https://www.indeed.com/viewjob?jk=2")])
    assert len(stored_jobs()) == 2
    store(search_id, "linkedin", [linkedin(9), linkedin(10, title="Senior Python Developers")])
    assert sorted(row.sites for row in rows_of(search_id)) == [["indeed", "linkedin"], ["indeed", "linkedin"]]
    store(search_id, "indeed", [posting(id="in-2", job_url="https://www.indeed.com/viewjob?jk=2")])  # seen again: no third job
    assert len(stored_jobs()) == 2


def test_a_rerun_finds_its_job_by_the_boards_url_though_the_title_changed(db):
    search_id = make_search()
    store(search_id, "indeed", [posting(title="Python Developer")])
    store(search_id, "indeed", [posting(title="Python Developer (Hybrid, 3 days)", description="Now with text")])
    (job,) = stored_jobs()
    assert (job.title, job.description) == ("Python Developer", "Now with text")


# --- A repost the owner saw before -------------------------------------------------------


def test_jobs_an_owner_found_before_are_seen_in_their_later_searches_only(db):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    earlier = make_search(alice, minutes_ago=60)
    store(earlier, "indeed", [posting(title="Sr. Python Developer")])
    later = make_search(alice)
    store(later, "linkedin", [linkedin(), linkedin(10, title="Data Engineer")])  # a cross-post of the same job, and a new one
    bobs, anonymous = make_search(bob), make_search()
    for search_id in (bobs, anonymous):
        store(search_id, "linkedin", [linkedin()])

    assert {(row.title, row.seen) for row in rows_of(later)} == {("Sr. Python Developer", True), ("Data Engineer", False)}
    assert [row.seen for row in rows_of(earlier)] == [False]
    assert [row.seen for row in rows_of(bobs)] == [False]
    assert [row.seen for row in rows_of(anonymous)] == [False]
    assert "seen" in rows_of(later)[0].as_json()  # the API shows it too


def test_two_boards_storing_one_job_at_once_both_count(pg_db):
    """PostgreSQL: the upsert locks the job, so the second board waits, then adds to what
    the first wrote (its source and its site on the link) rather than over it."""
    search_id = make_search()
    store(make_search(), "indeed", [posting()])  # the job is stored already
    first_holds_lock, errors = threading.Event(), []

    def linkedin_page() -> None:
        with write_session() as session:
            jobs.store_site_jobs(session=session, search_id=search_id, site="linkedin", rows=[linkedin()])
            first_holds_lock.set()
            time.sleep(0.3)  # commit late: google's store must wait for it

    def google_page() -> None:
        first_holds_lock.wait(5)
        store(search_id, "google", [posting(site="google", job_url="https://g.co/1")])

    threads = [threading.Thread(target=lambda target=target: _run(target, errors)) for target in (linkedin_page, google_page)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    (job,) = stored_jobs()
    assert [source["site"] for source in job.sources] == ["indeed", "linkedin", "google"]
    assert [row.sites for row in rows_of(search_id)] == [["linkedin", "google"]]


def _run(target, errors: list) -> None:
    try:
        target()
    except Exception as error:  # shown by the assertion in the test's own thread
        errors.append(error)

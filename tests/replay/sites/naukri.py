"""Naukri: the app's JSON API, www.naukri.com.

GET /jobapi/v3/search?keyword=...&noOfResults=20&pageNo=<n>&... answers
{"noOfJobs": total, "jobDetails": [...]}, a page of jobs (naukri_job.json)
from the keyword; a page past the last is a 400, as JobSpy expects. Pay is a
yearly CTC in rupees ("8-10.5 Lacs PA"); postings paid otherwise say "Not
disclosed" (hideSalary). GET /jobapi/v4/job/<jobId>, which JobSpy fetches with
fetch_description, answers {"jobDetails": ...} (naukri_job_details.json), its
createdDate in India's time. The request token (nkparam) isn't checked.

Drift (modes drifted, partial): a drifted job's `jdURL` is `jdUrl` and its
`placeholders` `placeHolders`, as if the API had been renamed; JobSpy's Job
model requires both, so its validation fails ("2 validation errors for Job")
and JobSpy logs `skipping job: ...`. The job keeps its `jobId` and
`createdDate`, which JobSpy reads first (a job without createdDate would end
the search after its page). Job pages don't drift.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta, timezone
from html import unescape

from ..behaviour import SiteBehaviour
from ..catalog import Board, Posting, slugify
from ..fixtures import fill_json
from ..http11 import Request, Response, json_response, status_response

SITE = "naukri"
SEARCH_PATH = "/jobapi/v3/search"
JOB_PAGE_PATH = re.compile(r"/jobapi/v4/job/(\d+)")
DEFAULT_PAGE_SIZE = 20
ID_BASE = 100_000_000_000
"""Job ids have twelve digits."""
INDIA_TIME = timezone(timedelta(hours=5, minutes=30))
LAKH = 100_000

EXPERIENCE = {"Entry level": "0-2 Yrs", "Associate": "2-5 Yrs", "Mid-Senior level": "5-10 Yrs", "Director": "10-15 Yrs"}
EMPLOYMENT_TYPES = {
    "fulltime": "Full Time, Permanent",
    "parttime": "Part Time, Permanent",
    "contract": "Temporary/Contractual",
    "internship": "Full Time, Temporary/Contractual",
}
DRIFT = {"jdURL": "jdUrl", "placeholders": "placeHolders"}


def respond(request: Request, behaviour: SiteBehaviour) -> Response:
    if request.method != "GET":
        return status_response(405)
    if request.path == SEARCH_PATH:
        return _search(request.query, behaviour)
    if job_page := JOB_PAGE_PATH.fullmatch(request.path):
        return _job_page(int(job_page[1]) - ID_BASE, behaviour.job_count)
    return status_response(404)


def _search(query: dict[str, str], behaviour: SiteBehaviour) -> Response:
    job_count = behaviour.job_count
    board = Board(SITE, query.get("keyword") or None, job_count)
    page_size = int(query.get("noOfResults") or DEFAULT_PAGE_SIZE)
    page = int(query.get("pageNo") or 1)
    if page > 1 and page > math.ceil(job_count / page_size):
        return json_response({"message": "Invalid page number"}, 400)
    postings = board.page((page - 1) * page_size, page_size)
    jobs = [_job(posting, behaviour.unreadable(posting.index)) for posting in postings]
    return json_response({"noOfJobs": job_count, "jobDetails": jobs, "clusters": {}})


def _job(posting: Posting, drifted: bool) -> dict[str, object]:
    company, pay = posting.company, posting.pay
    shown_pay = pay if pay and pay.interval == "yearly" else None
    experience = EXPERIENCE[posting.level.seniority]
    company_apply = posting.index % 4 == 3
    job: dict[str, object] = fill_json(
        "naukri_job.json",
        title=posting.title,
        job_id=_job_id(posting.number),
        age=posting.age,
        company=company.name,
        skills=",".join(posting.skills),
        experience=experience,
        salary_label=f"{shown_pay.low / LAKH:g}-{shown_pay.high / LAKH:g} Lacs PA" if shown_pay else "Not disclosed",
        location_label="Remote" if posting.remote else posting.place.city,
        company_id=company.number,
        jd_url=(
            f"/job-listings-{slugify(posting.title)}-{company.slug}-{slugify(posting.place.city)}"
            f"-{experience.removesuffix(' Yrs').replace('-', '-to-')}-years-{_job_id(posting.number)}"
        ),
        static_url=f"{company.slug}-jobs-careers-{company.number}",
        reviews_url=f"https://www.ambitionbox.com/reviews/{company.slug}-reviews",
        reviews_title=f"{company.name} Reviews",
        rating_count=company.reviews,
        rating=company.rating,
        snippet=_snippet(posting),
        created_ms=int(posting.posted_at.timestamp() * 1000),
        logo_url=company.logo_url,
        company_apply=company_apply,
        apply_url=posting.employer_apply_url if company_apply else None,
        vacancy=1 + posting.index % 3,
        job_type="internship" if posting.job_type == "internship" else None,
        employment_type=EMPLOYMENT_TYPES[posting.job_type],
        salary_min=shown_pay.low if shown_pay else 0,
        salary_max=shown_pay.high if shown_pay else 0,
        hide_salary=shown_pay is None,
    )
    if drifted:
        job = {DRIFT.get(name, name): value for name, value in job.items()}
    return job


def _job_page(number: int, job_count: int) -> Response:
    posting = Board(SITE, None, job_count).find(number)
    if posting is None:
        return json_response({"message": "Job not found"}, 404)
    company = posting.company
    company_apply = posting.index % 4 == 3
    details = fill_json(
        "naukri_job_details.json",
        job_id=_job_id(number),
        title=posting.title,
        description_html=posting.description_html,
        snippet=_snippet(posting),
        created=posting.posted_at.astimezone(INDIA_TIME).strftime("%Y-%m-%d %H:%M:%S"),
        industry=company.industry,
        employment_type=EMPLOYMENT_TYPES[posting.job_type],
        job_type="internship" if posting.job_type == "internship" else None,
        vacancy=1 + posting.index % 3,
        apply_url=posting.employer_apply_url if company_apply else None,
        company=company.name,
        company_about=company.about,
        headquarters=company.headquarters,
        website=company.website,
    )
    return json_response(details)


def _job_id(number: int) -> str:
    return str(ID_BASE + number)


def _snippet(posting: Posting) -> str:
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", posting.description_html)).split())
    return text[:150]

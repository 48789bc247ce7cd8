"""BDJobs: the search API, api.bdjobs.com, and the job details API, gateway.bdjobs.com.

GET api.bdjobs.com/Jobs/api/JobSearch/GetJobSearch?keyword=...&rpp=50&pg=<n>
answers {"data": [...], "premiumData": [...], "common": {"totalpages": n}}: a
page of rpp jobs (bdjobs_job.json) from the keyword, the first
PREMIUM_PER_PAGE of page 1 in premiumData (which JobSpy puts before data), the
rest in data. Pay is monthly, in taka ("Tk. 30000 - 45000 (Monthly)");
postings paid otherwise say "Negotiable". GET gateway.bdjobs.com/jobapply/api/
JobSubsystem/Job-Details?jobId=<id>, which JobSpy fetches with
fetch_description, answers {"data": [details]} (bdjobs_job_details.json).

Drift (modes drifted, partial): a drifted job's `jobTitle` is `JobTitle` and
its `JobType` `jobNature` (the search's own name for it), as if the API had
been renamed; JobSpy's Job model requires both, so its validation fails ("2
validation errors for Job") and JobSpy logs `skipping job: ...`. The job keeps
its `Jobid`, which JobSpy reads first. Job details don't drift.
"""

from __future__ import annotations

import math
from datetime import timedelta

from ..behaviour import SiteBehaviour
from ..catalog import Board, Posting
from ..fixtures import fill_json
from ..http11 import Request, Response, json_response, status_response

SITE = "bdjobs"
SEARCH_PATH = "/Jobs/api/JobSearch/GetJobSearch"
DETAILS_PATH = "/jobapply/api/JobSubsystem/Job-Details"
DEFAULT_PAGE_SIZE = 50
PREMIUM_PER_PAGE = 3
ID_BASE = 1_000_000_000

JOB_TYPES = {"fulltime": "FullTime", "parttime": "PartTime", "contract": "Contract", "internship": "Intern"}
EXPERIENCE = {"Entry level": "NA", "Associate": "2 to 5 year(s)", "Mid-Senior level": "5 to 10 year(s)", "Director": "At least 10 year(s)"}
EDUCATION = "Bachelor of Science (BSc) in Computer Science & Engineering"
DRIFT = {"jobTitle": "JobTitle", "JobType": "jobNature"}


def respond(request: Request, behaviour: SiteBehaviour) -> Response:
    if request.method != "GET":
        return status_response(405)
    host = request.headers.get("host", "")
    if (host, request.path) == ("api.bdjobs.com", SEARCH_PATH):
        return _search(request.query, behaviour)
    if (host, request.path) == ("gateway.bdjobs.com", DETAILS_PATH) and "jobId" in request.query:
        return _details(request.query["jobId"], behaviour.job_count)
    return status_response(404)


def _search(query: dict[str, str], behaviour: SiteBehaviour) -> Response:
    job_count = behaviour.job_count
    board = Board(SITE, query.get("keyword") or None, job_count)
    page_size = int(query.get("rpp") or DEFAULT_PAGE_SIZE)
    page = int(query.get("pg") or 1)
    postings = board.page((page - 1) * page_size, page_size)
    jobs = [_job(posting, behaviour.unreadable(posting.index)) for posting in postings]
    premium = PREMIUM_PER_PAGE if page == 1 else 0
    total_pages = math.ceil(job_count / page_size)
    return json_response(
        {
            "statuscode": "0",
            "message": "Success",
            "data": jobs[premium:],
            "premiumData": jobs[:premium],
            "common": {"totalpages": total_pages, "total_records_found": job_count},
        }
    )


def _job(posting: Posting, drifted: bool) -> dict[str, object]:
    company, pay = posting.company, posting.pay
    salary = f"Tk. {pay.low:.0f} - {pay.high:.0f} (Monthly)" if pay and pay.interval == "monthly" else "Negotiable"
    job: dict[str, object] = fill_json(
        "bdjobs_job.json",
        job_id=_job_id(posting.number),
        title=posting.title,
        company=company.name,
        published=posting.posted_at.isoformat().replace("+00:00", "Z"),
        deadline=(posting.posted_at + timedelta(days=30)).isoformat().replace("+00:00", "Z"),
        location="Anywhere in Bangladesh" if posting.remote else posting.place.city,
        experience=EXPERIENCE[posting.level.seniority],
        education=EDUCATION,
        job_type=JOB_TYPES[posting.job_type],
        work_place="Home" if posting.remote else "Office",
        salary=salary,
        logo_url=company.logo_url,
        vacancies=1 + posting.index % 3,
        standout="1" if posting.index < PREMIUM_PER_PAGE else "0",
    )
    if drifted:
        job = {DRIFT.get(name, name): value for name, value in job.items()}
    return job


def _details(job_id: str, job_count: int) -> Response:
    posting = Board(SITE, None, job_count).find(int(job_id) - ID_BASE) if job_id.isdecimal() else None
    if posting is None:
        return json_response({"statuscode": "1", "message": "No job found", "data": None})
    company = posting.company
    details = fill_json(
        "bdjobs_job_details.json",
        job_id=job_id,
        title=posting.title,
        company=company.name,
        description_html=posting.description_html,
        education=EDUCATION,
        experience=EXPERIENCE[posting.level.seniority],
        skills=", ".join(posting.skills),
        company_id=str(company.number),
        website=company.website.removeprefix("https://"),
        apply_link=f"<a href='{posting.employer_apply_url}' target='_blank'>Apply online</a>",
        headquarters=company.headquarters,
        company_about=company.about,
    )
    return json_response(details)


def _job_id(number: int) -> str:
    return str(ID_BASE + number)

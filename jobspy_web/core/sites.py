"""The job boards JobSpy Web searches, by JobSpy's site value, with the names people read."""

SITES: dict[str, str] = {
    "indeed": "Indeed",
    "linkedin": "LinkedIn",
    "zip_recruiter": "ZipRecruiter",
    "glassdoor": "Glassdoor",
    "google": "Google",
    "bayt": "Bayt",
    "naukri": "Naukri",
    "bdjobs": "BDJobs",
}
DEFAULT_SITES = ["indeed", "linkedin", "zip_recruiter", "glassdoor"]

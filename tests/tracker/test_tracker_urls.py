"""One job, one address: the boards' tracking parameters and alternative paths don't count."""

import pytest

from jobspy_web.tracker.urls import normalise_url, url_key

SAME = [
    (
        "https://www.linkedin.com/jobs/view/senior-python-developer-at-acme-3912345678/?refId=abc&trackingId=x%3D%3D",
        "https://linkedin.com/jobs/search/?currentJobId=3912345678&keywords=python",
        "http://m.linkedin.com/jobs/view/3912345678",
    ),
    ("https://www.indeed.com/viewjob?jk=abc123&from=serp&vjs=3", "https://indeed.com/jobs?q=python&vjk=abc123"),
    ("https://uk.indeed.com/viewjob?jk=abc123", "https://uk.indeed.com/viewjob?jk=abc123&tk=1"),
    (
        "https://www.glassdoor.com/job-listing/python-dev-acme-JV_IC1_KO0,10.htm?jl=1009&pos=102",
        "https://glassdoor.com/partner/jobListing.htm?jl=1009",
    ),
    (
        "https://www.ziprecruiter.com/c/Acme/Job/Dev/-in-Austin,TX?jid=123&utm_source=feed#apply",
        "https://ziprecruiter.com/c/Acme/Job/Dev/-in-Austin,TX/?jid=123",
    ),
    ("https://www.google.com/search?q=python&ibp=htl;jobs#htivrt=jobs&htidocid=XYZ%3D%3D", "https://google.com/search?htidocid=XYZ%3D%3D"),
    ("https://careers.example.com/jobs/42?b=2&a=1&utm_campaign=x", "HTTPS://Careers.Example.com/jobs/42/?a=1&b=2"),
]
DIFFERENT = [
    ("https://www.linkedin.com/jobs/view/3912345678", "https://www.linkedin.com/jobs/view/3912345679"),
    ("https://www.indeed.com/viewjob?jk=abc123", "https://uk.indeed.com/viewjob?jk=abc123"),
    ("https://careers.example.com/jobs/42?id=1", "https://careers.example.com/jobs/42?id=2"),
    ("https://careers.example.com/Jobs/42", "https://careers.example.com/jobs/42"),
]


@pytest.mark.parametrize("addresses", SAME)
def test_addresses_of_one_posting_share_a_key(addresses):
    assert len({normalise_url(address) for address in addresses}) == 1
    assert len({url_key(address) for address in addresses}) == 1


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_addresses_of_different_postings_keep_different_keys(first, second):
    assert url_key(first) != url_key(second)


def test_a_key_is_a_fixed_size_whatever_the_address():
    assert len(url_key("https://example.com/" + "a" * 5000)) == 64

"""A person searches several sites, watches them arrive, filters and exports."""

import csv
import re

from playwright.sync_api import Page, expect

from tests.replay import SiteBehaviour

DEFAULT_TIMEOUT_MS = 30_000


def chip(page: Page, site: str):
    return page.locator(f"#chip-{site}")


def fill_search(page: Page, app_url: str, term: str = "python developer") -> None:
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page.goto(app_url)
    expect(page.locator("#account-menu")).to_be_visible()
    page.get_by_placeholder("Job title, skill or company").fill(term)
    page.get_by_placeholder("City, state or country").fill("Austin, TX")
    page.locator("input[name=results_wanted]").fill("10")


def test_results_arrive_site_by_site_then_filter_and_export_csv(signed_in: Page, app_url: str, replay_proxy, tmp_path):
    page = signed_in
    replay_proxy.scenario.clear()
    replay_proxy.scenario["linkedin"] = SiteBehaviour(delay=6)
    replay_proxy.scenario["glassdoor"] = SiteBehaviour(mode="status", status=429)
    fill_search(page, app_url)

    page.locator("#search-button").click()

    # Indeed answers first; its rows are on the page while LinkedIn is still running.
    expect(chip(page, "indeed")).to_have_attribute("data-state", "done")
    expect(chip(page, "indeed")).to_contain_text("10 jobs")
    expect(chip(page, "linkedin")).to_have_attribute("data-state", "running")
    expect(page.locator(".job-row").first).to_be_visible()
    assert page.locator(".job-row").count() >= 10
    expect(chip(page, "linkedin")).to_have_attribute("data-state", "done", timeout=40_000)
    expect(chip(page, "glassdoor")).to_have_attribute("data-state", "failed")
    expect(page.get_by_text("Glassdoor blocked this server.").first).to_be_visible()
    expect(page.locator(".site-explained[data-site=glassdoor] summary")).to_have_text("details")
    expect(page.locator("#search-status")).to_have_text("completed")
    total = page.locator(".job-row").count()
    assert total >= 25  # indeed + linkedin + zip_recruiter, cross-posts merged

    # Narrow to LinkedIn jobs with a word in the title.
    page.locator("#filter_site-trigger").click()
    page.get_by_role("option", name="LinkedIn").click()
    expect(page.locator(".job-row")).to_have_count(10)
    first_title = page.locator(".job-row").first.locator(".job-title").inner_text()
    word = max(re.findall(r"[A-Za-z]+", first_title), key=len)
    page.locator("#filter-text").fill(word)
    expect(page.locator(".job-row").first).to_contain_text(word)
    shown = page.locator(".job-row").count()
    assert 1 <= shown <= 10

    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    path = tmp_path / "jobs.csv"
    download_info.value.save_as(path)
    with path.open(newline="") as exported:
        records = list(csv.DictReader(exported))
    assert len(records) == shown
    assert all("linkedin" in record["sites"] for record in records)
    assert all(word.lower() in (record["title"] + record["company"] + record["location"]).lower() for record in records)
    assert {"description", "job_url", "yearly_min"} <= set(records[0])

    # The detail view renders the description.
    page.locator(".job-row .job-title").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("dialog").get_by_role("link", name="Open on the site")).to_be_visible()


def test_an_empty_search_explains_itself_and_runs_nothing(signed_in: Page, app_url: str):
    page = signed_in
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page.goto(app_url)
    page.locator("#search-button").click()
    expect(page.locator("#error-search")).to_contain_text("search term")
    expect(page.locator("#search-status")).to_have_count(0)


def test_the_page_fits_a_phone(signed_in: Page, app_url: str, replay_proxy):
    page = signed_in
    replay_proxy.scenario.clear()
    page.set_viewport_size({"width": 375, "height": 800})
    fill_search(page, app_url, "nurse")
    page.locator("#search-button").click()
    expect(page.locator("#search-status")).to_have_text("completed", timeout=40_000)
    expect(page.locator(".job-row").first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"


def test_a_signed_out_visitor_lands_on_what_the_app_does_and_can_sign_up(page: Page, app_url: str):
    page.goto(app_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Every job board, one search")
    expect(page.locator("#landing-sites")).to_contain_text("LinkedIn")
    expect(page.locator("#landing img")).to_have_attribute("src", "/screenshot-search.png")
    expect(page.locator(".landing-plan").first).to_be_visible()
    page.get_by_role("link", name="Create a free account").click()
    page.wait_for_url(re.compile(re.escape(app_url) + r"/signup/?$"))


def test_the_app_is_installable(page: Page, app_url: str):
    manifest = page.request.get(f"{app_url}/manifest.json").json()
    assert manifest["display"] == "standalone" and {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    page.goto(f"{app_url}/login")
    assert page.locator("link[rel=manifest]").get_attribute("href") == "/manifest.json"
    scope = page.evaluate(
        "Promise.race([navigator.serviceWorker.ready.then(r => r.scope), new Promise(r => setTimeout(() => r('none'), 15000))])"
    )
    assert scope == f"{app_url}/"


def _linkedin_search_pages(replay_proxy) -> int:
    return sum(seen.site == "linkedin" and "seeMoreJobPostings" in seen.path for seen in replay_proxy.requests_seen)


def test_linkedin_rows_appear_page_by_page_before_its_next_page_is_served(signed_in: Page, app_url: str, replay_proxy):
    page = signed_in
    replay_proxy.scenario.clear()
    fill_search(page, app_url, "data engineer")
    page.locator("input[name=results_wanted]").fill("20")  # two LinkedIn pages, JobSpy's 3-7 s pause between
    for site in ("indeed", "zip_recruiter", "glassdoor"):
        page.locator(f"#site-{site}").click()
    before = _linkedin_search_pages(replay_proxy)

    page.locator("#search-button").click()

    expect(page.locator(".job-row")).to_have_count(10)
    assert _linkedin_search_pages(replay_proxy) - before == 1, "page 1's rows show while page 2 is not even asked for"
    expect(chip(page, "linkedin")).to_have_attribute("data-state", "running")
    expect(chip(page, "linkedin")).to_contain_text("10 jobs so far")
    expect(chip(page, "linkedin")).to_have_attribute("data-state", "done", timeout=40_000)
    expect(page.locator(".job-row")).to_have_count(20)
    assert _linkedin_search_pages(replay_proxy) - before == 2

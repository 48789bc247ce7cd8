"""'/' paints the landing with its HTML for a signed-out visitor (no wait for the websocket),
and never shows it to a signed-in person on the way to the search (the signed-in hint)."""

import re
import uuid

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import sign_in, sign_up

HEADLINE = "Every job board, one search"
HINT = "jobspy_signed_in"

# From the first frame the page paints (requestAnimationFrame runs only once rendering is no
# longer blocked on the head's stylesheets) until the search form shows: what was on screen.
WATCH = """
window.__seen = {landing: false, spinner: false, search: false};
const look = () => {
  const shown = (selector) => {
    const element = document.querySelector(selector);
    return !!element && element.checkVisibility();
  };
  if (shown('#landing')) window.__seen.landing = true;
  if (shown('.spinner-before-check')) window.__seen.spinner = true;
  if (shown('#search-card')) { window.__seen.search = true; return; }
  requestAnimationFrame(look);
};
requestAnimationFrame(look);
"""


def _hint(page: Page) -> dict | None:
    return next((cookie for cookie in page.context.cookies() if cookie["name"] == HINT), None)


def test_the_served_html_of_slash_is_the_landing(browser: Browser, app_url: str):
    served = httpx.get(f"{app_url}/", follow_redirects=True)
    assert served.status_code == 200 and HEADLINE in served.text and "landing-before-check" in served.text
    # Without any script (so no websocket, no hydration), the landing is what a visitor sees.
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(app_url)
        expect(page.get_by_role("heading", level=1)).to_have_text(HEADLINE)
        expect(page.get_by_role("link", name="Create a free account")).to_be_visible()
        expect(page.locator(".spinner-before-check")).to_be_hidden()
    finally:
        context.close()


def test_a_signed_out_visitor_sees_the_landing_from_the_first_frame_and_no_spinner(page: Page, app_url: str):
    page.add_init_script(WATCH)
    page.goto(app_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    expect(page.locator(".landing-before-check")).to_have_count(0)  # the server has looked: signed out
    seen = page.evaluate("window.__seen")
    assert seen["landing"] and not seen["spinner"] and not seen["search"]


def test_a_signed_in_person_never_sees_the_landing_on_the_way_to_the_search(page: Page, app_url: str):
    email = f"hint-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(page, app_url, email)  # the mailed link signs in: session cookie and hint
    hint = _hint(page)
    assert hint is not None and hint["value"] == "1" and not hint["httpOnly"]
    page.add_init_script(WATCH)
    for _ in range(3):  # a few fresh loads, each from the first frame to the search form
        page.goto(app_url)
        expect(page.locator("#search-card")).to_be_visible()
        page.wait_for_function("window.__seen.search")
        seen = page.evaluate("window.__seen")
        assert not seen["landing"], "the landing flashed before the search page"
        assert seen["spinner"], "the spinner was never painted: the page waited for the websocket?"

    # Signed out: the hint goes with the session, and "/" is the landing again.
    page.locator("#account-menu").click()
    page.locator("#sign-out").click()
    page.wait_for_url(re.compile(r".*/login/?\?notice=signed_out"))
    assert _hint(page) is None
    page.goto(app_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    sign_in(page, app_url, email)
    assert _hint(page) is not None  # the password sign-in sets it too


def test_a_stale_hint_ends_on_the_landing_and_is_cleared(page: Page, app_url: str):
    """The hint without a session (expired, or ended elsewhere) signs nobody in."""
    page.context.add_cookies([{"name": HINT, "value": "1", "url": app_url}])
    page.add_init_script(WATCH)
    page.goto(app_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    expect(page.get_by_role("link", name="Create a free account")).to_be_visible()
    page.wait_for_function(f"!document.cookie.includes('{HINT}=')")
    assert _hint(page) is None and not page.evaluate("window.__seen.search")


def test_the_first_pages_wait_for_their_stylesheets_only_and_still_hydrate(page: Page, app_url: str):
    """No <link rel="modulepreload"> in the prerendered pages (ui.first_paint): their scripts
    don't race the stylesheets to the first paint. The module script still loads them all."""
    for path in ("/", "/login", "/pricing"):
        served = httpx.get(f"{app_url}{path}").text
        assert "modulepreload" not in served, path
        assert '<script type="module"' in served and "entry.client" in served, path
        head = served.split("</head>", 1)[0]
        blocking = re.findall(r'<link[^>]*rel="stylesheet"[^>]*>', head)
        assert len(blocking) == 2, blocking  # app.css and Reflex's global styles, nothing else
    # Hydrated all the same: the nav the server fills in once the websocket is up.
    page.goto(f"{app_url}/login")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans")).to_be_visible()

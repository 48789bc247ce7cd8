"""Browser hardening against the real app: every page loads under our CSP with no violation,
the websocket refuses a foreign Origin, and the app's log holds no secret after real flows.
"""

from __future__ import annotations

import re
import socket
import uuid
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, AppServer, sign_in, sign_up
from tests.e2e.test_accounts_flow import outbox_link

SIGNED_OUT_PAGES = ["/", "/login", "/signup", "/forgot", "/reset?token=x", "/pricing"]
SIGNED_IN_PAGES = ["/", "/history", "/account", "/licenses", "/billing", "/pricing", "/admin", "/billing/pay?plan=desktop_lifetime"]
# Reports every violation to the page, before any of the app's scripts run.
LISTEN_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


def _violations_on(page: Page, url: str, console: list[str]) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__cspViolations") + [line for line in console if "Content Security Policy" in line]


def test_every_page_loads_under_the_csp_with_no_violation(browser: Browser, app_url: str):
    found: dict[str, list[str]] = {}
    for signed_in, paths in ((False, SIGNED_OUT_PAGES), (True, SIGNED_IN_PAGES)):
        context = browser.new_context()
        context.add_init_script(LISTEN_FOR_VIOLATIONS)
        page = context.new_page()
        page.set_default_timeout(30_000)
        console: list[str] = []
        page.on("console", lambda message, lines=console: lines.append(message.text))
        if signed_in:
            sign_in(page, app_url, ADMIN_EMAIL)
        for path in paths:
            console.clear()
            answer = page.request.get(app_url + path)
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
            if problems := _violations_on(page, app_url + path, console):
                found[f"{'signed in' if signed_in else 'signed out'} {path}"] = problems
        # The page works, not merely loads: the websocket is up and state arrives.
        if signed_in:
            page.goto(app_url + "/account")
            expect(page.locator("#create-token")).to_be_visible()
        context.close()
    assert found == {}


def _websocket_handshake(app_url: str, origin: str) -> str:
    """The status line the app answers a websocket upgrade to /_event with, from `origin`."""
    parts = urlsplit(app_url)
    request = (
        f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(request.encode())
        return connection.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def test_the_websocket_refuses_a_foreign_origin_and_accepts_ours(app_url: str):
    assert " 101 " in _websocket_handshake(app_url, app_url)
    for foreign in ("https://evil.example", app_url.replace("http://", "https://"), "null"):
        assert " 101 " not in _websocket_handshake(app_url, foreign), foreign


def test_the_app_log_holds_no_cookie_token_or_link_token(browser: Browser, app_server: AppServer, app_url: str):
    """The e2e flows that touch secrets, then a scan of everything the app logged."""
    email = f"log-scan-{uuid.uuid4().hex[:8]}@example.com"
    person = browser.new_page()
    sign_up(person, app_url, email)
    admin = browser.new_page()
    sign_in(admin, app_url, ADMIN_EMAIL, "/admin")
    link = outbox_link(admin, app_url, email)
    link_token = re.search(r"token=([^&\s]+)", link).group(1)
    person.goto(f"{app_url}/account")
    person.locator("#token-name").fill("log scan")
    person.locator("#create-token").click()
    api_token = person.locator("#new-token-secret").inner_text()
    jwt = httpx.post(f"{app_url}/auth/token", json={"api_token": api_token}).json()["access_token"]
    httpx.get(f"{app_url}/auth/me", headers={"Authorization": f"Bearer {jwt}"})
    httpx.get(f"{app_url}/api/searches", headers={"Authorization": "Bearer not-a-real-token"})  # a refused one is logged
    person.goto(app_url + link[link.index("/auth/verify") :])  # used by sign_up already: once more
    person.wait_for_url(re.compile(r".*error=USED_LINK"))
    cookie = next(item["value"] for item in person.context.cookies() if item["name"] == "jobspy_session")
    client_token = person.evaluate("window.sessionStorage.getItem('token') || ''")
    # Reflex's websocket URL carries the client token: a reconnect writes it to access logs.
    person.reload()
    person.wait_for_load_state("networkidle")

    logged = app_server.log_path.read_text(errors="replace")
    secrets = {"session cookie": cookie, "link token": link_token, "API token": api_token, "access token": jwt}
    if client_token:
        secrets["client token"] = client_token
    assert {name: value for name, value in secrets.items() if value in logged} == {}
    assert "log-scan" in logged or len(logged) > 0  # the scan read a real log

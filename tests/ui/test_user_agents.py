"""Sessions name their device in words, not raw User-Agent strings."""

import pytest

from jobspy_web.ui.user_agents import describe_user_agent

CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
EDGE_WINDOWS = CHROME_LINUX.replace("X11; Linux x86_64", "Windows NT 10.0; Win64; x64") + " Edg/131.0.2903.86"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (CHROME_LINUX, "Chrome 131 on Linux"),
        (EDGE_WINDOWS, "Edge 131 on Windows"),
        (SAFARI_IPHONE, "Safari 17 on iPhone"),
        (FIREFOX_MAC, "Firefox 128 on macOS"),
        ("python-httpx/0.28.1", "Python 0"),
        ("", "Unknown device"),
        (None, "Unknown device"),
        ("victim-browser", "victim-browser"),
    ],
)
def test_a_user_agent_reads_as_browser_and_system(user_agent, shown):
    assert describe_user_agent(user_agent) == shown

"""`serve`: every flag explained, PUBLIC_URL following --port/--host, our own progress lines."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from jobspy_web import cli
from jobspy_web.infra.mail import CONSOLE_MARK


def test_serve_help_explains_every_flag(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    shown = " ".join(capsys.readouterr().out.split())  # argparse's column widths vary
    assert "--port PORT the port to serve on (default: 3000)" in shown
    assert "--host HOST the address to listen on (default: 0.0.0.0, every network interface" in shown
    options = re.findall(r"(--[a-z-]+)(?: [A-Z_]+)? (\S+)", shown.split("options:")[1])
    assert all(not text.startswith("--") for _, text in options)  # every flag has its help text


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [("0.0.0.0", 3100, "http://localhost:3100"), ("127.0.0.1", 3000, "http://localhost:3000"), ("jobs.lan", 8080, "http://jobs.lan:8080")],
)
def test_public_url_follows_the_port_and_host(host, port, url):
    assert cli.public_url_for(host, port) == url


def _fake_server(tmp_path: Path, port: int) -> list[str]:
    """Stands in for `reflex run`: third-party noise, a first-run mail, then /health answers."""
    script = tmp_path / "fake_reflex.py"
    script.write_text(
        textwrap.dedent(f"""
        import http.server, sys
        print("Info: Failed to connect to https://registry.npmmirror.com.")
        print("Success: Initialized jobspy_web. Run `uv run reflex run` to start the app.")
        print("Compiling: 100%")
        print({CONSOLE_MARK!r} + "mail to a@example.com: Confirm your email", file=sys.stderr)
        sys.stdout.flush(); sys.stderr.flush()
        class Health(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
                raise SystemExit(0)
            def log_message(self, *args):
                pass
        try:
            http.server.HTTPServer(("127.0.0.1", {port}), Health).handle_request()
        except SystemExit:
            pass
        """)
    )
    return [sys.executable, str(script)]


def test_the_terminal_shows_our_progress_and_the_mail_while_the_noise_goes_to_the_log(tmp_path, capsys):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = tmp_path / "serve.log"
    code = cli._supervise(_fake_server(tmp_path, port), {}, log_path, f"http://localhost:{port}", f"0.0.0.0:{port}")
    shown = capsys.readouterr().out
    assert code == 0
    assert "jobspy-web: building the UI…" in shown
    assert f"jobspy-web: ready on http://localhost:{port} (listening on 0.0.0.0:{port}" in shown
    assert "mail to a@example.com: Confirm your email" in shown
    assert "npmmirror" not in shown and "uv run" not in shown
    kept = log_path.read_text()
    assert "npmmirror" in kept and "Confirm your email" not in kept  # links stay off the disk


def test_a_terminated_serve_stops_its_server_too(tmp_path):
    """The desktop launcher stops `serve` with SIGTERM; the server, in a session of its own, must go with it."""
    child_pid = tmp_path / "server.pid"
    server = f"import os, time; open({str(child_pid)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    supervise = (
        "import os, sys; from pathlib import Path; from jobspy_web import cli; "
        f"cli._supervise([sys.executable, '-c', {server!r}], dict(os.environ), Path({str(tmp_path / 'serve.log')!r}), "
        "'http://localhost:1', '127.0.0.1:1')"
    )
    supervisor = subprocess.Popen([sys.executable, "-c", supervise], cwd=Path(__file__).parent.parent)
    deadline = time.monotonic() + 30
    while not (child_pid.exists() and child_pid.read_text()):
        assert time.monotonic() < deadline and supervisor.poll() is None, "the server never started"
        time.sleep(0.1)
    pid = int(child_pid.read_text())
    supervisor.send_signal(signal.SIGTERM)
    supervisor.wait(timeout=40)
    deadline = time.monotonic() + 10
    try:
        while _alive(pid):
            assert time.monotonic() < deadline, "the server outlived the terminated serve"
            time.sleep(0.1)
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False

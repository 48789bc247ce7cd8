"""Start the app for one person: its server on loopback, then a native window (pywebview, if
installed) or the default browser, signed in through a one-time launch secret.

The server is `python -m jobspy_web.cli serve` in desktop mode (DESKTOP_MODE), run from the
project folder (Reflex builds its UI there) with DATA_DIR in this person's data folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path

import httpx
import platformdirs

from jobspy_web.accounts import local_mode
from jobspy_web.settings import get_settings

APP_NAME = "JobSpy Web"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 900  # the first start builds the UI: minutes on a slow machine


def data_folder() -> Path:
    """JOBSPY_DESKTOP_HOME, else the OS's place for an app's data (platformdirs):
    ~/.local/share/JobSpy Web, ~/Library/Application Support/JobSpy Web, %LOCALAPPDATA%\\JobSpy Web."""
    override = os.environ.get("JOBSPY_DESKTOP_HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(folder: Path, *, port: int, launch_secret: str, license_server: str) -> dict[str, str]:
    """The server's settings: the embedded defaults, in `folder`, for this person alone."""
    os.environ["DATA_DIR"] = str(folder)
    get_settings.cache_clear()  # local_mode reads the preferences under that DATA_DIR
    chosen = local_mode.preferences()
    env = {
        **os.environ,
        "DESKTOP_MODE": "true",
        "DESKTOP_LAUNCH_SECRET": launch_secret,
        "LICENSE_SERVER_URL": license_server,
        "ENVIRONMENT": "development",  # its own keys, generated in the data folder
        "DATA_DIR": str(folder),
        "DATABASE_URL": "",  # SQLite in the data folder
        "DATABASE_REPLICA_URL": "",
        "REDIS_URL": "",  # in-process cache and limits
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "JOBSPY_SITE_TIMEOUT_SECONDS": f"{chosen.site_timeout_seconds:g}",
    }
    if chosen.proxies:
        env["JOBSPY_PROXIES"] = ",".join(chosen.proxies)
    return env


def _wait_until_serving(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The app stopped while starting (exit {server.returncode}); see serve.log in the data folder.")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200 and httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"The app did not start within {START_TIMEOUT_S} s; see serve.log in the data folder.")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM) if hasattr(os, "killpg") else server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL) if hasattr(os, "killpg") else server.kill()
            server.wait(timeout=10)


def _show(launch_url: str, *, window: bool, server: subprocess.Popen[bytes]) -> None:
    if window and importlib.util.find_spec("webview") is not None:
        import webview  # the optional native window: pip install pywebview

        webview.create_window(APP_NAME, launch_url, width=1200, height=860)
        webview.start()  # returns when the window is closed
        return
    if window:
        webbrowser.open(launch_url)
        print("Opened in your browser (pip install pywebview for a window of its own). Ctrl+C stops the app.")
    else:
        print(f"Open {launch_url} (only on this machine). Ctrl+C stops the app.")
    server.wait()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobspy-desktop", description="JobSpy Web on this machine, for you alone.")
    parser.add_argument("--port", type=int, default=0, help="the local port (default: a free one)")
    parser.add_argument(
        "--license-server", default=os.environ.get("LICENSE_SERVER_URL", ""), help="the License Server (default: LICENSE_SERVER_URL)"
    )
    parser.add_argument("--no-window", action="store_true", help="open neither a window nor the browser: print the address")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not (PROJECT_ROOT / "rxconfig.py").exists():
        print("Run the desktop app from the project folder (pip install -e . there): Reflex builds its UI in it.", file=sys.stderr)
        return 2
    folder = data_folder()
    folder.mkdir(parents=True, exist_ok=True)
    port = args.port or _free_port()
    # The test harness may fix the secret; a person's launch gets a new one every start.
    launch_secret = os.environ.get("DESKTOP_LAUNCH_SECRET") or secrets.token_urlsafe(32)
    env = server_environment(folder, port=port, launch_secret=launch_secret, license_server=args.license_server)
    print(f"Data folder: {folder}")
    command = [sys.executable, "-m", "jobspy_web.cli", "serve", "--port", str(port), "--host", "127.0.0.1"]
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, server)
        _show(f"{url}/desktop/start?launch={launch_secret}", window=not args.no_window, server=server)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(server)
    return 0

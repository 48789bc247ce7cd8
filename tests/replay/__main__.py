"""Run the replay proxy in the foreground, for demos or as a separate process:

    python -m tests.replay --port 8899 --delay linkedin=2.5 --mode indeed=hang
    python -m tests.replay --mode glassdoor=partial --unreadable-every glassdoor=4 \
        --mode indeed=challenge --status indeed=403 --challenge-kind indeed=captcha

It prints the proxy URL and the CA file for scrape_jobs(proxies=[...], ca_cert=...)
and runs until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .behaviour import CHALLENGE_KINDS, MODES, SiteBehaviour
from .proxy import ReplayProxy
from .sites import SITE_NAMES

SETTINGS = (
    ("mode", str, f"one of {', '.join(MODES)}"),
    ("delay", float, "seconds added before each answer"),
    ("status", int, "the status of mode 'status' (429) and of mode 'challenge' (200)"),
    ("jobs", int, "how many jobs the site has (1000)"),
    ("unreadable_every", int, "mode 'partial': every Nth posting is drifted (3)"),
    ("challenge_kind", str, f"mode 'challenge': one of {', '.join(CHALLENGE_KINDS)} (cloudflare)"),
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.replay", description="Fake job sites behind an HTTPS proxy, for JobSpy.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8899, help="0 picks a free port (default 8899)")
    for name, _, help_text in SETTINGS:
        flag = f"--{name.replace('_', '-')}"
        parser.add_argument(flag, dest=name, action="append", default=[], metavar="SITE=VALUE", help=help_text)
    args = parser.parse_args(argv)

    settings: dict[str, dict[str, object]] = {}
    for name, convert, _ in SETTINGS:
        for item in getattr(args, name):
            site, _, value = item.partition("=")
            if site not in SITE_NAMES:
                parser.error(f"--{name.replace('_', '-')} {item}: SITE is one of {', '.join(SITE_NAMES)}")
            try:
                settings.setdefault(site, {})[name] = convert(value)
            except ValueError as e:
                parser.error(f"--{name.replace('_', '-')} {item}: {e}")
    try:
        scenario = {site: SiteBehaviour(**values) for site, values in settings.items()}  # type: ignore[arg-type]
    except ValueError as e:
        parser.error(str(e))

    # SIGTERM ends the process like Ctrl-C, so the CA's temp dir is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    proxy = ReplayProxy(scenario, host=args.host, port=args.port)
    try:
        proxy.start()
    except OSError as e:
        sys.exit(f"cannot listen on {args.host}:{args.port}: {e.strerror}")
    print(f"proxy: {proxy.url}", flush=True)
    print(f"ca_cert: {proxy.ca_cert_path}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()


if __name__ == "__main__":
    main()

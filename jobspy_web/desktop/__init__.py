"""The desktop app: the same Reflex UI for one person on their own machine.

    python -m jobspy_web.desktop          (or the `jobspy-desktop` command)

No sign-up (a local account is signed in by the launcher), data in this person's data
folder (SQLite), searches scraped from this machine's own connection, the license checked
with the License Server and kept for offline use (accounts.local_mode, over jobspy_web.client).
"""

from jobspy_web.desktop.launcher import data_folder, main, server_environment

__all__ = ["data_folder", "main", "server_environment"]

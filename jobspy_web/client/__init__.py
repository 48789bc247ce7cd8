"""The desktop client: a license check against the License Server, then a local JobSpy search.

    python -m jobspy_web.client --server http://localhost:8000 validate JSW-...
    python -m jobspy_web.client search JSW-... "python developer" --location Austin

It is the reference for every real client (desktop app, browser extension), and the test
double the License Server's tests talk to.
"""

from jobspy_web.client.fingerprint import hardware_fingerprint
from jobspy_web.client.licensing import LicenseCheck, LicenseClient, LicenseClientError, UntrustedAnswer
from jobspy_web.client.premium import PremiumClient, PremiumError
from jobspy_web.client.search import local_search

__all__ = [
    "LicenseCheck",
    "LicenseClient",
    "LicenseClientError",
    "PremiumClient",
    "PremiumError",
    "UntrustedAnswer",
    "hardware_fingerprint",
    "local_search",
]

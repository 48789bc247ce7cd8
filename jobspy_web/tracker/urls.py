"""One job, one address: a posting's URL normalised so the same job saved twice (from the
results, then from the extension on the board's page) is found as one tracked job.

The boards put tracking into their addresses (`?refId=…&trk=…` on LinkedIn, `&from=serp` on
Indeed) and reach one posting by several paths (LinkedIn's `/jobs/view/some-title-123` and
`/jobs/search/?currentJobId=123`). What stays is what names the posting: the scheme, the
host without `www.`/`m.`, the path, and the query parameters that identify it.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["normalise_url", "url_key"]

# Parameters that only say where a click came from.
_TRACKING = {
    "ref", "refid", "trackingid", "trk", "trkinfo", "from", "src", "source", "gclid", "fbclid", "msclkid",
    "mc_cid", "mc_eid", "lipi", "alid", "eid", "position", "pagenum", "ebp", "referrer", "tk", "advn",
    "sjdu", "acatk", "pub", "camk", "xkcb", "xpse", "xfps", "vjs", "spa", "hl",
}  # fmt: skip
_LINKEDIN_VIEW = re.compile(r"^/jobs/view/(?:[^/]*?-)?(\d+)/?$")


def normalise_url(url: str) -> str:
    """`url` reduced to what identifies the posting; the same text for the same job."""
    parts = urlsplit(url.strip())
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    host = re.sub(r"^(?:www\d*|m|mobile)\.", "", host)
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    path = path.rstrip("/") or "/"
    query = parse_qsl(parts.query, keep_blank_values=False)
    params = {name.lower(): value for name, value in query}

    if host.endswith("linkedin.com"):
        if "currentjobid" in params and params["currentjobid"].isdigit():
            return f"{scheme}://linkedin.com/jobs/view/{params['currentjobid']}"
        if found := _LINKEDIN_VIEW.match(path):
            return f"{scheme}://linkedin.com/jobs/view/{found.group(1)}"
    if "indeed." in host and (job_key := params.get("jk") or params.get("vjk")):
        return f"{scheme}://{host}/viewjob?jk={job_key}"
    if "glassdoor." in host and (listing := params.get("jl") or params.get("joblistingid")):
        return f"{scheme}://{host}/job-listing?jl={listing}"
    if host.startswith("google.") or ".google." in host:
        # Google Jobs keeps the posting's id in the fragment (#htidocid=…) or the query.
        fragment = dict(parse_qsl(parts.fragment.replace(";", "&")))
        if doc_id := params.get("htidocid") or fragment.get("htidocid"):
            return f"{scheme}://{host}/search?htidocid={doc_id}"

    kept = sorted((name, value) for name, value in query if name.lower() not in _TRACKING and not name.lower().startswith("utm_"))
    return urlunsplit((scheme, host, path, urlencode(kept), ""))


def url_key(url: str) -> str:
    """The normalised URL's SHA-256 (hex): a fixed-size key however long the address."""
    return hashlib.sha256(normalise_url(url).encode()).hexdigest()

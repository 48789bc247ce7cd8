"""What a blocked scraper gets instead of the site's answer: a bot-challenge page.

Mode "challenge" answers every request to the site with one of these, written
from the markers such pages are known by (no captured page), whatever the
request asked for, JSON API or HTML page:

- cloudflare: Cloudflare's managed challenge, "<title>Just a moment...</title>":
  the `_cf_chl_opt` script, a `cf-chl-widget-...` input, /cdn-cgi/challenge-platform/,
  "Enable JavaScript and cookies to continue" and the headers `Server: cloudflare`,
  `cf-mitigated: challenge` and `CF-RAY`;
- captcha: an "unusual traffic" page with a reCAPTCHA (`g-recaptcha`) form;
- access_denied: Akamai's "Access Denied ... Reference #18.<id>" page.

A page's ids (Cloudflare's ray, Akamai's reference) come from the host and the
path, so a run's answers are the same every time.
"""

from __future__ import annotations

import zlib
from html import escape
from string import Template

from .behaviour import ChallengeKind
from .http11 import Request, Response

NO_STORE = ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0")

CLOUDFLARE = Template("""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>\
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta http-equiv="X-UA-Compatible" content="IE=Edge">\
<meta name="robots" content="noindex,nofollow"><meta name="viewport" content="width=device-width,initial-scale=1">\
<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15}body{display:flex;flex-direction:column}</style></head>\
<body><div class="main-wrapper" role="main"><div class="main-content"><h1 class="zone-name-title h1">$host</h1>\
<p id="cf-spinner-please-wait">Verifying you are human. This may take a few seconds.</p>\
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>\
<div id="challenge-stage"><input type="hidden" name="cf-turnstile-response" id="cf-chl-widget-${widget}_response"></div>\
<div id="challenge-body-text" class="core-msg spacer">$host needs to review the security of your connection before proceeding.</div>\
</div></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: "$host",cType: 'managed',cRay: '$ray',\
cH: '$token',cUPMDTk: "$path?__cf_chl_tk=$token",cFPWv: 'b',cITimeS: '1700000000'};\
var cpo=document.createElement('script');cpo.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=$ray';\
window._cf_chl_opt.cOgUHash=location.hash===''&&location.href.indexOf('#')!==-1?'#':location.hash;\
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>\
<div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper">\
<div class="ray-id">Ray ID: <code>$ray</code></div></div>\
<div class="text-center" id="footer-text">Performance &amp; security by Cloudflare</div></div></div></body></html>""")

CAPTCHA = Template("""<!DOCTYPE html><html><head><meta http-equiv="content-type" content="text/html; charset=utf-8">\
<meta name="viewport" content="initial-scale=1"><title>Verify you are a human</title>\
<script src="https://www.google.com/recaptcha/api.js" async defer></script></head>\
<body><div id="captcha-form"><h1>Our systems have detected unusual traffic from your computer network.</h1>\
<p>Please complete the CAPTCHA below to confirm you are a human and not a robot.</p>\
<form id="captcha-challenge" action="/captcha/verify" method="post">\
<div class="g-recaptcha" data-sitekey="6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b" data-callback="submitCallback"></div>\
<input type="hidden" name="q" value="$token"><input type="hidden" name="continue" value="https://$host$path"></form>\
<p>This page checks to see if it's really you sending the requests, and not a robot.</p>\
<div id="infoDiv">IP address: 127.0.0.1<br>Time: 2024-01-01T00:00:00Z<br>URL: https://$host$path</div></div></body></html>""")

ACCESS_DENIED = Template("""<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "http&#58;&#47;&#47;$host$path" on this server.<P>
Reference&#32;&#35;18&#46;$reference
<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;$reference</P>
</BODY>
</HTML>
""")

PAGES: dict[str, tuple[Template, tuple[tuple[str, str], ...]]] = {
    "cloudflare": (CLOUDFLARE, (("Server", "cloudflare"), ("cf-mitigated", "challenge"), NO_STORE)),
    "captcha": (CAPTCHA, (NO_STORE,)),
    "access_denied": (ACCESS_DENIED, (("Server", "AkamaiGHost"), ("Cache-Control", "max-age=0"))),
}


def challenge_response(kind: ChallengeKind, status: int, request: Request, host: str) -> Response:
    """The challenge page `kind` for `request`, with `status` (mode "challenge")."""
    template, headers = PAGES[kind]
    code = zlib.crc32(f"{host}{request.target}".encode())
    ray = f"{code:08x}{zlib.crc32(host.encode()):08x}"
    values = {
        "host": escape(host),
        "path": escape(request.path),
        "ray": ray,
        "token": f"{code:x}.{len(request.target)}-0-{ray[:8]}",
        "reference": f"{code & 0xFFFFFF:x}.{code >> 8:x}",
        "widget": ray[-5:],
    }
    if kind == "cloudflare":
        headers = (*headers, ("CF-RAY", f"{ray}-DFW"))
    body = template.substitute(values).encode()
    return Response(status, body, "text/html; charset=UTF-8", headers)

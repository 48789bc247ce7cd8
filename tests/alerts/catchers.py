"""Local stand-ins for the outside services alerts talk to: an HTTP catcher (Apprise's json://)
and a Web Push service that checks the VAPID signature and decrypts the payload."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Catcher:
    """Records every request; answers `status` (set it to 500 to make the channel fail)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                catcher.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, answer = catcher.answer(self.path, dict(self.headers), body)
                self.send_response(status)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        return self.status, b"{}"

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> Catcher:
        self.thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


class PushService(Catcher):
    """A push service: refuses a bad VAPID signature (401), decrypts what it accepts."""

    def __init__(self, vapid_public_key: str) -> None:
        super().__init__()
        self.vapid_public_key = vapid_public_key
        self.browser_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = b"0123456789abcdef"
        self.delivered: list[dict[str, Any]] = []

    def subscription(self, path: str = "/push/browser-1") -> dict[str, Any]:
        public = self.browser_key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"http://{self.url}{path}", "keys": {"p256dh": _b64encode(public), "auth": _b64encode(self.auth_secret)}}

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        if path.endswith("/gone"):
            return 410, b""
        authorization = {key.lower(): value for key, value in headers.items()}.get("authorization", "")
        if not self._vapid_valid(authorization):
            return 401, b"bad vapid"
        payload = http_ece.decrypt(body, private_key=self.browser_key, auth_secret=self.auth_secret, version="aes128gcm")
        self.delivered.append(json.loads(payload))
        return 201, b""

    def _vapid_valid(self, authorization: str) -> bool:
        """RFC 8292: `vapid t=<ES256 JWT>, k=<public key>`, the JWT's aud this service's origin."""
        try:
            return self._vapid_checks(authorization)
        except (ValueError, KeyError):
            return False

    def _vapid_checks(self, authorization: str) -> bool:
        scheme, _, params = authorization.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        if scheme.lower() != "vapid" or fields.get("k") != self.vapid_public_key:
            return False
        header, claims, signature = fields["t"].split(".")
        raw = _b64decode(signature)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64decode(fields["k"]))
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except Exception:
            return False
        return json.loads(_b64decode(claims))["aud"] == f"http://{self.url}"

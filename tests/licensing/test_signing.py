"""licensing.signing: the License-Signature header, signed by libsodium with the key that
cryptography loaded; the bytes must be those OpenSSL gives (Ed25519 is deterministic), so
clients verifying with the published key see no difference."""

from __future__ import annotations

import base64
import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from jobspy_web.licensing.signing import Signer


def test_the_header_carries_the_signature_openssl_gives_and_the_published_key_verifies_it() -> None:
    private_key = Ed25519PrivateKey.generate()
    signer = Signer(private_key)
    for body in (b'{"valid":true,"hardware_fp":"' + b"f" * 64 + b'"}', b"", "é".encode() * 500):
        header = signer.signature_header(body)
        match = re.fullmatch(r'keyid="([0-9a-f]{16})", algorithm="ed25519", signature="([^"]+)"', header)
        assert match is not None and match.group(1) == signer.key_id
        signature = base64.b64decode(match.group(2))
        assert signature == private_key.sign(body)
        published = Ed25519PublicKey.from_public_bytes(base64.b64decode(signer.public_key_json()["public_key"]))
        published.verify(signature, body)  # raises if it doesn't verify

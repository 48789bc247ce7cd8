"""Ed25519 signatures over the License Server's answers.

The server signs the exact bytes of each answer's body and sends the signature beside it:

    License-Signature: keyid="3f9c0a1b2c3d4e5f", algorithm="ed25519", signature="<base64>"

`signature` is standard base64 of the 64-byte Ed25519 signature over the raw response body;
`keyid` is the first 16 hex digits of SHA-256 over the 32-byte raw public key, so clients
can tell keys apart across a rotation. GET /licenses/public-key publishes the key. A client
should ship (pin) that key rather than fetch it at run time, then keep answers it verified
to run offline, detecting any edit to them.

The private key comes from LICENSE_SIGNING_KEY (PEM) or LICENSE_SIGNING_KEY_FILE; in
development, without either, one is generated once into DATA_DIR/license_signing_key.pem.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cached_property

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.signing import SigningKey

from jobspy_web.infra.local_secrets import local_secret
from jobspy_web.settings import from_settings, get_settings

__all__ = ["ALGORITHM", "SIGNATURE_HEADER", "Signer", "get_signer", "reset_signer"]

ALGORITHM = "ed25519"
SIGNATURE_HEADER = "License-Signature"
DEV_KEY_FILENAME = "license_signing_key.pem"


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def public_key_raw(self) -> bytes:
        return self.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @cached_property
    def key_id(self) -> str:
        return hashlib.sha256(self.public_key_raw).hexdigest()[:16]

    @cached_property
    def _header_start(self) -> str:
        return f'keyid="{self.key_id}", algorithm="{ALGORITHM}", signature="'

    @cached_property
    def _signing_key(self) -> SigningKey:
        # The same key in libsodium, which signs in ~21 µs where OpenSSL takes ~36 (every
        # cache miss signs). Ed25519 signatures are deterministic: the bytes are the same.
        return SigningKey(self.private_key.private_bytes_raw())

    def signature_header(self, body: bytes) -> str:
        """The License-Signature value for a response whose body is exactly `body`."""
        return f'{self._header_start}{base64.b64encode(self._signing_key.sign(body).signature).decode()}"'

    def is_current(self, signature_header: str) -> bool:
        """Whether a License-Signature value (kept since) names this key."""
        return signature_header.startswith(self._header_start)

    def public_key_json(self) -> dict[str, str]:
        pem = self.private_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return {
            "algorithm": ALGORITHM,
            "key_id": self.key_id,
            "public_key": base64.b64encode(self.public_key_raw).decode(),
            "public_key_pem": pem.decode(),
        }


def _new_private_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


@from_settings
def get_signer() -> Signer:
    settings = get_settings()
    if settings.license_signing_key.get_secret_value():
        pem = settings.license_signing_key.get_secret_value()
    elif settings.license_signing_key_file is not None:
        pem = settings.license_signing_key_file.read_text()
    else:
        pem = local_secret(DEV_KEY_FILENAME, variable="LICENSE_SIGNING_KEY", make=_new_private_pem)
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("LICENSE_SIGNING_KEY must be an Ed25519 private key (PKCS#8 PEM)")
    return Signer(key)


def reset_signer() -> None:
    """Forget the loaded key (tests switch DATA_DIR between runs)."""
    get_signer.cache_clear()

"""License key format: random, human-copyable, with a checksum that catches typos offline.

    JSW-K7QF2-9XM4C-HT3WA-PZ8RN-D6EYB-4KQ2M
    ^^^ product tag
        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ 25 random symbols: 125 bits from `secrets`
                                       ^^^^^ checksum: the first 25 bits of
                                             SHA-256("JSW" + the 25 random symbols)

Symbols are Crockford base32 (0-9 and A-Z without I, L, O, U). Reading a key back is
forgiving: case, spaces and dashes don't matter, the tag may be left out, and O/I/L read
as 0/1/1. A mistyped key fails its checksum (odds of slipping through: 1 in 33 million),
so clients can say "typo" without asking the server.

The server stores only `hash_key(key)` (SHA-256 of the canonical form: with 125 random
bits, a slow hash would add nothing) and `display_prefix(key)` ("JSW-K7QF2").
"""

from __future__ import annotations

import hashlib
import re
import secrets

__all__ = ["TAG", "display_prefix", "generate_key", "hash_key", "parse_key"]

TAG = "JSW"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 25
CHECK_SYMBOLS = 5
GROUP = 5
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})
_SYMBOLS = re.compile(f"[{ALPHABET}]{{{RANDOM_SYMBOLS + CHECK_SYMBOLS}}}")
_CANONICAL = re.compile(f"{TAG}(?:-[{ALPHABET}]{{{GROUP}}}){{{(RANDOM_SYMBOLS + CHECK_SYMBOLS) // GROUP}}}")


def _checksum(random_part: str) -> str:
    bits = int.from_bytes(hashlib.sha256((TAG + random_part).encode()).digest()[:4], "big") >> 7
    # Five symbols of five bits, unrolled: this runs on every License Server request.
    return ALPHABET[bits >> 20] + ALPHABET[bits >> 15 & 31] + ALPHABET[bits >> 10 & 31] + ALPHABET[bits >> 5 & 31] + ALPHABET[bits & 31]


def _format(symbols: str) -> str:
    groups = [symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP)]
    return "-".join([TAG, *groups])


def generate_key() -> str:
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return _format(random_part + _checksum(random_part))


def parse_key(text: str) -> str | None:
    """The canonical form of `text`, or None when it isn't a key (wrong shape or checksum)."""
    if _CANONICAL.fullmatch(text):  # what clients send: skip the forgiving reading
        return text if secrets.compare_digest(text[-CHECK_SYMBOLS:], _checksum(text[4:-CHECK_SYMBOLS].replace("-", ""))) else None
    symbols = "".join(text.split()).upper().translate(_READ_AS)
    if len(symbols) == len(TAG) + RANDOM_SYMBOLS + CHECK_SYMBOLS and symbols.startswith(TAG):
        symbols = symbols[len(TAG) :]
    if not _SYMBOLS.fullmatch(symbols):
        return None
    random_part, check = symbols[:RANDOM_SYMBOLS], symbols[RANDOM_SYMBOLS:]
    return _format(symbols) if secrets.compare_digest(check, _checksum(random_part)) else None


def hash_key(canonical_key: str) -> str:
    """What the database keeps: SHA-256 hex of the canonical key."""
    return hashlib.sha256(canonical_key.encode()).hexdigest()


def display_prefix(canonical_key: str) -> str:
    """The tag and first group ("JSW-K7QF2"): enough to tell keys apart, useless to guess with."""
    return canonical_key[: len(TAG) + 1 + GROUP]

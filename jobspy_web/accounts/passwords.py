"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106's recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 256  # long enough for passphrases, short enough to bound hashing work
MIN_SCORE = 3  # zxcvbn's 0..4: "safely unguessable" starts at 3
REFUSED = (
    "We refuse common passwords, names, dates, keyboard patterns (qwerty, 12345), sequences and repeats; "
    "a few uncommon words together work well."
)

_hasher = PasswordHasher()
# Compared against when the account doesn't exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only here for timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why a new password won't do, in a sentence; None when it's fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if email and password.lower() == email.lower():
        return "Don't use your email address as your password."
    # zxcvbn knows common passwords, names, dates, keyboard walks, sequences and repeats;
    # a score under 3 is guessable in under ~10^8 tries. Only the first 100 characters are
    # rated: its matching grows fast with length, and a longer one is long enough.
    rated = zxcvbn(password[:100], user_inputs=[email, email.split("@")[0]] if email else [])
    if rated["score"] < MIN_SCORE:
        warning = rated["feedback"]["warning"] or "That password is too easy to guess."
        return f"{warning.rstrip('.')}. {REFUSED}"
    return None

"""Password hashing: argon2id (RFC 9106) with parameters that make one verification cost
about 100–200 ms here, so guessing is slow and logging in is not."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# 46 MiB, two passes, one lane: OWASP's argon2id minimum raised to two passes.
_HASHER = PasswordHasher(time_cost=2, memory_cost=47104, parallelism=1, hash_len=32, salt_len=16)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
# Verified when the email is unknown, so an unknown email costs what a wrong password does.
_UNKNOWN_USER_HASH = _HASHER.hash("an email nobody has")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no stored hash (unknown user, or a user who never
    set one) a dummy hash is verified instead, so the answer takes as long either way."""
    try:
        return _HASHER.verify(stored_hash or _UNKNOWN_USER_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def password_problem(password: str) -> str | None:
    """Why `password` cannot be used, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    return None

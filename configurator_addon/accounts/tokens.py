"""Random secrets handed out once and stored only as hashes: API keys (`sk_…` secret,
`pk_…` publishable), refresh tokens, password-reset tokens. They carry 256 bits of
randomness, so a fast hash (SHA-256) is enough: nobody can guess them to test against it."""
from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_KEY_PREFIX = "sk_"
PUBLISHABLE_KEY_PREFIX = "pk_"
KEY_PREFIXES = {"secret": SECRET_KEY_PREFIX, "publishable": PUBLISHABLE_KEY_PREFIX}
SHOWN_PREFIX_CHARS = 10  # what listings show of a key: "sk_AbCdEfG"


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_api_key(kind: str) -> str:
    return new_token(KEY_PREFIXES[kind])


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())

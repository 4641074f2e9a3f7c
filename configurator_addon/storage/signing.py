"""Signed, expiring `/blobs/…` URLs: `/blobs/{path}?expires=<unix seconds>&signature=<base64url>`.

The signature is HMAC-SHA256 over the blob path and the expiry, with a 32-byte key. The key
is passed in, or generated on first use and kept in a file (`blob-url.key` in the var dir,
mode 0600). A file is enough: the `/blobs/` route is served by this host's processes (the
API and its workers share the var dir), so no other machine needs the key. The file is
created exclusively (written aside, then hard-linked into place, never replaced), so two
processes starting at once end up with the same key; deleting it makes every outstanding
URL invalid, which is the way to revoke them all.

An expiry is at least `ttl_seconds` away, rounded up to a window of a quarter of the TTL
counted from the epoch: every process signs the same blob alike within a window, so the
same GLB asked for twice in a short time has the same URL and browser caches keep working.
A URL is therefore valid for between `ttl_seconds` and 1.25 × `ttl_seconds`.

Textures of generated GLBs (`storage/textures.py`) are signed without an expiry instead
(`lasting_signature`, under a MAC domain of their own, so neither kind of signature passes
for the other): a stored GLB names its textures by relative URI and is cached for good, so
their URLs must live as long as it does. The GLB, reached only through an expiring URL, is
what grants them; a texture's URL leaks that one image and nothing else. Deleting the key
revokes these too, and with them every stored GLB's textures: delete the stored GLBs as well
(the next request for a configuration makes it again).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable

from ..errors import BlobUrlExpired, BlobUrlSignatureInvalid, StorageError
from .blob_store import validate_blob_path

KEY_BYTES = 32
KEY_FILE_NAME = "blob-url.key"
DEFAULT_TTL_SECONDS = 3600
# What the MAC covers, so a signature made for anything else can never pass for a blob URL.
_DOMAIN = b"configurator blob url v1\n"
_LASTING_DOMAIN = b"configurator lasting blob url v1\n"
_EXPIRES = re.compile(r"[0-9]{1,12}")  # ASCII digits only; 12 of them reach well past year 30000


def expiry_after(now: float, ttl_seconds: int) -> int:
    """When a URL made at `now` expires: `ttl_seconds` later, rounded up to the next multiple
    of a quarter of the TTL (at least a second)."""
    window = max(1, ttl_seconds // 4)
    earliest = math.ceil(now) + ttl_seconds
    return -(-earliest // window) * window


class BlobUrlSigner:
    def __init__(self, key: bytes | None = None, *, key_file: str | None = None,
                 ttl_seconds: int = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.time):
        """Either `key` (32 bytes or more) or `key_file`, where the key is read from, or
        created on first use. `clock` gives the current Unix time."""
        if (key is None) == (key_file is None):
            raise ValueError("give either a signing key or the file that keeps it")
        if key is not None and len(key) < KEY_BYTES:
            raise ValueError(f"a blob URL signing key has at least {KEY_BYTES} bytes")
        if ttl_seconds < 1:
            raise ValueError("blob URLs must stay valid for at least a second")
        self._key = key
        self.key_file = key_file
        self.ttl_seconds = ttl_seconds
        self.clock = clock

    async def url(self, path: str, base_url: str | None = None, *, expires: int | None = None) -> str:
        """The signed URL of blob `path`, on `base_url` (none: a path on this server), valid
        until `expires` (default: the TTL from now, rounded up to its window)."""
        validate_blob_path(path)
        if expires is None:
            expires = expiry_after(self.clock(), self.ttl_seconds)
        signature = _mac(await self._load_key(), path, str(expires))
        return f"{(base_url or '').rstrip('/')}/blobs/{path}?expires={expires}&signature={signature}"

    async def verify(self, path: str, expires: str | None, signature: str | None) -> None:
        """Raise `BlobUrlSignatureInvalid` unless `signature` is this signer's for `path` and
        `expires` (as they appear in the URL), then `BlobUrlExpired` if that time has passed."""
        if expires is None or signature is None:
            raise BlobUrlSignatureInvalid("the blob URL is not signed; ask the API for the blob's URL")
        key = await self._load_key()
        # Compared in constant time, so the signature cannot be guessed a character at a time.
        if not _EXPIRES.fullmatch(expires) or not hmac.compare_digest(
                _mac(key, path, expires).encode("ascii"), signature.encode("utf-8", "replace")):
            raise BlobUrlSignatureInvalid("the blob URL's signature does not match it")
        if int(expires) <= self.clock():
            raise BlobUrlExpired("the blob URL has expired; ask the API for a fresh one")

    async def lasting_signature(self, path: str) -> str:
        """The signature of blob `path` that never expires (textures of stored GLBs)."""
        validate_blob_path(path)
        return _mac(await self._load_key(), path, "", domain=_LASTING_DOMAIN)

    async def verify_lasting(self, path: str, signature: str | None) -> bool:
        """Whether `signature` is this signer's lasting signature of `path` (constant time)."""
        if signature is None:
            return False
        expected = _mac(await self._load_key(), path, "", domain=_LASTING_DOMAIN)
        return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))

    async def _load_key(self) -> bytes:
        if self._key is None:
            try:
                self._key = await asyncio.to_thread(load_or_create_key, self.key_file)
            except OSError as exc:
                raise StorageError(f"could not read or create the blob URL key {self.key_file}: {exc}") from exc
        return self._key


def _mac(key: bytes, path: str, expires: str, *, domain: bytes = _DOMAIN) -> str:
    message = domain + path.encode("utf-8", "surrogateescape") + b"\n" + expires.encode("ascii")
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def load_or_create_key(path: str) -> bytes:
    """The key kept in `path`; made (32 random bytes, mode 0600) if there is none yet."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".part")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # A link, unlike a rename, never replaces: a key another process made first stays.
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.remove(temporary)
    return _read_key(path)


def _read_key(path: str) -> bytes:
    with open(path, "rb") as handle:
        key = handle.read()
    if len(key) != KEY_BYTES:
        raise StorageError(f"the blob URL key {path} is not {KEY_BYTES} bytes long; delete it to make "
                           "a new one (every blob URL handed out so far stops working)")
    return key

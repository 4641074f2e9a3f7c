"""Who is calling: the session cookie or an API key (`Authorization: Bearer sk_…`/`pk_…`),
identified on every `/api/` request and kept on the request as a `Credential`.

A credential that is present must be good: a bad, expired or revoked one is 401, a disabled
client's is 403, a publishable key used from an `Origin` it does not list is 403. A session's
state (revoked? client disabled? role?) and a key's row are cached `CACHE_SECONDS` per
process, so a revocation or a disabled client takes effect within that time everywhere (at
once in the process that made it), and a request normally costs no database round trip.
Every `/api/` route needs a credential (401 without one) except the `PUBLIC_PATHS`
(docs/accounts.md, "Sessions").

A browser cannot send headers with a WebSocket: a storefront (publishable) key may come as
the `access_key` query parameter of a WebSocket upgrade, and nowhere else (a secret key in a
URL would end up in logs).

CSRF: a session rides along on every request the browser makes, whoever's page started it.
So an unsafe request (POST, PUT, PATCH, DELETE) with a session must also carry the session's
`X-CSRF-Token` (from `GET /api/v1/auth/me`; another site's page cannot read it) and an
`Origin` that is this server's own or one of `CORS_ORIGINS`; otherwise 403. Requests with an
API key are exempt: a key is never sent by the browser on its own.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from ..accounts import storefront, tokens
from ..accounts.sessions import CLOCK_LEEWAY_SECONDS, SESSION_SECONDS, Issued, Sessions
from ..accounts.storefront import STOREFRONT_SECRET
from ..errors import ForbiddenError, UnauthorizedError
from . import keys

CACHE_SECONDS = 5.0
CACHE_ENTRIES = 50_000
SESSION_COOKIE = "configurator_session"
REFRESH_COOKIE = "configurator_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"
MAX_KEY_CHARS = 200
# Open to anyone: a stale credential must not stand in the way of logging in, refreshing or
# out, resetting a password, or reading the contract.
PUBLIC_PATHS = frozenset({"/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout",
                           "/api/v1/auth/password-reset", "/api/v1/auth/password-reset/confirm",
                           "/api/v1/openapi.json"})
# Unsafe requests that need no session, so no CSRF token: they begin one or stand alone.
CSRF_EXEMPT_PATHS = frozenset({"/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/password-reset",
                               "/api/v1/auth/password-reset/confirm"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
WEBSOCKET_KEY_PARAMETER = "access_key"


@dataclass(frozen=True)
class Credential:
    kind: Literal["user", "secret_key", "publishable_key"]
    client_id: uuid.UUID
    role: str  # admin | member | viewer | storefront
    user_id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None


CREDENTIAL = web.RequestKey("credential", Credential)


class TimedCache:
    """Values kept `CACHE_SECONDS` (read at each store, so tests may shorten it), at most
    `CACHE_ENTRIES` of them."""

    _MISSING = object()

    def __init__(self):
        self._entries: dict = {}

    def get(self, key, default=None):
        entry = self._entries.get(key, self._MISSING)
        if entry is self._MISSING or entry[0] <= time.monotonic():
            return default
        return entry[1]

    def put(self, key, value) -> None:
        now = time.monotonic()
        if len(self._entries) >= CACHE_ENTRIES:
            self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
            if len(self._entries) >= CACHE_ENTRIES:
                self._entries.clear()
        self._entries[key] = (now + CACHE_SECONDS, value)

    def forget(self, key) -> None:
        self._entries.pop(key, None)

    def forget_where(self, matches) -> None:
        """Forget every entry whose value `matches(value)`."""
        self._entries = {k: e for k, e in self._entries.items() if not matches(e[1])}


_ABSENT = object()


class Authenticator:
    def __init__(self, sessions: Sessions):
        self.sessions = sessions
        self.session_states = TimedCache()
        self.api_keys = TimedCache()
        self.verified_tokens = TimedCache()
        self.storefront = TimedCache()

    async def identify(self, request: web.Request) -> Credential | None:
        authorization = request.headers.get("Authorization")
        if authorization is not None:
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() == "bearer":
                return await self._api_key(value.strip(), request)
        query_key = request.query.get(WEBSOCKET_KEY_PARAMETER)
        if query_key is not None:
            if request.headers.get("Upgrade", "").lower() != "websocket" or not query_key.startswith(
                    tokens.PUBLISHABLE_KEY_PREFIX):
                raise UnauthorizedError(f"only a WebSocket may carry a key in the URL ({WEBSOCKET_KEY_PARAMETER}), "
                                        "and only a publishable one; send Authorization: Bearer instead")
            return await self._api_key(query_key, request)
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            return await self._session(token)
        return None

    async def _session(self, token: str) -> Credential:
        # A token verified lately is not verified again (pyjwt takes ~70 µs); its expiry is.
        claims = self.verified_tokens.get(token)
        if claims is None or claims.expires_at + CLOCK_LEEWAY_SECONDS < time.time():
            claims = await self.sessions.verify(token)
            self.verified_tokens.put(token, claims)
        state = self.session_states.get(claims.session_id)
        if state is None:
            state = await self.sessions.session_state(claims.session_id)
            self.session_states.put(claims.session_id, state)
        if state.dead:
            raise UnauthorizedError("the session has ended; log in again")
        if state.client_disabled:
            raise ForbiddenError("this account's client is disabled")
        return Credential("user", claims.client_id, state.role, user_id=claims.user_id, session_id=claims.session_id)

    async def key_row(self, key: str):
        """The API key's row (cached), or None for a string that is no key of ours."""
        if not key.startswith((tokens.SECRET_KEY_PREFIX, tokens.PUBLISHABLE_KEY_PREFIX)) or len(key) > MAX_KEY_CHARS:
            return None
        digest = tokens.token_hash(key)
        row = self.api_keys.get(digest, _ABSENT)
        if row is _ABSENT:
            row = await self.sessions.api_key(key)
            self.api_keys.put(digest, row)
        return row

    async def _api_key(self, key: str, request: web.Request) -> Credential:
        row = await self.key_row(key)
        if row is None or row["revoked"]:
            raise UnauthorizedError("the bearer token is not a valid API key of this service (unknown or revoked)")
        if row["client_disabled"]:
            raise ForbiddenError("this key's client is disabled")
        if row["kind"] == "publishable":
            origin = request.headers.get("Origin")
            if origin is not None and not origin_allowed(request, origin, row["allowed_origins"]):
                raise ForbiddenError(f"this key may not be used from {origin!r}")
            return Credential("publishable_key", row["client_id"], row["role"], key_id=row["id"])
        return Credential("secret_key", row["client_id"], row["role"], key_id=row["id"])

    async def storefront_key(self) -> str | None:
        """The server's own storefront key (`accounts/storefront.py`), for the pages it serves."""
        key = self.storefront.get(STOREFRONT_SECRET, _ABSENT)
        if key is _ABSENT:
            key = await storefront.storefront_key(self.sessions.pool)
            self.storefront.put(STOREFRONT_SECRET, key)
        return key

    def forget_session(self, session_id: uuid.UUID) -> None:
        """This process revoked it: refuse it here at once."""
        self.session_states.forget(session_id)

    def forget_key(self, key_id: uuid.UUID) -> None:
        """This process revoked the API key: refuse it here at once (the cache is keyed by
        the key's hash, which the revoker does not have)."""
        self.api_keys.forget_where(lambda row: row is not None and row["id"] == key_id)


AUTHENTICATOR = web.AppKey("authenticator", Authenticator)


def credential(request: web.Request) -> Credential | None:
    return request.get(CREDENTIAL)


def own_origins(request: web.Request) -> set[str]:
    """Where this server's own pages are: the origin the request reached, and `CORS_ORIGINS`."""
    return {f"{request.scheme}://{request.host}", *request.app[keys.SETTINGS].cors_origins}


def origin_allowed(request: web.Request, origin: str, allowed_origins) -> bool:
    """Whether a publishable key may be used from `origin`: one it lists, or this server's own
    pages (the `/embed/` page runs there, framed only by the key's origins; `self` in a key's
    list means this server and no other site)."""
    return origin in allowed_origins or origin in own_origins(request)


@web.middleware
async def authentication_middleware(request: web.Request, handler):
    if request.path.startswith("/api/") and request.method != "OPTIONS":
        try:
            found = await request.app[AUTHENTICATOR].identify(request)
        except (UnauthorizedError, ForbiddenError):
            if request.path not in PUBLIC_PATHS:
                raise
            found = None
        if found is None and request.path not in PUBLIC_PATHS:
            raise UnauthorizedError("this needs a session (log in) or an API key (Authorization: Bearer …)")
        if found is not None:
            if found.kind == "user" and request.method not in SAFE_METHODS and request.path not in CSRF_EXEMPT_PATHS:
                await _check_csrf(request, found)
            request[CREDENTIAL] = found
    return await handler(request)


async def _check_csrf(request: web.Request, found: Credential) -> None:
    origin = request.headers.get("Origin")
    if origin is None or origin not in own_origins(request):
        raise ForbiddenError("a request with a session must come from this site (Origin)")
    expected = await request.app[AUTHENTICATOR].sessions.csrf_token(found.session_id)
    if not tokens.same(request.headers.get(CSRF_HEADER, ""), expected):
        raise ForbiddenError(f"a request with a session needs the session's {CSRF_HEADER} header "
                             "(GET /api/v1/auth/me gives it)")


def setup_authentication(app: web.Application) -> None:
    """After the problem middleware, which answers what this one refuses."""
    app.middlewares.append(authentication_middleware)


# -- cookies ------------------------------------------------------------------------------
def _secure(request: web.Request) -> bool:
    """Over HTTPS, or when the service's public address is https (TLS ends at a proxy). A
    proxy's X-Forwarded-Proto is not taken on trust."""
    base = request.app[keys.SETTINGS].public_base_url or ""
    return request.secure or base.lower().startswith("https://")


def set_session_cookies(request: web.Request, response: web.StreamResponse, issued: Issued) -> None:
    """The access token lives as long as the session in the browser, so that an expired one
    is answered 401 (refresh, then retry) rather than sent no more."""
    secure = _secure(request)
    response.set_cookie(SESSION_COOKIE, issued.access_token, max_age=SESSION_SECONDS, path="/",
                        httponly=True, samesite="Lax", secure=secure)
    response.set_cookie(REFRESH_COOKIE, issued.refresh_token, max_age=SESSION_SECONDS, path=REFRESH_COOKIE_PATH,
                        httponly=True, samesite="Lax", secure=secure)


def clear_session_cookies(request: web.Request, response: web.StreamResponse) -> None:
    secure = _secure(request)
    response.del_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=secure)
    response.del_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, httponly=True, samesite="Lax", secure=secure)

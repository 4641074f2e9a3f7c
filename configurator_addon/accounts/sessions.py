"""Login sessions (docs/accounts.md, "Sessions").

A session is a row of `sessions` and a family of refresh tokens. A login gives two tokens:

- the access token, a JWT signed HS256 with the service's own key (`service_secrets`), valid
  15 minutes, naming the user, client, session and role. Only HS256 is accepted, with every
  claim required: an unsigned token or one signed with another algorithm is refused;
- the refresh token (`tokens.new_token()`), stored as its hash, valid as long as the session
  (30 days). Each use replaces it; presenting a replaced one again means someone holds a copy,
  and revokes the whole session.

A valid access token is not enough on its own: its session must not be revoked and its
client not disabled (`session_state`, which the HTTP layer caches a few seconds).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from ..db.queries import load_queries
from ..errors import (
    ConfigValidationError,
    ErrorDetail,
    ForbiddenError,
    SessionExpiredError,
    UnauthorizedError,
)
from . import attempts, audit, passwords, tokens

SQL = load_queries(os.path.join(os.path.dirname(__file__), "sessions.sql"))

ALGORITHM = "HS256"
ISSUER = "configurator"
AUDIENCE = "configurator-api"
REQUIRED_CLAIMS = ("sub", "cid", "sid", "role", "iat", "exp", "iss", "aud")
ACCESS_TOKEN_SECONDS = 15 * 60
SESSION_SECONDS = 30 * 24 * 3600
CLOCK_LEEWAY_SECONDS = 5  # between the processes of the service
SIGNING_KEY_NAME = "session_signing_key"
SIGNING_KEY_BYTES = 32  # 256 bits, the size of HS256's hash
MAX_TOKEN_CHARS = 4096  # far more than any token of ours; longer is refused unread
# Throttling: this many failures per email and address within the window, then 429.
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60
MAX_USER_AGENT_CHARS = 300

WRONG_LOGIN = "the email or the password is not right"


@dataclass(frozen=True)
class Account:
    """The body of a login and of `me`: who is signed in, for which client."""

    user: dict
    client: dict

    @classmethod
    def from_row(cls, row, user_id_column: str = "id") -> Account:
        return cls(user={"id": row[user_id_column], "email": row["email"], "name": row["name"], "role": row["role"]},
                   client={"id": row["client_id"], "name": row["client_name"]})


@dataclass(frozen=True)
class Issued:
    """A session's tokens, as handed to the caller (the refresh token only ever here)."""

    account: Account
    session_id: uuid.UUID
    access_token: str
    refresh_token: str


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    client_id: uuid.UUID
    session_id: uuid.UUID
    role: str
    expires_at: int


@dataclass(frozen=True)
class SessionState:
    dead: bool  # revoked, expired, or gone with its user
    client_disabled: bool
    role: str | None  # the user's role now (a changed role applies at once)


ENDED = SessionState(dead=True, client_disabled=False, role=None)


class RefreshTokenReused(UnauthorizedError):
    """A used-up refresh token came back: its session (`session_id`) is revoked."""

    def __init__(self, session_id: uuid.UUID):
        super().__init__("this refresh token was already used; the session is revoked, log in again")
        self.session_id = session_id


def _user_agent(text: str) -> str:
    return "".join(ch for ch in text[:MAX_USER_AGENT_CHARS] if ch.isprintable())


class Sessions:
    """Logins, refreshes, logouts and password changes on one pool; holds the signing key
    once read."""

    def __init__(self, pool):
        self.pool = pool
        self._key: bytes | None = None

    # -- the signing key ----------------------------------------------------------------
    async def signing_key(self) -> bytes:
        if self._key is None:
            await self.pool.execute(SQL.create_secret, SIGNING_KEY_NAME, secrets.token_bytes(SIGNING_KEY_BYTES))
            self._key = bytes(await self.pool.fetchval(SQL.read_secret, SIGNING_KEY_NAME))
        return self._key

    async def access_token(self, user_id, client_id, session_id, role: str) -> str:
        now = int(time.time())
        claims = {"sub": str(user_id), "cid": str(client_id), "sid": str(session_id), "role": role,
                  "iat": now, "exp": now + ACCESS_TOKEN_SECONDS, "iss": ISSUER, "aud": AUDIENCE}
        return jwt.encode(claims, await self.signing_key(), algorithm=ALGORITHM)

    async def verify(self, token: str) -> AccessClaims:
        """The claims of a valid access token; `UnauthorizedError` for anything else."""
        if len(token) > MAX_TOKEN_CHARS:
            raise UnauthorizedError("the session token is not valid")
        try:
            claims = jwt.decode(token, await self.signing_key(), algorithms=[ALGORITHM], audience=AUDIENCE,
                                issuer=ISSUER, leeway=CLOCK_LEEWAY_SECONDS,
                                options={"require": list(REQUIRED_CLAIMS), "verify_signature": True})
        except jwt.ExpiredSignatureError:
            raise SessionExpiredError("the session token has expired; refresh it or log in again") from None
        except jwt.InvalidTokenError:
            raise UnauthorizedError("the session token is not valid") from None
        try:
            return AccessClaims(uuid.UUID(claims["sub"]), uuid.UUID(claims["cid"]), uuid.UUID(claims["sid"]),
                                str(claims["role"]), int(claims["exp"]))
        except (TypeError, ValueError, AttributeError):
            raise UnauthorizedError("the session token is not valid") from None

    async def csrf_token(self, session_id: uuid.UUID) -> str:
        """The session's CSRF token: derived, so nothing is stored and every process agrees."""
        digest = hmac.new(await self.signing_key(), b"csrf:" + session_id.bytes, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    # -- throttling ---------------------------------------------------------------------
    async def _begin_attempt(self, email: str, ip: str):
        """Count this attempt as a failure (undone by `_forget_attempt` when it succeeds), or
        refuse it with 429 when the email and address have failed too often lately."""
        return await attempts.count_attempt(
            self.pool, email, ip, window_seconds=FAILURE_WINDOW_SECONDS, limit=MAX_FAILURES,
            refusal="too many failed attempts for this email from this address; try again later")

    async def _forget_attempt(self, email: str, ip: str, attempt) -> None:
        await attempts.forget_attempt(self.pool, email, ip, attempt)

    # -- login, refresh, logout ---------------------------------------------------------
    async def login(self, email: str, password: str, *, ip: str = "", user_agent: str = "") -> Issued:
        """401 for a wrong password and an unknown email alike (the same work either way);
        403 for a disabled client's user; 429 after too many failures."""
        user = await self.pool.fetchrow(SQL.user_for_login, email)
        attempt = await self._begin_attempt(email, ip)
        stored = user["password_hash"] if user is not None else None
        if not await asyncio.to_thread(passwords.verify_password, stored, password):
            await audit.record(self.pool, "login.failed", client_id=user["client_id"] if user else None,
                               target=f"user:{user['id']}" if user else "", detail={"email": email}, ip=ip)
            raise UnauthorizedError(WRONG_LOGIN)
        await self._forget_attempt(email, ip, attempt)
        if user["client_disabled"]:
            await audit.record(self.pool, "login.failed", client_id=user["client_id"], actor=f"user:{user['id']}",
                               target=f"user:{user['id']}", detail={"email": email, "reason": "client disabled"},
                               ip=ip)
            raise ForbiddenError("this account's client is disabled")
        if passwords.needs_rehash(stored):
            await self.pool.execute(SQL.rehash_password, user["id"],
                                    await asyncio.to_thread(passwords.hash_password, password))
        refresh = tokens.new_token()
        async with self.pool.acquire() as connection, connection.transaction():
            session_id = await connection.fetchval(SQL.create_session, user["id"], user["client_id"],
                                                   float(SESSION_SECONDS), _user_agent(user_agent), ip)
            await connection.execute(SQL.add_refresh_token, tokens.token_hash(refresh), session_id)
            await audit.record(connection, "login.succeeded", client_id=user["client_id"],
                               actor=f"user:{user['id']}", target=f"session:{session_id}", ip=ip)
        access = await self.access_token(user["id"], user["client_id"], session_id, user["role"])
        return Issued(Account.from_row(user), session_id, access, refresh)

    async def refresh(self, refresh_token: str, *, ip: str = "") -> Issued:
        """A new pair of tokens in the same session; the presented refresh token is used up.
        A used-up one presented again revokes the session (401)."""
        if not refresh_token or len(refresh_token) > MAX_TOKEN_CHARS:
            raise UnauthorizedError("no valid refresh token")
        new = tokens.new_token()
        reused = False
        async with self.pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(SQL.refresh_token_for_use, tokens.token_hash(refresh_token))
            if row is None:
                raise UnauthorizedError("no valid refresh token")
            if row["replaced"]:
                reused = True
                await connection.execute(SQL.revoke_session, row["session_id"])
                await audit.record(connection, "session.reused", client_id=row["client_id"],
                                   actor="anonymous", target=f"session:{row['session_id']}",
                                   detail={"user": str(row["user_id"])}, ip=ip)
            elif row["session_dead"]:
                raise UnauthorizedError("the session has ended; log in again")
            elif row["client_disabled"]:
                raise ForbiddenError("this account's client is disabled")
            else:
                await connection.execute(SQL.replace_refresh_token, tokens.token_hash(refresh_token))
                await connection.execute(SQL.add_refresh_token, tokens.token_hash(new), row["session_id"])
        if reused:
            raise RefreshTokenReused(row["session_id"])
        access = await self.access_token(row["user_id"], row["client_id"], row["session_id"], row["role"])
        return Issued(Account.from_row(row, "user_id"), row["session_id"], access, new)

    async def logout(self, session_id: uuid.UUID | None = None, refresh_token: str | None = None, *,
                     ip: str = "") -> uuid.UUID | None:
        """Revoke the session (named, or found from its refresh token); returns its id."""
        if session_id is None and refresh_token and len(refresh_token) <= MAX_TOKEN_CHARS:
            session_id = await self.pool.fetchval(SQL.session_of_refresh_token, tokens.token_hash(refresh_token))
        if session_id is None:
            return None
        async with self.pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(SQL.revoke_session, session_id)
            if row is not None:
                await audit.record(connection, "logout", client_id=row["client_id"], actor=f"user:{row['user_id']}",
                                   target=f"session:{session_id}", ip=ip)
        return session_id

    async def change_password(self, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str, *,
                              ip: str = "") -> tuple[Issued, list[uuid.UUID]]:
        """Needs the current password (403 when wrong, throttled like logins). Every other
        session of the user is revoked; this one goes on with a new refresh token. Returns
        the new tokens and the sessions revoked."""
        problem = passwords.password_problem(new)
        if problem:
            raise ConfigValidationError("the new password cannot be used",
                                        [ErrorDetail(problem, code="PASSWORD_REFUSED", pointer="/new_password")])
        user = await self.pool.fetchrow(SQL.user_by_id, user_id)
        if user is None:
            raise UnauthorizedError("the session has ended; log in again")
        attempt = await self._begin_attempt(user["email"], ip)
        if not await asyncio.to_thread(passwords.verify_password, user["password_hash"], current):
            raise ForbiddenError("the current password is not right")
        await self._forget_attempt(user["email"], ip, attempt)
        new_hash = await asyncio.to_thread(passwords.hash_password, new)
        refresh = tokens.new_token()
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(SQL.set_password, user_id, new_hash)
            revoked = [r["id"] for r in await connection.fetch(SQL.revoke_other_sessions, user_id, session_id)]
            await connection.execute(SQL.forget_refresh_tokens, session_id)
            await connection.execute(SQL.add_refresh_token, tokens.token_hash(refresh), session_id)
            await audit.record(connection, "password.changed", client_id=user["client_id"], actor=f"user:{user_id}",
                               target=f"user:{user_id}", detail={"sessions_revoked": len(revoked)}, ip=ip)
        access = await self.access_token(user_id, user["client_id"], session_id, user["role"])
        return Issued(Account.from_row(user), session_id, access, refresh), revoked

    # -- what requests are checked against ----------------------------------------------
    async def account(self, user_id: uuid.UUID) -> Account | None:
        row = await self.pool.fetchrow(SQL.user_by_id, user_id)
        return Account.from_row(row) if row is not None else None

    async def session_state(self, session_id: uuid.UUID) -> SessionState:
        row = await self.pool.fetchrow(SQL.session_state, session_id)
        if row is None:
            return ENDED
        return SessionState(dead=row["dead"], client_disabled=row["client_disabled"], role=row["role"])

    async def api_key(self, key: str):
        """The key's row (id, client_id, kind, role, allowed_origins, revoked, client_disabled), or None."""
        return await self.pool.fetchrow(SQL.api_key_by_hash, tokens.token_hash(key))

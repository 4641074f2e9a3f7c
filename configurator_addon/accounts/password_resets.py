"""Set-password links: a password reset (valid an hour) or an invitation (valid 7 days).

A link carries a single-use token (`tokens.new_token()`, stored only as its SHA-256 in
`password_resets`): `{base}/reset-password?token=…`. Using it sets the password, spends the
user's other links and revokes every session of the user, audited as `password.reset`.

Asking for a reset answers the same whether the email is known or not: the request is
throttled per email and address (before anything is looked up), and the lookup, the token
and the mail happen after the answer, in the background (`in_background`).
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import urllib.parse
import uuid

from ..db.queries import load_queries
from ..errors import BadRequestError, ConfigValidationError, ErrorDetail
from . import attempts, audit, mail, passwords, tokens

SQL = load_queries(os.path.join(os.path.dirname(__file__), "password_resets.sql"))
log = logging.getLogger("configurator.accounts")

RESET_SECONDS = 3600
INVITATION_SECONDS = 7 * 24 * 3600
LINK_PATH = "/reset-password"
# Requests per email and address within the window, then 429 (the same for unknown emails).
MAX_REQUESTS = 5
REQUEST_WINDOW_SECONDS = 15 * 60
THROTTLE_ADDRESS_PREFIX = "password-reset:"
# Links mailed to one user per hour at most; more requests are answered alike and mail nothing.
MAX_LINKS_PER_HOUR = 3
MAX_TOKEN_CHARS = 200
INVALID_LINK = "this link is not valid (it may have expired or been used already); ask for a new one"

_pending: set[asyncio.Task] = set()


def in_background(coroutine) -> asyncio.Task:
    """Run `coroutine` after the answer; it is kept until done, its failure logged."""
    task = asyncio.get_running_loop().create_task(coroutine)
    _pending.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("sending a set-password link failed", exc_info=task.exception())


async def settled() -> None:
    """Wait for the work `in_background` started (tests, shutdown)."""
    while _pending:
        await asyncio.gather(*list(_pending), return_exceptions=True)


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def link_base(settings, request_origin: str, *, caller_trusted: bool = False) -> str | None:
    """Where links point: `PUBLIC_BASE_URL`, else the origin the request reached. That origin
    comes from the Host header, which any caller sets, so an anonymous caller's is used only
    when it is a loopback address or one of `CORS_ORIGINS` (the operator's own); otherwise
    None (no link can be trusted: set PUBLIC_BASE_URL)."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    try:
        host = urllib.parse.urlsplit(request_origin).hostname
    except ValueError:
        return None
    if not host:
        return None
    if caller_trusted or _loopback(host) or request_origin in settings.cors_origins:
        return request_origin
    return None


def link(base: str, token: str) -> str:
    return f"{base}{LINK_PATH}?{urllib.parse.urlencode({'token': token})}"


async def issue(connection, user_id: uuid.UUID, seconds: int) -> str:
    """A new token for `user_id`, valid `seconds` (inside the caller's transaction)."""
    token = tokens.new_token()
    await connection.execute(SQL.add_token, tokens.token_hash(token), user_id, float(seconds))
    return token


async def throttle(pool, email: str, ip: str) -> None:
    """Count this request; 429 with Retry-After when the email and address asked too often
    lately. Nothing here depends on whether the email is known."""
    await attempts.count_attempt(
        pool, email, THROTTLE_ADDRESS_PREFIX + ip, window_seconds=REQUEST_WINDOW_SECONDS, limit=MAX_REQUESTS,
        refusal="too many password reset requests for this email from this address; try again later")


async def send_reset_link(pool, settings, email: str, base: str | None, *, ip: str = "") -> bool:
    """Mail a reset link to the user `email` names; False (and nothing sent) for an unknown
    email, a user sent too many lately, or no trusted base for the link."""
    user = await pool.fetchrow(SQL.user_for_reset, email, 3600.0)
    if user is None:
        return False
    if base is None:
        log.warning("no password reset link sent: set PUBLIC_BASE_URL (the request's Host is not trusted)")
        return False
    if user["recent_tokens"] >= MAX_LINKS_PER_HOUR:
        log.info("no password reset link sent to user %s: %d sent in the last hour", user["id"],
                 user["recent_tokens"])
        return False
    async with pool.acquire() as connection, connection.transaction():
        token = await issue(connection, user["id"], RESET_SECONDS)
        await audit.record(connection, "password.reset_requested", client_id=user["client_id"],
                           target=f"user:{user['id']}", ip=ip)
    body = (f"Hello {user['name']},\n\n"
            f"someone (we hope you) asked to reset the password of your Configurator account "
            f"{user['email']} ({user['client_name']}).\n\n"
            f"Choose a new password here within the hour:\n\n{link(base, token)}\n\n"
            f"The link works once. If you did not ask for this, ignore this message: "
            f"your password stays as it is.\n")
    return await mail.send(settings, user["email"], "Reset your Configurator password", body)


async def send_invitation(settings, user: dict, client_name: str, token: str, base: str) -> bool:
    body = (f"Hello {user['name']},\n\n"
            f"you are invited to {client_name} on Configurator, as {user['role']}.\n\n"
            f"Choose your password here (the link works once, for 7 days):\n\n{link(base, token)}\n\n"
            f"Then log in with this address, {user['email']}, and that password.\n")
    return await mail.send(settings, user["email"], f"You are invited to {client_name} on Configurator", body)


async def set_password(pool, token: str, password: str, *, ip: str = "") -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Use the link's token: the password is set (after `passwords.password_problem`), every
    session of the user is revoked. A token that is unknown, expired or used is one and the
    same BadRequestError. Returns the user and the sessions revoked."""
    problem = passwords.password_problem(password)
    if problem:
        raise ConfigValidationError("the password cannot be used",
                                    [ErrorDetail(problem, code="PASSWORD_REFUSED", pointer="/password")])
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise BadRequestError(INVALID_LINK)
    digest = tokens.token_hash(token)
    if not await pool.fetchval(SQL.token_is_usable, digest):  # before paying for a hash
        raise BadRequestError(INVALID_LINK)
    new_hash = await asyncio.to_thread(passwords.hash_password, password)
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(SQL.use_token, digest)
        if row is None:  # used meanwhile
            raise BadRequestError(INVALID_LINK)
        user_id = row["user_id"]
        await connection.execute(SQL.use_other_tokens, user_id)
        await connection.execute(SQL.set_password, user_id, new_hash)
        revoked = [r["id"] for r in await connection.fetch(SQL.revoke_sessions, user_id)]
        await audit.record(connection, "password.reset", client_id=row["client_id"], actor=f"user:{user_id}",
                           target=f"user:{user_id}", ip=ip,
                           detail={"sessions_revoked": len(revoked), "first_password": not row["had_password"]})
    return user_id, revoked

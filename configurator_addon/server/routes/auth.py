"""`/api/v1/auth`: log in and out, who am I, change the password, refresh the session, reset
a forgotten password."""
from __future__ import annotations

from aiohttp import web

from ...accounts import password_resets
from ...accounts.sessions import RefreshTokenReused
from ...errors import ForbiddenError, UnauthorizedError
from ...schemas.api import LoginRequest, Me, PasswordChange, PasswordResetConfirm, PasswordResetRequest, SignedIn
from .. import keys
from ..authentication import (
    AUTHENTICATOR,
    REFRESH_COOKIE,
    clear_session_cookies,
    credential,
    set_session_cookies,
)
from ..requests import read_json, remote_address
from ..responses import model_response

routes = web.RouteTableDef()


def _session_credential(request: web.Request):
    found = credential(request)
    if found is None:
        raise UnauthorizedError("log in first: this needs a session")
    if found.kind != "user":
        raise ForbiddenError("this needs a user's session, not an API key")
    return found


def _signed_in(issued) -> SignedIn:
    return SignedIn.model_validate({"user": issued.account.user, "client": issued.account.client})


@routes.post("/api/v1/auth/login")
async def login(request: web.Request) -> web.Response:
    body = await read_json(request, LoginRequest)
    sessions = request.app[AUTHENTICATOR].sessions
    issued = await sessions.login(body.email, body.password, ip=remote_address(request),
                                  user_agent=request.headers.get("User-Agent", ""))
    response = model_response(_signed_in(issued))
    set_session_cookies(request, response, issued)
    return response


@routes.post("/api/v1/auth/refresh")
async def refresh(request: web.Request) -> web.Response:
    authenticator = request.app[AUTHENTICATOR]
    try:
        issued = await authenticator.sessions.refresh(request.cookies.get(REFRESH_COOKIE, ""),
                                                      ip=remote_address(request))
    except RefreshTokenReused as reused:
        authenticator.forget_session(reused.session_id)
        raise
    response = model_response(_signed_in(issued))
    set_session_cookies(request, response, issued)
    return response


@routes.post("/api/v1/auth/logout")
async def logout(request: web.Request) -> web.Response:
    """Always 204: the session (from the cookie, else from the refresh token) is revoked if
    there is one, and the cookies are cleared."""
    authenticator = request.app[AUTHENTICATOR]
    found = credential(request)
    session_id = found.session_id if found is not None else None
    ended = await authenticator.sessions.logout(session_id, request.cookies.get(REFRESH_COOKIE),
                                                ip=remote_address(request))
    if ended is not None:
        authenticator.forget_session(ended)
    response = web.Response(status=204)
    clear_session_cookies(request, response)
    return response


@routes.get("/api/v1/auth/me")
async def me(request: web.Request) -> web.Response:
    found = _session_credential(request)
    sessions = request.app[AUTHENTICATOR].sessions
    account = await sessions.account(found.user_id)
    if account is None:
        raise UnauthorizedError("the session has ended; log in again")
    return model_response(Me.model_validate({"user": account.user, "client": account.client,
                                             "csrf_token": await sessions.csrf_token(found.session_id)}))


@routes.post("/api/v1/auth/password")
async def change_password(request: web.Request) -> web.Response:
    found = _session_credential(request)
    body = await read_json(request, PasswordChange)
    authenticator = request.app[AUTHENTICATOR]
    issued, revoked = await authenticator.sessions.change_password(
        found.user_id, found.session_id, body.current_password, body.new_password, ip=remote_address(request))
    for session_id in revoked:
        authenticator.forget_session(session_id)
    response = web.Response(status=204)
    set_session_cookies(request, response, issued)
    return response


def request_origin(request: web.Request) -> str:
    """The origin this request reached (its Host header: the caller's word)."""
    return f"{request.scheme}://{request.host}"


@routes.post("/api/v1/auth/password-reset")
async def request_password_reset(request: web.Request) -> web.Response:
    """Always 202, the same for an unknown email (429 after too many requests per email and
    address, known or not): the link is looked up and mailed after the answer."""
    body = await read_json(request, PasswordResetRequest)
    pool = request.app[keys.RESOURCES].pool
    settings = request.app[keys.SETTINGS]
    await password_resets.throttle(pool, body.email, remote_address(request))
    base = password_resets.link_base(settings, request_origin(request))
    password_resets.in_background(password_resets.send_reset_link(pool, settings, body.email, base,
                                                                  ip=remote_address(request)))
    return web.Response(status=202)


@routes.post("/api/v1/auth/password-reset/confirm")
async def confirm_password_reset(request: web.Request) -> web.Response:
    """204: the password is set and every session of the user revoked. An unknown, expired
    or used token is 400, whichever it is."""
    body = await read_json(request, PasswordResetConfirm)
    authenticator = request.app[AUTHENTICATOR]
    _, revoked = await password_resets.set_password(request.app[keys.RESOURCES].pool, body.token, body.password,
                                                    ip=remote_address(request))
    for session_id in revoked:
        authenticator.forget_session(session_id)
    return web.Response(status=204)

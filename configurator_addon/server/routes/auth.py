"""`/api/v1/auth`: log in and out, who am I, change the password, refresh the session."""
from __future__ import annotations

from aiohttp import web

from ...accounts.sessions import RefreshTokenReused
from ...errors import ForbiddenError, UnauthorizedError
from ...schemas.api import LoginRequest, Me, PasswordChange, SignedIn
from ..authentication import (
    AUTHENTICATOR,
    REFRESH_COOKIE,
    clear_session_cookies,
    credential,
    set_session_cookies,
)
from ..requests import read_json
from ..responses import model_response

routes = web.RouteTableDef()


def _ip(request: web.Request) -> str:
    return request.remote or ""


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
    issued = await sessions.login(body.email, body.password, ip=_ip(request),
                                  user_agent=request.headers.get("User-Agent", ""))
    response = model_response(_signed_in(issued))
    set_session_cookies(request, response, issued)
    return response


@routes.post("/api/v1/auth/refresh")
async def refresh(request: web.Request) -> web.Response:
    authenticator = request.app[AUTHENTICATOR]
    try:
        issued = await authenticator.sessions.refresh(request.cookies.get(REFRESH_COOKIE, ""), ip=_ip(request))
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
    ended = await authenticator.sessions.logout(session_id, request.cookies.get(REFRESH_COOKIE), ip=_ip(request))
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
        found.user_id, found.session_id, body.current_password, body.new_password, ip=_ip(request))
    for session_id in revoked:
        authenticator.forget_session(session_id)
    response = web.Response(status=204)
    set_session_cookies(request, response, issued)
    return response

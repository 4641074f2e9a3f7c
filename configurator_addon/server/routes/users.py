"""`/api/v1/users`: a client's admins list, invite, change and remove its users. Another
client's user is 404; a change that would leave the client without an admin is 409."""
from __future__ import annotations

from aiohttp import web

from ...accounts import password_resets, users
from ...schemas.api import User, UserInvite, UserList, UserUpdate
from .. import keys
from ..authentication import AUTHENTICATOR
from ..authorization import actor, require_role
from ..requests import path_id, read_json, remote_address
from ..responses import model_response
from .auth import request_origin

routes = web.RouteTableDef()


def _pool(request: web.Request):
    return request.app[keys.RESOURCES].pool


def _forget(request: web.Request, sessions) -> None:
    """Sessions whose state changed here: this process re-reads them at once."""
    authenticator = request.app[AUTHENTICATOR]
    for session_id in sessions:
        authenticator.forget_session(session_id)


@routes.get("/api/v1/users")
async def list_users(request: web.Request) -> web.Response:
    found = require_role(request, "admin")
    return model_response(UserList.model_validate({"items": await users.list_users(_pool(request), found.client_id)}))


@routes.post("/api/v1/users")
async def invite_user(request: web.Request) -> web.Response:
    """201: the user exists without a password and is mailed a set-password link (valid 7
    days) after the answer; a failure to send is logged, the answer stays the same."""
    found = require_role(request, "admin")
    body = await read_json(request, UserInvite)
    settings = request.app[keys.SETTINGS]
    user, token, client_name = await users.invite_user(_pool(request), found.client_id, email=body.email,
                                                       name=body.name, role=body.role, actor=actor(found),
                                                       ip=remote_address(request))
    base = password_resets.link_base(settings, request_origin(request), caller_trusted=True)
    password_resets.in_background(password_resets.send_invitation(settings, user, client_name, token, base))
    return model_response(User.model_validate(user), status=201, headers={"Location": f"/api/v1/users/{user['id']}"})


@routes.patch("/api/v1/users/{id}")
async def update_user(request: web.Request) -> web.Response:
    found = require_role(request, "admin")
    user_id = path_id(request)
    body = await read_json(request, UserUpdate)
    user, sessions = await users.update_user(_pool(request), found.client_id, user_id, name=body.name,
                                             role=body.role, actor=actor(found), ip=remote_address(request))
    _forget(request, sessions)
    return model_response(User.model_validate(user))


@routes.delete("/api/v1/users/{id}")
async def remove_user(request: web.Request) -> web.Response:
    found = require_role(request, "admin")
    sessions = await users.remove_user(_pool(request), found.client_id, path_id(request), actor=actor(found),
                                       ip=remote_address(request))
    _forget(request, sessions)
    return web.Response(status=204)

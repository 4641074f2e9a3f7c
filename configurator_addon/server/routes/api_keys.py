"""`/api/v1/api-keys`: a client's admins list, create and revoke its API keys."""
from __future__ import annotations

from aiohttp import web

from ...accounts import api_keys
from ...errors import ConfigValidationError, ErrorDetail
from ...schemas.api import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyList
from .. import keys
from ..authentication import AUTHENTICATOR
from ..authorization import actor, require_role
from ..requests import path_id, read_json, remote_address
from ..responses import model_response

routes = web.RouteTableDef()



@routes.get("/api/v1/api-keys")
async def list_api_keys(request: web.Request) -> web.Response:
    caller = require_role(request, "admin")
    views = await api_keys.list_keys(request.app[keys.RESOURCES].pool, caller.client_id)
    return model_response(ApiKeyList(items=[ApiKey.model_validate(view) for view in views]))


@routes.post("/api/v1/api-keys")
async def create_api_key(request: web.Request) -> web.Response:
    caller = require_role(request, "admin")
    body = await read_json(request, ApiKeyCreate)
    try:
        created = await api_keys.create_key(
            request.app[keys.RESOURCES].pool, caller.client_id, kind=body.kind, role=body.role,
            origins=body.allowed_origins, name=body.name, created_by=caller.user_id, actor=actor(caller),
            ip=remote_address(request), max_role=caller.role)
    except api_keys.KeyInputError as refused:
        raise ConfigValidationError("the key cannot be made as asked", [
            ErrorDetail(refused.detail, code="KEY_REFUSED", pointer=refused.pointer)]) from None
    # The key is in this answer only: no cache may keep it.
    return model_response(ApiKeyCreated.model_validate(created), status=201, headers={"Cache-Control": "no-store"})


@routes.delete("/api/v1/api-keys/{id}")
async def revoke_api_key(request: web.Request) -> web.Response:
    caller = require_role(request, "admin")
    key_id = path_id(request)
    await api_keys.revoke_key(request.app[keys.RESOURCES].pool, caller.client_id, key_id,
                              actor=actor(caller), ip=remote_address(request))
    request.app[AUTHENTICATOR].forget_key(key_id)  # others learn it within the cache's lifetime
    return web.Response(status=204)

"""`/api/v1/configurations`: saved configurations. A storefront (publishable key) saves and
reads back its own by id (share links) but neither lists nor changes them; a viewer sees and
changes its own; members and admins all of the client's (`authorization.py`). Each carries its
thumbnails once rendered (signed URLs, as a product's), null until then."""
from __future__ import annotations

from aiohttp import web

from ...schemas.api import Configuration, ConfigurationCreate, ConfigurationList, ConfigurationUpdate, Page
from .. import keys
from ..authorization import configuration_visibility, maker, require_credential, require_role
from ..requests import pagination, path_id, query_uuid, read_json
from ..responses import model_response, thumbnail_urls
from ..storefront_limits import limit_storefront

routes = web.RouteTableDef()


async def configuration_body(request: web.Request, row) -> Configuration:
    """The response body of a row: its thumbnails' blob paths become signed URLs."""
    return Configuration.model_validate({**dict(row), "thumbnails": await thumbnail_urls(request, row["thumbnails"])})


@routes.get("/api/v1/configurations")
async def list_configurations(request: web.Request) -> web.Response:
    caller = require_role(request, "viewer")
    limit, offset = pagination(request)
    rows, total = await request.app[keys.RESOURCES].configurations.list(
        caller.client_id, query_uuid(request, "product_id"), limit, offset, configuration_visibility(caller))
    items = [await configuration_body(request, row) for row in rows]
    return model_response(ConfigurationList(items=items, page=Page(total=total, limit=limit, offset=offset)))


@routes.get("/api/v1/configurations/{id}")
async def get_configuration(request: web.Request) -> web.Response:
    caller = require_credential(request)
    row = await request.app[keys.RESOURCES].configurations.get(caller.client_id, path_id(request),
                                                               configuration_visibility(caller))
    return model_response(await configuration_body(request, row))


@routes.post("/api/v1/configurations")
async def create_configuration(request: web.Request) -> web.Response:
    caller = require_credential(request)
    body = await read_json(request, ConfigurationCreate)
    await limit_storefront(request, caller)
    row = await request.app[keys.RESOURCES].configurations.create(
        caller.client_id, maker(caller), body.product_id, body.name, body.config_data)
    return model_response(await configuration_body(request, row), status=201,
                          headers={"Location": f"/api/v1/configurations/{row['id']}"})


@routes.patch("/api/v1/configurations/{id}")
async def update_configuration(request: web.Request) -> web.Response:
    """Rename, change the values (new thumbnails follow), or both."""
    caller = require_role(request, "viewer")
    body = await read_json(request, ConfigurationUpdate)
    row = await request.app[keys.RESOURCES].configurations.update(
        caller.client_id, path_id(request), body.name, body.config_data, configuration_visibility(caller))
    return model_response(await configuration_body(request, row))


@routes.delete("/api/v1/configurations/{id}")
async def delete_configuration(request: web.Request) -> web.Response:
    caller = require_role(request, "viewer")
    await request.app[keys.RESOURCES].configurations.delete(caller.client_id, path_id(request),
                                                            configuration_visibility(caller))
    return web.Response(status=204)

"""`/api/v1/configurations`: saved configurations."""
from __future__ import annotations

from aiohttp import web

from ...schemas.api import Configuration, ConfigurationCreate, ConfigurationList, ConfigurationUpdate, Page
from .. import keys
from ..requests import client_id, pagination, path_id, query_uuid, read_json, user_id
from ..responses import model_response

routes = web.RouteTableDef()


@routes.get("/api/v1/configurations")
async def list_configurations(request: web.Request) -> web.Response:
    limit, offset = pagination(request)
    rows, total = await request.app[keys.RESOURCES].configurations.list(
        client_id(request), query_uuid(request, "product_id"), limit, offset)
    items = [Configuration.model_validate(dict(row)) for row in rows]
    return model_response(ConfigurationList(items=items, page=Page(total=total, limit=limit, offset=offset)))


@routes.get("/api/v1/configurations/{id}")
async def get_configuration(request: web.Request) -> web.Response:
    row = await request.app[keys.RESOURCES].configurations.get(client_id(request), path_id(request))
    return model_response(Configuration.model_validate(dict(row)))


@routes.post("/api/v1/configurations")
async def create_configuration(request: web.Request) -> web.Response:
    body = await read_json(request, ConfigurationCreate)
    row = await request.app[keys.RESOURCES].configurations.create(
        client_id(request), user_id(request), body.product_id, body.name, body.config_data)
    return model_response(Configuration.model_validate(dict(row)), status=201,
                          headers={"Location": f"/api/v1/configurations/{row['id']}"})


@routes.patch("/api/v1/configurations/{id}")
async def rename_configuration(request: web.Request) -> web.Response:
    body = await read_json(request, ConfigurationUpdate)
    row = await request.app[keys.RESOURCES].configurations.rename(client_id(request), path_id(request), body.name)
    return model_response(Configuration.model_validate(dict(row)))


@routes.delete("/api/v1/configurations/{id}")
async def delete_configuration(request: web.Request) -> web.Response:
    await request.app[keys.RESOURCES].configurations.delete(client_id(request), path_id(request))
    return web.Response(status=204)

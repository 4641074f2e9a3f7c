"""`/api/v1/products`: list and get (every credential), follow its versions over a WebSocket,
create by uploading a template and replace the template (admins; audited)."""
from __future__ import annotations

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong

from ...errors import BadRequestError, PayloadTooLargeError
from ...schemas.api import Page, Product, ProductList, ProductSummary, ProductVersionEvent
from .. import keys
from ..authorization import actor, require_role
from ..event_sockets import follow
from ..requests import client_id, pagination, path_id, remote_address, require_storable_text
from ..responses import model_response, thumbnail_urls

routes = web.RouteTableDef()
MAX_TEXT_FIELD = 10_000
VERSION_POLL_SECONDS = 30.0  # besides the database's notification of each new version


async def product_bodies(request: web.Request, rows, model=Product) -> list:
    """Response bodies, each with the preview GLB of its default configuration when there is one
    and its thumbnails once rendered."""
    store, base_url = request.app[keys.RESOURCES].store, request.app[keys.SETTINGS].public_base_url
    return [model.model_validate({
        **dict(row),
        "preview_url": await store.url(row["preview_blob_path"], base_url) if row["preview_blob_path"] else None,
        "thumbnails": await thumbnail_urls(request, row.get("thumbnails")),
    }) for row in rows]


async def product_body(request: web.Request, row):
    return (await product_bodies(request, [row]))[0]


@routes.get("/api/v1/products")
async def list_products(request: web.Request) -> web.Response:
    limit, offset = pagination(request)
    rows, total = await request.app[keys.RESOURCES].products.list(client_id(request), limit, offset)
    items = await product_bodies(request, rows, ProductSummary)
    return model_response(ProductList(items=items, page=Page(total=total, limit=limit, offset=offset)))


@routes.get("/api/v1/products/{id}")
async def get_product(request: web.Request) -> web.Response:
    row = await request.app[keys.RESOURCES].products.get(client_id(request), path_id(request))
    return model_response(await product_body(request, row))


@routes.get("/api/v1/products/{id}/events")
async def product_events(request: web.Request) -> web.WebSocketResponse:
    """The product's current version at once, then again each time its template is replaced:
    an open configurator (or the add-on's live link) loads the new version without a reload."""
    products, tenant, product_id = request.app[keys.RESOURCES].products, client_id(request), path_id(request)

    async def version(row) -> str:
        return ProductVersionEvent.model_validate(dict(row)).model_dump_json()

    return await follow(request, product_id, lambda: products.get(tenant, product_id), version,
                        poll_seconds=VERSION_POLL_SECONDS)


async def _read_upload(request: web.Request, fields: set[str]) -> dict:
    """Multipart form: text fields and one `template` file, each within its size limit."""
    if not request.content_type.startswith("multipart/"):
        raise BadRequestError("expected multipart/form-data with a 'template' file")
    try:
        return await _read_form(request, fields)
    except (ValueError, BadHttpMessage, LineTooLong) as exc:  # malformed multipart
        raise BadRequestError(f"the multipart body cannot be read: {exc}") from None


async def _read_form(request: web.Request, fields: set[str]) -> dict:
    limit = request.app[keys.SETTINGS].max_upload_bytes
    found: dict = {}
    reader = await request.multipart()
    async for part in reader:
        if part.name == "template":
            data = bytearray()
            while chunk := await part.read_chunk(1 << 16):
                data.extend(chunk)
                if len(data) > limit:
                    raise PayloadTooLargeError(f"the template is larger than {limit} bytes")
            found["template"] = bytes(data)
        elif part.name in fields:
            text = await part.text()
            require_storable_text(text, f"/{part.name}")
            if len(text) > MAX_TEXT_FIELD:
                raise PayloadTooLargeError(f"field '{part.name}' is longer than {MAX_TEXT_FIELD} characters")
            found[part.name] = text
        else:
            raise BadRequestError(f"unexpected form field {part.name!r}")
    if not found.get("template"):
        raise BadRequestError("the form has no 'template' file")
    return found


@routes.post("/api/v1/products")
async def create_product(request: web.Request) -> web.Response:
    caller = require_role(request, "admin")
    form = await _read_upload(request, {"name", "description"})
    name = (form.get("name") or "").strip()
    if not 1 <= len(name) <= 200:
        raise BadRequestError("'name' is required (1–200 characters)")
    row = await request.app[keys.RESOURCES].products.create(
        caller.client_id, name, form.get("description", ""), form["template"], actor=actor(caller),
        ip=remote_address(request))
    return model_response(await product_body(request, row), status=201,
                          headers={"Location": f"/api/v1/products/{row['id']}"})


@routes.put("/api/v1/products/{id}/template")
async def replace_template(request: web.Request) -> web.Response:
    caller = require_role(request, "admin")
    form = await _read_upload(request, set())
    products = request.app[keys.RESOURCES].products
    row = await products.replace_template(caller.client_id, path_id(request), form["template"], actor=actor(caller),
                                          ip=remote_address(request))
    return model_response(await product_body(request, row))

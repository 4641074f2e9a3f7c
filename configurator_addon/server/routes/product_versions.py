"""`/api/v1/products/{id}/versions`: a product's template versions, and how compatible one is
with another (its schema diff) and with the product's saved configurations (admins)."""
from __future__ import annotations

from aiohttp import web

from ...errors import BadRequestError, NotFoundError
from ...schemas.api import ProductVersion, ProductVersionList, VersionCompatibility
from ...services.product_versions import ProductVersionService
from .. import keys
from ..authorization import require_role
from ..requests import path_id
from ..responses import model_response

routes = web.RouteTableDef()
MAX_VERSION = 2**31 - 1  # schema_version is a PostgreSQL integer


def _versions(request: web.Request) -> ProductVersionService:
    return ProductVersionService(request.app[keys.RESOURCES].pool)


def _version_number(text: str) -> int | None:
    """A version number, 1 to MAX_VERSION, or None."""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_VERSION else None


@routes.get("/api/v1/products/{id}/versions")
async def list_versions(request: web.Request) -> web.Response:
    caller = require_role(request, "admin")
    rows = await _versions(request).list(caller.client_id, path_id(request))
    return model_response(ProductVersionList(items=[ProductVersion.model_validate(dict(row)) for row in rows]))


@routes.get("/api/v1/products/{id}/versions/{n}/compatibility")
async def version_compatibility(request: web.Request) -> web.Response:
    caller = require_role(request, "admin")
    product_id = path_id(request)
    schema_version = _version_number(request.match_info["n"])
    if schema_version is None:
        raise NotFoundError(f"no such version: {request.match_info['n']!r} is not a version number")
    against = None
    if "against" in request.query:
        against = _version_number(request.query["against"])
        if against is None:
            raise BadRequestError(f"query parameter against must be a version number (1–{MAX_VERSION})")
    report = await _versions(request).compatibility(caller.client_id, product_id, schema_version, against)
    return model_response(VersionCompatibility.model_validate(report))

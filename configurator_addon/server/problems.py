"""The one place that turns errors into RFC 9457 `application/problem+json` responses."""
from __future__ import annotations

import json
import logging

from aiohttp import web
from pydantic import ValidationError

from ..errors import BadRequestError, ConfiguratorError, ConfigValidationError, ErrorDetail, PayloadTooLargeError
from .keys import SETTINGS

PROBLEM_TYPE_BASE = "https://configurator.dev/problems/"
log = logging.getLogger("configurator.server")


def problem_response(error: ConfiguratorError, instance: str | None = None) -> web.Response:
    body = {
        "type": PROBLEM_TYPE_BASE + error.code.lower().replace("_", "-"),
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
    }
    if instance:
        body["instance"] = instance
    if error.errors:
        body["errors"] = [e.as_dict() for e in error.errors]
    return web.Response(status=error.status, text=json.dumps(body), content_type="application/problem+json")


def pydantic_problem(exc: ValidationError) -> ConfigValidationError:
    """A request body that parsed as JSON but has the wrong shape: 422 with pointers."""
    details = [
        ErrorDetail(code=f"BODY_{e['type'].upper()}",
                    pointer="".join(f"/{p}" for p in e["loc"]), message=e["msg"])
        for e in exc.errors()
    ]
    return ConfigValidationError("the request body does not match the expected shape", details)


@web.middleware
async def problem_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except ConfiguratorError as error:
        return problem_response(error, request.path)
    except ValidationError as exc:
        return problem_response(pydantic_problem(exc), request.path)
    except web.HTTPRequestEntityTooLarge as exc:
        return problem_response(PayloadTooLargeError(exc.text or "request body too large"), request.path)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        error = ConfiguratorError(exc.reason)
        error.status, error.title = exc.status, exc.reason
        error.code = exc.reason.upper().replace(" ", "_")
        return problem_response(error, request.path)
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        return problem_response(ConfiguratorError("an unexpected error occurred; it has been logged"), request.path)


async def read_json(request: web.Request, model):
    """Parse a JSON body into a pydantic model: 400 for bad JSON, 413 for too big, 422 for shape."""
    if request.content_type != "application/json":
        raise BadRequestError(f"expected a JSON body (Content-Type: application/json), got {request.content_type!r}")
    limit = request.app[SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(f"the body is larger than {limit} bytes")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLargeError(f"the body is larger than {limit} bytes")
    try:
        data = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequestError(f"the body is not valid JSON: {exc}") from None
    require_storable_text(data)
    return model.model_validate(data)


def require_storable_text(value, pointer: str = "") -> None:
    """PostgreSQL text cannot hold NUL, and lone UTF-16 surrogates are not text: refuse both
    up front (400) instead of failing in the database."""
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            raise BadRequestError(f"the text at '{pointer or '/'}' contains a NUL character or an unpaired surrogate")
    elif isinstance(value, dict):
        for key, item in value.items():
            require_storable_text(key, pointer)
            require_storable_text(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            require_storable_text(item, f"{pointer}/{index}")

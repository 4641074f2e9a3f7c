"""The one place that turns errors into RFC 9457 `application/problem+json` responses."""
from __future__ import annotations

import json
import logging
import sys

from aiohttp import web
from pydantic import ValidationError

from ..db.pool import is_transient
from ..errors import ConfiguratorError, ConfigValidationError, DatabaseError, ErrorDetail, PayloadTooLargeError

PROBLEM_TYPE_BASE = "https://configurator.dev/problems/"
log = logging.getLogger("configurator.server")


def problem_response(error: ConfiguratorError, instance: str | None = None) -> web.Response:
    if error.status >= 500 and error.retry_after_seconds is None:
        # What failed inside (a child's stderr, a server path, a traceback) is for the log,
        # not the caller. Called while handling an exception, the log gets its traceback.
        log.error("%s: %s", error.code, error, extra={"path": instance}, exc_info=sys.exc_info()[0] is not None)
        error = type(error)("an unexpected error occurred; it has been logged")
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
    headers = {"Retry-After": str(error.retry_after_seconds)} if error.retry_after_seconds else None
    return web.Response(status=error.status, text=json.dumps(body), content_type="application/problem+json",
                        headers=headers)


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
    except Exception as exc:  # never a traceback or a server path in the answer
        if is_transient(exc):  # the database went away mid-request: try again shortly
            log.warning("database unavailable: %s: %s", type(exc).__name__, exc, extra={"path": request.path})
            return problem_response(DatabaseError("the database is unavailable; try again shortly"), request.path)
        return problem_response(ConfiguratorError(f"unhandled {type(exc).__name__}: {exc}"), request.path)


def setup_problems(app: web.Application) -> None:
    app.middlewares.append(problem_middleware)

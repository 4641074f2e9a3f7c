"""`/api/v1/audit-events`: a client's admins read its audit log, newest first."""
from __future__ import annotations

from aiohttp import web

from ...accounts import audit
from ...errors import BadRequestError
from ...schemas.api import AuditEvent, AuditEventList
from .. import keys
from ..authorization import require_role
from ..responses import model_response

routes = web.RouteTableDef()
DEFAULT_LIMIT, MAX_LIMIT = 50, 100
MAX_EVENT_ID = 2**63 - 1  # bigserial


def _paging(request: web.Request) -> tuple[int | None, int]:
    try:
        before = int(request.query["before"]) if "before" in request.query else None
        limit = int(request.query.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise BadRequestError("before and limit must be integers") from None
    if before is not None and not 1 <= before <= MAX_EVENT_ID:
        raise BadRequestError(f"before is an event id (1–{MAX_EVENT_ID})")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequestError(f"limit must be 1–{MAX_LIMIT}")
    return before, limit


@routes.get("/api/v1/audit-events")
async def list_audit_events(request: web.Request) -> web.Response:
    caller = require_role(request, "admin")
    before, limit = _paging(request)
    events, next_before = await audit.event_page(request.app[keys.RESOURCES].pool, caller.client_id,
                                                 before_id=before, limit=limit)
    return model_response(AuditEventList(items=[AuditEvent.model_validate(event) for event in events],
                                         next_before=next_before))

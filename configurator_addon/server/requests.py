"""Reading requests: the caller's client, ids in paths, pagination."""
from __future__ import annotations

import uuid

from aiohttp import web

from ..errors import BadRequestError, NotFoundError

# Until accounts exist every caller acts for the demo client. `X-Client-Id` selects another
# client (a stand-in for the authenticated user's client that tests use to prove isolation).
DEMO_CLIENT_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
DEMO_USER_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")
MAX_PAGE = 100
MAX_OFFSET = 1_000_000


def client_id(request: web.Request) -> uuid.UUID:
    header = request.headers.get("X-Client-Id")
    if header is None:
        return DEMO_CLIENT_ID
    try:
        return uuid.UUID(header)
    except ValueError:
        raise BadRequestError("X-Client-Id must be a UUID") from None


def user_id(request: web.Request) -> uuid.UUID | None:
    return DEMO_USER_ID if client_id(request) == DEMO_CLIENT_ID else None


def path_id(request: web.Request, name: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise NotFoundError(f"no such resource: {request.match_info[name]!r} is not an id") from None


def query_uuid(request: web.Request, name: str) -> uuid.UUID | None:
    value = request.query.get(name)
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadRequestError(f"query parameter {name} must be a UUID") from None


def pagination(request: web.Request) -> tuple[int, int]:
    try:
        limit = int(request.query.get("limit", 20))
        offset = int(request.query.get("offset", 0))
    except ValueError:
        raise BadRequestError("limit and offset must be integers") from None
    if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
        raise BadRequestError(f"limit must be 1–{MAX_PAGE} and offset 0–{MAX_OFFSET}")
    return limit, offset

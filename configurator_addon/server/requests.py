"""Reading requests: the caller's client, ids in paths, pagination, JSON bodies."""
from __future__ import annotations

import json
import math
import uuid

from aiohttp import web

from ..errors import BadRequestError, NotFoundError, PayloadTooLargeError
from .authorization import require_credential
from .keys import SETTINGS

MAX_PAGE = 100
MAX_OFFSET = 1_000_000


def client_id(request: web.Request) -> uuid.UUID:
    """The client the caller acts for: its credential's (a session or an API key,
    `authentication.py`), whatever else the request says."""
    return require_credential(request).client_id


def remote_address(request: web.Request) -> str:
    """The caller's address as this server saw it (a proxy's X-Forwarded-For is not taken on trust)."""
    return request.remote or ""


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


MAX_JSON_DEPTH = 32
MAX_INTEGER_DIGITS = 20  # no parameter needs more; Python would parse 4,300 digits slowly


def _refuse_constant(name: str):
    raise BadRequestError(f"the body holds {name}, which is not a JSON number")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise BadRequestError(f"the body holds an integer of more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadRequestError(f"the body holds a number too large to represent: {text[:40]}")
    return value


async def read_json(request: web.Request, model):
    """Parse a JSON body into a pydantic model: 400 for bad JSON (NaN, Infinity, huge numbers
    and deep nesting included), 413 for too big, 422 for shape. Chunked bodies are read whole."""
    if request.content_type != "application/json":
        raise BadRequestError(f"expected a JSON body (Content-Type: application/json), got {request.content_type!r}")
    limit = request.app[SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(f"the body is larger than {limit} bytes")
    raw = bytearray()
    async for chunk in request.content.iter_chunked(1 << 16):
        raw += chunk
        if len(raw) > limit:
            raise PayloadTooLargeError(f"the body is larger than {limit} bytes")
    try:
        data = json.loads(bytes(raw) or b"null", parse_constant=_refuse_constant, parse_int=_bounded_int,
                          parse_float=_finite_float)
    except RecursionError:
        raise BadRequestError(f"the body is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequestError(f"the body is not valid JSON: {exc}") from None
    require_storable_text(data)
    return model.model_validate(data)


def require_storable_text(value, pointer: str = "", depth: int = 1) -> None:
    """PostgreSQL text cannot hold NUL, and lone UTF-16 surrogates are not text: refuse both
    up front (400) instead of failing in the database; and nothing nested deeper than
    `MAX_JSON_DEPTH` (the parser already stopped anything near the recursion limit)."""
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            raise BadRequestError(f"the text at '{pointer or '/'}' contains a NUL character or an unpaired surrogate")
        return
    if not isinstance(value, (dict, list)):
        return
    if depth > MAX_JSON_DEPTH:
        raise BadRequestError(f"the body is nested more than {MAX_JSON_DEPTH} levels deep")
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(key, str):
            require_storable_text(key, pointer)
        require_storable_text(item, f"{pointer}/{key}", depth + 1)

"""A client's API keys: secret keys (`sk_…`, for servers and the add-on's publish) act with
a role; publishable keys (`pk_…`, embedded in the client's website) act as the storefront
and only from the origins they list. A key is shown once, when created; only its SHA-256
and its first characters (for listings) are stored."""
from __future__ import annotations

import ipaddress
import os
import re
import urllib.parse

import asyncpg

from ..db.queries import load_queries
from ..errors import BadRequestError, ForbiddenError, NotFoundError
from . import audit
from .clients import MAX_NAME_LENGTH, OPERATOR, in_transaction, parse_id
from .tokens import SHOWN_PREFIX_CHARS, new_api_key, token_hash

SQL = load_queries(os.path.join(os.path.dirname(__file__), "api_keys.sql"))
KINDS = ("secret", "publishable")
SECRET_KEY_ROLES = ("admin", "member", "viewer")
DEFAULT_SECRET_KEY_ROLE = "member"
STOREFRONT_ROLE = "storefront"
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_ORIGINS = 20
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
ROLE_RANK = {STOREFRONT_ROLE: 0, "viewer": 1, "member": 2, "admin": 3}  # as server/authorization.py
# An allowed origin of a publishable key meaning "wherever this server is reached" (its own
# origin and `CORS_ORIGINS`): the storefront of the server's own web app.
SELF_ORIGIN = "self"


class KeyInputError(BadRequestError):
    """A key asked for that cannot be made; `pointer` names the field at fault (RFC 6901)."""

    def __init__(self, detail: str, pointer: str):
        super().__init__(detail)
        self.pointer = pointer


def normalize_origin(text: str) -> str:
    """`text` as a browser sends it in `Origin`: `scheme://host[:port]`, lowercase, http or
    https, the default port left out. A path (other than a bare "/"), a query, a fragment,
    user info or a wildcard is refused (BadRequestError)."""
    raw = (text or "").strip()
    refused = BadRequestError(f"{text!r} is not an origin (scheme://host[:port], http or https, no path)")
    try:
        parts = urllib.parse.urlsplit(raw)
        port = parts.port
    except ValueError:
        raise refused from None
    scheme, host = parts.scheme.lower(), parts.hostname
    if (scheme not in DEFAULT_PORTS or not host or parts.username is not None or parts.password is not None
            or parts.path not in ("", "/") or parts.query or parts.fragment or raw.endswith(("?", "#"))):
        raise refused
    if ":" in host:  # an IPv6 literal, written in brackets
        try:
            host = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise refused from None
    elif not all(HOST_LABEL.match(label) for label in host.removesuffix(".").split(".")):
        raise refused
    if port is not None and port != DEFAULT_PORTS[scheme]:
        if port == 0:
            raise refused
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


def key_view(row, key: str | None = None) -> dict:
    view = {"id": str(row["id"]), "client_id": str(row["client_id"]), "kind": row["kind"],
            "role": row["role"], "name": row["name"], "shown_prefix": row["shown_prefix"],
            "allowed_origins": list(row["allowed_origins"]), "created_at": row["created_at"].isoformat(),
            "last_used_at": _iso(row["last_used_at"]), "revoked_at": _iso(row["revoked_at"]),
            "created_by": None if row["created_by"] is None else str(row["created_by"])}
    if key is not None:
        view["key"] = key
    return view


def _checked(kind: str, role: str | None, origins, name: str) -> tuple[str, list[str], str]:
    if kind not in KINDS:
        raise KeyInputError(f"a key's kind is one of {', '.join(KINDS)}, not {kind!r}", "/kind")
    name = (name or "").strip()
    if len(name) > MAX_NAME_LENGTH:
        raise KeyInputError(f"a key's name has at most {MAX_NAME_LENGTH} characters", "/name")
    normalized = []
    for index, origin in enumerate(origins or ()):
        try:
            normalized.append(SELF_ORIGIN if origin == SELF_ORIGIN else normalize_origin(origin))
        except BadRequestError as refused:
            raise KeyInputError(refused.detail, f"/allowed_origins/{index}") from None
    origins = list(dict.fromkeys(normalized))
    if kind == "secret":
        role = DEFAULT_SECRET_KEY_ROLE if role is None else role
        if role not in SECRET_KEY_ROLES:
            raise KeyInputError(f"a secret key's role is one of {', '.join(SECRET_KEY_ROLES)}, not {role!r}", "/role")
        if origins:
            raise KeyInputError("only publishable keys list allowed origins", "/allowed_origins")
        return role, origins, name
    if role not in (None, STOREFRONT_ROLE):
        raise KeyInputError(f"a publishable key acts as the storefront only, not as {role!r}", "/role")
    if not origins:
        raise KeyInputError("a publishable key needs at least one allowed origin (--origin https://shop.example)",
                            "/allowed_origins")
    if len(origins) > MAX_ORIGINS:
        raise KeyInputError(f"a publishable key lists at most {MAX_ORIGINS} origins", "/allowed_origins")
    return STOREFRONT_ROLE, origins, name


async def create_key(db, client_id, *, kind: str, role: str | None = None, origins=(), name: str = "",
                     created_by=None, actor: str = OPERATOR, ip: str = "", max_role: str | None = None) -> dict:
    """A new key of `client_id`: its view with `key`, the only time the key is seen. With
    `max_role` (the role of whoever asks), a key of a higher role is refused (ForbiddenError)."""
    client_id = parse_id(client_id)
    role, origins, name = _checked(kind, role, origins, name)
    if max_role is not None and ROLE_RANK[role] > ROLE_RANK[max_role]:
        raise ForbiddenError(f"a credential with the {max_role} role cannot create a key with the {role} role")
    key = new_api_key(kind)
    async with in_transaction(db) as connection:
        try:
            row = await connection.fetchrow(SQL.create_key, client_id, kind, role, name,
                                            key[:SHOWN_PREFIX_CHARS], token_hash(key), origins, created_by)
        except asyncpg.ForeignKeyViolationError:
            raise NotFoundError(f"no client {client_id}") from None
        if row is None:
            raise NotFoundError(f"no user {created_by} in client {client_id}")
        await audit.record(connection, "key.created", client_id=client_id, actor=actor,
                           target=f"key:{row['id']}", ip=ip,
                           detail={"kind": kind, "role": role, "shown_prefix": row["shown_prefix"],
                                   "allowed_origins": origins, "name": name})
    return key_view(row, key)


async def list_keys(db, client_id) -> list[dict]:
    """Every key of `client_id`, revoked ones too, newest first; never a key or its hash."""
    return [key_view(row) for row in await db.fetch(SQL.client_keys, parse_id(client_id))]


async def revoke_key(db, client_id, key_id, *, actor: str = OPERATOR, ip: str = "") -> dict:
    """Revoke the key `key_id` of `client_id` (`revoked_at`, audited as key.revoked); a key
    revoked already is left as it is. Another client's key is a NotFoundError, untouched."""
    client_id, key_id = parse_id(client_id), parse_id(key_id, "key")
    async with in_transaction(db) as connection:
        row = await connection.fetchrow(SQL.revoke_key, key_id, client_id)
        if row is None:
            row = await connection.fetchrow(SQL.client_key, key_id, client_id)
            if row is None:
                raise NotFoundError(f"no key {key_id}")
            return key_view(row)
        await audit.record(connection, "key.revoked", client_id=client_id, actor=actor, target=f"key:{key_id}",
                           ip=ip, detail={"kind": row["kind"], "role": row["role"],
                                          "shown_prefix": row["shown_prefix"], "name": row["name"]})
    return key_view(row)

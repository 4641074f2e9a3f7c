"""Admins manage their client's API keys and read its audit log over HTTP, on a real
PostgreSQL: who may call (the role matrix), another client's keys and events out of reach, a
created key working as a credential until it is revoked (at once in this process, within the
cache's lifetime in others), no key material in listings, the audit rows of each change."""
from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from configurator_addon.accounts import api_keys, audit, passwords, sessions, tokens
from configurator_addon.errors import ForbiddenError, UnauthorizedError
from configurator_addon.server import authentication, keys
from configurator_addon.server.app import create_app
from fixtures_api import api_settings
from test_auth import APP_ORIGIN

PROBLEM = "application/problem+json"
PASSWORD = "correct horse battery staple"
PASSWORD_HASH = passwords.hash_password(PASSWORD)
KEYS, AUDIT = "/api/v1/api-keys", "/api/v1/audit-events"
LISTED = {"id", "kind", "role", "name", "shown_prefix", "allowed_origins", "created_at", "last_used_at",
          "revoked_at", "created_by"}


@pytest.fixture
async def api(database, tmp_path):
    """The app, and a client that keeps no cookies: each request carries the credential it means to."""
    app = create_app(api_settings(database, str(tmp_path / "var")), role="all")
    async with TestClient(TestServer(app), cookie_jar=aiohttp.DummyCookieJar()) as client:
        yield client


def pool_of(api):
    return api.server.app[keys.RESOURCES].pool


async def new_client(api, name: str = "Acme Kitchens") -> uuid.UUID:
    return await pool_of(api).fetchval("INSERT INTO clients (name) VALUES ($1) RETURNING id", name)


async def new_user(api, client_id, role: str) -> uuid.UUID:
    return await pool_of(api).fetchval(
        "INSERT INTO users (client_id, email, name, role, password_hash) VALUES ($1, $2, 'Ada', $3, $4) RETURNING id",
        client_id, f"{role}-{uuid.uuid4().hex[:8]}@example.com", role, PASSWORD_HASH)


async def session_of(api, user_id) -> dict:
    email = await pool_of(api).fetchval("SELECT email FROM users WHERE id = $1", user_id)
    response = await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status == 200, await response.text()
    token = response.cookies[authentication.SESSION_COOKIE].value
    cookie = {"Cookie": f"{authentication.SESSION_COOKIE}={token}"}
    me = await api.get("/api/v1/auth/me", headers=cookie)
    return cookie | {"Origin": APP_ORIGIN, authentication.CSRF_HEADER: (await me.json())["csrf_token"]}


async def inserted_key(api, client_id, kind: str = "secret", role: str = "admin") -> tuple[uuid.UUID, str]:
    """A key made as the operator makes one, bypassing the HTTP API."""
    created = await api_keys.create_key(pool_of(api), client_id, kind=kind, role=None if kind != "secret" else role,
                                        origins=["https://shop.example"] if kind == "publishable" else ())
    return uuid.UUID(created["id"]), created["key"]


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


async def admin(api, client_id) -> tuple[uuid.UUID, dict]:
    user_id = await new_user(api, client_id, "admin")
    return user_id, await session_of(api, user_id)


async def problem(response, status: int) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    return await response.json()


async def revoked_at(api, key_id):
    return await pool_of(api).fetchval("SELECT revoked_at FROM api_keys WHERE id = $1", key_id)


async def audit_rows(api, client_id, action: str | None = None) -> list:
    return await pool_of(api).fetch(
        "SELECT actor, action, target, detail, ip FROM audit_events WHERE client_id = $1 "
        "AND ($2::text IS NULL OR action = $2) ORDER BY id", client_id, action)


# -- who may call -------------------------------------------------------------------------
CALLERS = {  # credential -> whether it may manage keys and read the audit log
    "anonymous": 401, "viewer": 403, "member": 403, "admin": None,
    "publishable key": 403, "admin secret key": None, "member secret key": 403,
}


async def _credential(api, client_id, caller: str) -> dict:
    if caller == "anonymous":
        return {}
    if caller in ("viewer", "member", "admin"):
        return await session_of(api, await new_user(api, client_id, caller))
    kind, role = ("publishable", None) if caller == "publishable key" else ("secret", caller.split()[0])
    return bearer((await inserted_key(api, client_id, kind, role or "admin"))[1])


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_only_admins_manage_keys_and_read_the_audit_log(api, caller):
    client_id = await new_client(api)
    target, _ = await inserted_key(api, client_id, role="viewer")
    headers = await _credential(api, client_id, caller)
    keys_before = await pool_of(api).fetchval("SELECT count(*) FROM api_keys WHERE client_id = $1", client_id)
    answers = {
        "list": await api.get(KEYS, headers=headers),
        "create": await api.post(KEYS, headers=headers, json={"kind": "secret", "role": "viewer", "name": "CI"}),
        "revoke": await api.delete(f"{KEYS}/{target}", headers=headers),
        "audit": await api.get(AUDIT, headers=headers),
    }
    refused = CALLERS[caller]
    if refused is not None:
        for response in answers.values():
            await problem(response, refused)
        assert await revoked_at(api, target) is None
        assert await pool_of(api).fetchval("SELECT count(*) FROM api_keys WHERE client_id = $1",
                                           client_id) == keys_before
        return
    statuses = {name: response.status for name, response in answers.items()}
    assert statuses == {"list": 200, "create": 201, "revoke": 204, "audit": 200}, {
        name: await response.text() for name, response in answers.items()}
    assert await revoked_at(api, target) is not None


async def test_a_key_never_makes_a_key_above_its_own_role():
    """The route asks for admin already; the rule itself holds for any role (checked before any database work)."""
    for role in ("admin", "member"):
        with pytest.raises(ForbiddenError):
            await api_keys.create_key(None, uuid.uuid4(), kind="secret", role=role, max_role="viewer")


# -- creating -----------------------------------------------------------------------------
async def test_a_created_key_is_shown_once_and_works_for_its_client_until_revoked(api):
    client_id = await new_client(api)
    user_id, session = await admin(api, client_id)
    product = await pool_of(api).fetchval(
        "INSERT INTO products (client_id, name, template_blob_path, template_version, config_schema) "
        "VALUES ($1, 'Cabinet', 'templates/x.blend', $2, '{}'::json) RETURNING id", client_id, "0" * 64)

    response = await api.post(KEYS, headers=session, json={"kind": "secret", "name": " Publisher ", "role": "member"})
    assert response.status == 201, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    created = await response.json()
    assert set(created) == LISTED | {"key"}
    key = created["key"]
    assert key.startswith("sk_") and created["shown_prefix"] == key[:tokens.SHOWN_PREFIX_CHARS]
    assert (created["kind"], created["role"], created["name"], created["allowed_origins"]) == (
        "secret", "member", "Publisher", [])
    assert created["created_by"] == str(user_id) and created["revoked_at"] is None

    products = await api.get("/api/v1/products", headers=bearer(key))
    assert products.status == 200, await products.text()
    assert [item["id"] for item in (await products.json())["items"]] == [str(product)]

    # Revoked here: refused at once, though this process had the key's row cached.
    assert (await api.delete(f"{KEYS}/{created['id']}", headers=session)).status == 204
    await problem(await api.get("/api/v1/products", headers=bearer(key)), 401)
    listed = (await (await api.get(KEYS, headers=session)).json())["items"]
    assert listed[0]["id"] == created["id"] and listed[0]["revoked_at"] is not None
    # A repeat finds it revoked already: nothing changes, nothing more is recorded.
    assert (await api.delete(f"{KEYS}/{created['id']}", headers=session)).status == 204
    assert len(await audit_rows(api, client_id, "key.revoked")) == 1


async def test_a_revoked_key_is_refused_by_other_processes_within_the_cache_lifetime(api, monkeypatch):
    monkeypatch.setattr(authentication, "CACHE_SECONDS", 1.0)
    client_id = await new_client(api)
    _, session = await admin(api, client_id)
    key_id, key = await inserted_key(api, client_id)
    elsewhere = authentication.Authenticator(sessions.Sessions(pool_of(api)))  # another process's cache
    request = make_mocked_request("GET", "/api/v1/products", headers=bearer(key))
    assert (await elsewhere.identify(request)).key_id == key_id
    assert (await api.delete(f"{KEYS}/{key_id}", headers=session)).status == 204
    started = time.monotonic()
    while True:
        try:
            await elsewhere.identify(request)
        except UnauthorizedError:
            break
        assert time.monotonic() - started < 1.5, "the revoked key is still accepted elsewhere"
        await asyncio.sleep(0.05)


async def test_a_publishable_key_lists_its_origins_as_a_browser_sends_them(api):
    client_id = await new_client(api)
    _, session = await admin(api, client_id)
    response = await api.post(KEYS, headers=session, json={
        "kind": "publishable", "allowed_origins": ["https://Shop.Example:443/", "http://localhost:5173"]})
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["key"].startswith("pk_") and created["role"] == "storefront"
    assert created["allowed_origins"] == ["https://shop.example", "http://localhost:5173"]
    shop = {**bearer(created["key"]), "Origin": "https://shop.example"}
    assert (await api.get("/api/v1/products", headers=shop)).status == 200


@pytest.mark.parametrize(("body", "pointer"), [
    ({"kind": "publishable"}, "/allowed_origins"),
    ({"kind": "publishable", "allowed_origins": ["https://shop.example", "https://shop.example/embed"]},
     "/allowed_origins/1"),
    ({"kind": "publishable", "allowed_origins": ["https://*.shop.example"]}, "/allowed_origins/0"),
    ({"kind": "publishable", "role": "admin", "allowed_origins": ["https://shop.example"]}, "/role"),
    ({"kind": "secret", "allowed_origins": ["https://shop.example"]}, "/allowed_origins"),
    ({"kind": "secret", "role": "storefront"}, "/role"),
    ({"kind": "secret", "role": "owner"}, "/role"),
    ({"kind": "master"}, "/kind"),
    ({"role": "admin"}, "/kind"),
    ({"kind": "secret", "name": "x" * 201}, "/name"),
    ({"kind": "secret", "key": "sk_chosen"}, "/key"),
])
async def test_a_key_that_cannot_be_made_is_422_pointing_at_the_field(api, body, pointer):
    client_id = await new_client(api)
    _, session = await admin(api, client_id)
    refused = await problem(await api.post(KEYS, headers=session, json=body), 422)
    assert [error["pointer"] for error in refused["errors"]] == [pointer], refused
    assert await pool_of(api).fetchval("SELECT count(*) FROM api_keys WHERE client_id = $1", client_id) == 0
    assert await audit_rows(api, client_id, "key.created") == []


# -- listing ------------------------------------------------------------------------------
async def test_the_listing_is_the_clients_keys_newest_first_without_key_material(api):
    client_id, other = await new_client(api), await new_client(api, "Someone else")
    _, session = await admin(api, client_id)
    await inserted_key(api, other)
    made = []
    for body in ({"kind": "secret", "name": "first"}, {"kind": "publishable", "allowed_origins": ["https://a.example"]},
                 {"kind": "secret", "role": "admin", "name": "third"}):
        response = await api.post(KEYS, headers=session, json=body)
        assert response.status == 201, await response.text()
        made.append(await response.json())
    response = await api.get(KEYS, headers=session)
    assert response.status == 200
    text = await response.text()
    items = (await response.json())["items"]
    assert [item["id"] for item in items] == [key["id"] for key in reversed(made)]
    for item, key in zip(items, reversed(made), strict=True):
        assert set(item) == LISTED
        assert item == {name: value for name, value in key.items() if name != "key"}
        assert key["key"] not in text
    hashes = await pool_of(api).fetch("SELECT key_hash FROM api_keys WHERE client_id = $1", client_id)
    for row in hashes:
        assert bytes(row["key_hash"]).hex() not in text


async def test_keys_created_by_a_key_name_no_user_and_its_audit_actor_is_the_key(api):
    client_id = await new_client(api)
    key_id, key = await inserted_key(api, client_id)
    response = await api.post(KEYS, headers=bearer(key), json={"kind": "secret", "role": "admin"})
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["created_by"] is None
    assert (await api.delete(f"{KEYS}/{created['id']}", headers=bearer(key))).status == 204
    rows = await audit_rows(api, client_id)
    assert [(row["actor"], row["action"], row["target"]) for row in rows][-2:] == [
        (f"key:{key_id}", "key.created", f"key:{created['id']}"),
        (f"key:{key_id}", "key.revoked", f"key:{created['id']}")]


# -- another client -----------------------------------------------------------------------
async def test_another_clients_key_is_404_and_untouched(api):
    client_id, other = await new_client(api), await new_client(api, "Someone else")
    _, session = await admin(api, client_id)
    theirs, their_key = await inserted_key(api, other)
    for target in (theirs, uuid.uuid4(), "not-an-id"):
        await problem(await api.delete(f"{KEYS}/{target}", headers=session), 404)
    assert await revoked_at(api, theirs) is None
    assert (await api.get("/api/v1/products", headers=bearer(their_key))).status == 200
    listed = (await (await api.get(KEYS, headers=session)).json())["items"]
    assert listed == []
    assert await audit_rows(api, client_id, "key.revoked") == []
    assert await audit_rows(api, other, "key.revoked") == []


# -- audit --------------------------------------------------------------------------------
async def test_creating_and_revoking_are_audited_with_the_user_and_address(api):
    client_id = await new_client(api)
    user_id, session = await admin(api, client_id)
    response = await api.post(KEYS, headers=session, json={"kind": "secret", "role": "viewer", "name": "CI"})
    created = await response.json()
    assert (await api.delete(f"{KEYS}/{created['id']}", headers=session)).status == 204
    rows = [dict(row) for row in await audit_rows(api, client_id) if row["action"].startswith("key.")]
    detail = {"kind": "secret", "role": "viewer", "shown_prefix": created["shown_prefix"], "name": "CI"}
    assert rows == [
        {"actor": f"user:{user_id}", "action": "key.created", "target": f"key:{created['id']}",
         "detail": {**detail, "allowed_origins": []}, "ip": "127.0.0.1"},
        {"actor": f"user:{user_id}", "action": "key.revoked", "target": f"key:{created['id']}",
         "detail": detail, "ip": "127.0.0.1"}]
    assert created["key"] not in str(rows)


async def test_a_change_whose_audit_row_fails_is_not_made(api, monkeypatch):
    """The audit row is written in the change's transaction: without it there is no change."""
    client_id = await new_client(api)
    _, session = await admin(api, client_id)
    target, _ = await inserted_key(api, client_id)

    async def failing(*args, **kwargs):
        raise RuntimeError("the audit log is full")

    monkeypatch.setattr(audit, "record", failing)
    assert (await api.post(KEYS, headers=session, json={"kind": "secret"})).status == 500
    assert (await api.delete(f"{KEYS}/{target}", headers=session)).status == 500
    assert await pool_of(api).fetchval("SELECT count(*) FROM api_keys WHERE client_id = $1", client_id) == 1
    assert await revoked_at(api, target) is None


async def test_the_audit_log_is_the_clients_own_newest_first_in_pages(api):
    client_id, other = await new_client(api), await new_client(api, "Someone else")
    _, session = await admin(api, client_id)  # its login is the first event
    for number in range(6):
        await audit.record(pool_of(api), "test.event", client_id=client_id, target=f"n:{number}",
                           detail={"n": number}, ip="192.0.2.1")
        await audit.record(pool_of(api), "test.event", client_id=other, target=f"theirs:{number}")
    theirs = await pool_of(api).fetchval("SELECT max(id) FROM audit_events WHERE client_id = $1", other)
    mine = await pool_of(api).fetch("SELECT id FROM audit_events WHERE client_id = $1 ORDER BY at DESC, id DESC",
                                    client_id)

    seen, before, pages = [], None, 0
    while True:
        response = await api.get(AUDIT, headers=session,
                                 params={"limit": 3, **({"before": before} if before is not None else {})})
        assert response.status == 200, await response.text()
        page = await response.json()
        assert len(page["items"]) <= 3
        seen += page["items"]
        pages += 1
        before = page["next_before"]
        if before is None:
            break
        assert before == page["items"][-1]["id"]
    assert [event["id"] for event in seen] == [row["id"] for row in mine]
    assert pages == 3  # 7 events: 3 + 3 + 1
    assert not any(event["target"].startswith("theirs:") for event in seen)
    newest = seen[0]
    assert set(newest) == {"id", "actor", "action", "target", "detail", "ip", "at"}
    assert (newest["action"], newest["target"], newest["detail"], newest["ip"]) == (
        "test.event", "n:5", {"n": 5}, "192.0.2.1")
    assert seen[-1]["action"] == "login.succeeded"

    # Another client's event id does not open a window on its log.
    response = await api.get(AUDIT, headers=session, params={"before": theirs})
    assert (await response.json()) == {"items": [], "next_before": None}
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"before": 0}, {"before": 2**63}, {"before": "x"}):
        await problem(await api.get(AUDIT, headers=session, params=params), 400)

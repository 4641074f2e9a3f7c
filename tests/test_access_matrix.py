"""Who may call what, on a real PostgreSQL (docs/accounts.md, "Roles"): every /api/v1 route
but the few that begin a session needs a credential; the role matrix (storefront < viewer <
member < admin), each cell with a user's session and with a secret key of that role (the
storefront: a publishable key); who made a configuration decides who else sees it; another
client's ids are 404 and untouched, its rows never listed; a publishable key's origins; a
disabled client's credentials.

Each test starts one app and walks many cells, collecting every failing cell (endpoint ×
credential) into one assertion message, so one run shows the whole state of the matrix."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from configurator_addon.accounts import tokens
from configurator_addon.server import authentication
from configurator_addon.server.app import create_app
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_api import api_settings
from test_auth import (
    PASSWORD,
    REFRESH,
    User,
    cookie_header,
    cookies_of,
    logged_in,
    login,
    new_client,
    new_key,
    new_product,
    new_user,
    pool_of,
    session_header,
)

PROBLEM = "application/problem+json"
SHOP = "https://shop.example"  # the publishable keys' allowed origin
EVIL = "https://evil.example"
# The credentials of the matrix, weakest first: each role as a user's session and as a secret key.
MATRIX = ("storefront key", "viewer session", "viewer key", "member session", "member key", "admin session",
          "admin key")
RANK = {"storefront": 0, "viewer": 1, "member": 2, "admin": 3}


class StubInspector:
    """Accepts any upload as a template with an empty schema: the matrix is about who may
    upload, not about templates (`test_api_uploads` and the engine tests cover those)."""

    async def inspect(self, template: bytes) -> dict:
        return {"schema": {}, "parameters": []}


@pytest.fixture
async def app(database, tmp_path):
    """The app (uploads inspected by `StubInspector`), and a client that keeps no cookies:
    each request carries exactly the credential it means to."""
    settings = api_settings(database, str(tmp_path / "var"))
    application = create_app(settings, role="all", inspector=StubInspector())
    async with TestClient(TestServer(application), cookie_jar=aiohttp.DummyCookieJar()) as client:
        yield client


# -- credentials and tenants --------------------------------------------------------------
@dataclass
class Cred:
    name: str  # "viewer session", "admin key", "storefront key", …
    role: str
    kind: str  # session | secret | publishable
    headers: dict
    user_id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None

    def ws_headers(self) -> dict:
        """For the job socket. A publishable key there is a server's (no `Origin`): a browser
        cannot put an Authorization header on a WebSocket, and the socket takes only the web
        app's origins anyway."""
        if self.kind == "publishable":
            return {k: v for k, v in self.headers.items() if k != "Origin"}
        return self.headers


@dataclass
class Tenant:
    id: uuid.UUID
    product: uuid.UUID
    creds: dict[str, Cred] = field(default_factory=dict)

    def matrix(self) -> list[Cred]:
        return [self.creds[name] for name in MATRIX]


async def key_cred(client, client_id, role: str, name: str) -> Cred:
    kind = "publishable" if role == "storefront" else "secret"
    key = await new_key(client, client_id, kind, role=role, origins=[SHOP] if kind == "publishable" else ())
    key_id = await pool_of(client).fetchval("SELECT id FROM api_keys WHERE key_hash = $1", tokens.token_hash(key))
    headers = {"Authorization": f"Bearer {key}"}
    if kind == "publishable":
        headers["Origin"] = SHOP  # as the storefront's page sends it
    return Cred(name, role, kind, headers, key_id=key_id)


async def session_cred(client, client_id, role: str, name: str) -> Cred:
    user = await new_user(client, client_id, role=role)
    # The session cookie with the web app's Origin and the session's CSRF token.
    return Cred(name, role, "session", session_header(await logged_in(client, user)), user_id=user.id)


async def new_tenant(client, name: str) -> Tenant:
    """A client with a product and a credential of every kind and role of the matrix, and a
    second publishable key ("other storefront key")."""
    client_id = await new_client(client, name)
    tenant = Tenant(client_id, await new_product(client, client_id, f"{name} cabinet"))
    for cred_name in (*MATRIX, "other storefront key"):
        role = cred_name.split()[0] if not cred_name.startswith("other") else "storefront"
        if cred_name.endswith("session"):
            tenant.creds[cred_name] = await session_cred(client, client_id, role, cred_name)
        else:
            tenant.creds[cred_name] = await key_cred(client, client_id, role, cred_name)
    return tenant


async def new_configuration(client, tenant: Tenant, owner: Cred | None, *, config_data=None,
                            name: str | None = None) -> uuid.UUID:
    """A configuration as `owner` would have saved it: its user, or its key (`api_key_id`);
    without a `name`, one of its own (a user's names are unique, migration 0013)."""
    name = name or f"Saved {uuid.uuid4().hex[:12]}"
    return await pool_of(client).fetchval(
        "INSERT INTO configurations (client_id, product_id, user_id, api_key_id, name, config_data, "
        "product_schema_version) VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING id",
        tenant.id, tenant.product, owner.user_id if owner else None, owner.key_id if owner else None, name,
        config_data or {})  # the pool encodes jsonb


async def new_job(client, tenant: Tenant) -> uuid.UUID:
    return await pool_of(client).fetchval(
        "INSERT INTO jobs (client_id, product_id, template_blob_path, template_version, config_data, cache_key, "
        "status) VALUES ($1, $2, 'templates/x.blend', $3, '{}'::jsonb, $4, 'QUEUED') RETURNING id",
        tenant.id, tenant.product, "0" * 64, uuid.uuid4().hex)


def sees(cred: Cred, owner: Cred | None) -> bool:
    """Whether `cred` may see a configuration `owner` made: members and admins see all of the
    client's; a viewer's session its user's own; a viewer key or a publishable key those made
    with that very key."""
    if RANK[cred.role] >= RANK["member"]:
        return True
    if owner is None:
        return False
    if cred.kind == "session":
        return owner.user_id is not None and owner.user_id == cred.user_id
    return owner.key_id is not None and owner.key_id == cred.key_id


def others_of(tenant: Tenant, cred: Cred) -> list[Cred]:
    """Owners of configurations that are not `cred`'s own, for the ownership cells."""
    c = tenant.creds
    return {
        "storefront key": [c["other storefront key"], c["admin session"]],
        "viewer session": [c["member session"], c["viewer key"]],
        "viewer key": [c["member key"], c["viewer session"]],
    }.get(cred.name, [c["viewer session"], c["storefront key"]])


# -- cells --------------------------------------------------------------------------------
class Cells:
    """Checks that do not stop at the first failure: `verify()` fails once, listing each."""

    def __init__(self):
        self.failures: list[str] = []
        self.count = 0

    async def expect(self, label: str, response, status) -> tuple[bool, object]:
        """(passed, parsed body). A refusal must be problem+json."""
        self.count += 1
        statuses = {status} if isinstance(status, int) else set(status)
        text = await response.text()
        wanted = "/".join(str(s) for s in sorted(statuses))
        if response.status not in statuses:
            self.failures.append(f"{label}: expected {wanted}, got {response.status} {text[:240]}")
            return False, None
        if response.status >= 400:
            if response.content_type != PROBLEM:
                self.failures.append(f"{label}: {response.status} as {response.content_type!r}, not {PROBLEM}")
                return False, None
            body = json.loads(text)
            if body.get("status") != response.status:
                self.failures.append(f"{label}: problem body says status {body.get('status')!r}")
                return False, body
            return True, body
        try:
            return True, json.loads(text) if text else None
        except json.JSONDecodeError:
            return True, text

    def check(self, label: str, condition: bool, message: str) -> bool:
        self.count += 1
        if not condition:
            self.failures.append(f"{label}: {message}")
        return condition

    def verify(self) -> None:
        assert not self.failures, (f"{len(self.failures)} of {self.count} checks failed:\n  "
                                   + "\n  ".join(self.failures))


async def ws_status(client, path: str, headers: dict) -> tuple[int, dict | None]:
    """101 and the first message, or the status the handshake was refused with."""
    try:
        socket = await client.ws_connect(path, headers=headers)
    except aiohttp.WSServerHandshakeError as refused:
        return refused.status, None
    try:
        message = await socket.receive(timeout=5)
        return 101, json.loads(message.data) if message.type == aiohttp.WSMsgType.TEXT else None
    finally:
        await socket.close()


async def row_of(client, table: str, row_id) -> dict | None:
    row = await pool_of(client).fetchrow(f"SELECT * FROM {table} WHERE id = $1", row_id)  # noqa: S608 - our names
    return dict(row) if row is not None else None


async def counts(client) -> dict[str, int]:
    pool = pool_of(client)
    return {table: await pool.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - our names
            for table in ("products", "product_versions", "configurations", "jobs", "users", "api_keys")}


def template_form(name: str | None = "Uploaded cabinet") -> aiohttp.FormData:
    """A fresh upload (a form can be sent once); distinct bytes each time, so a replacement
    is never the current version (409)."""
    form = aiohttp.FormData()
    if name is not None:
        form.add_field("name", name)
    form.add_field("template", b"BLENDER-v300" + uuid.uuid4().bytes * 8, filename="template.blend",
                   content_type="application/x-blender")
    return form


# -- 1. no credential -----------------------------------------------------------------------
# Requests that need no credential: they begin a session, end one, or stand alone.
OPEN = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh"), ("POST", "/api/v1/auth/logout"),
        ("POST", "/api/v1/auth/password-reset"), ("POST", "/api/v1/auth/password-reset/confirm"),
        ("GET", "/api/v1/openapi.json")}
# What an honest caller would send, so that no answer is a 4xx about the body instead.
BODIES: dict[tuple[str, str], Callable[[str], dict]] = {
    ("POST", "/api/v1/products"): lambda _: {"data": template_form()},
    ("PUT", "/api/v1/products/{id}/template"): lambda _: {"data": template_form(None)},
    ("POST", "/api/v1/configurations"): lambda product: {"json": {"product_id": product, "name": "Anonymous"}},
    ("PATCH", "/api/v1/configurations/{id}"): lambda _: {"json": {"name": "Renamed"}},
    ("POST", "/api/v1/jobs"): lambda product: {"json": {"product_id": product, "config_data": {}}},
    ("POST", "/api/v1/jobs/{id}/cancel"): lambda _: {},
    ("POST", "/api/v1/users"): lambda _: {"json": {"email": f"anon-{uuid.uuid4().hex[:8]}@example.com",
                                                   "name": "Anon", "role": "member"}},
    ("PATCH", "/api/v1/users/{id}"): lambda _: {"json": {"name": "Renamed"}},
    ("POST", "/api/v1/api-keys"): lambda _: {"json": {"kind": "secret", "role": "viewer"}},
    ("POST", "/api/v1/auth/password"): lambda _: {"json": {"current_password": PASSWORD,
                                                           "new_password": "a brand new password"}},
}
KNOWN_GUARDED = {
    ("GET", "/api/v1/auth/me"), ("POST", "/api/v1/auth/password"),
    ("GET", "/api/v1/products"), ("GET", "/api/v1/products/{id}"), ("POST", "/api/v1/products"),
    ("PUT", "/api/v1/products/{id}/template"),
    ("GET", "/api/v1/configurations"), ("GET", "/api/v1/configurations/{id}"), ("POST", "/api/v1/configurations"),
    ("PATCH", "/api/v1/configurations/{id}"), ("DELETE", "/api/v1/configurations/{id}"),
    ("POST", "/api/v1/jobs"), ("GET", "/api/v1/jobs/{id}"), ("POST", "/api/v1/jobs/{id}/cancel"),
    ("GET", "/api/v1/jobs/{id}/events"),
    ("GET", "/api/v1/users"), ("POST", "/api/v1/users"), ("PATCH", "/api/v1/users/{id}"),
    ("DELETE", "/api/v1/users/{id}"),
    ("GET", "/api/v1/api-keys"), ("POST", "/api/v1/api-keys"), ("DELETE", "/api/v1/api-keys/{id}"),
    ("GET", "/api/v1/audit-events"),
}


def api_routes(client) -> set[tuple[str, str]]:
    """Every (method, path template) the app serves under /api/v1."""
    found = set()
    for route in client.server.app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if path.startswith("/api/v1/") and route.method not in ("HEAD", "OPTIONS"):
            found.add((route.method, path))
    return found


async def test_every_api_route_but_the_session_ones_needs_a_credential(app):
    """No credential, or only an `X-Client-Id` (of the demo client or of a real one): 401
    problem+json on every /api/v1 route the app serves, before anything is read or written;
    the job socket is refused before the upgrade."""
    cells = Cells()
    routes = api_routes(app)
    missing = KNOWN_GUARDED - routes
    assert not missing, f"the app no longer serves {sorted(missing)}: update the matrix"
    client_id = await new_client(app, "Acme Kitchens")
    product = str(await new_product(app, client_id))
    # Real ids of that client, so that a 404 could not stand in for the 401.
    user = await new_user(app, client_id, role="member")
    config = await pool_of(app).fetchval(
        "INSERT INTO configurations (client_id, product_id, name, config_data, product_schema_version) "
        "VALUES ($1, $2, 'Saved', '{}'::jsonb, 1) RETURNING id", client_id, uuid.UUID(product))
    job = await new_job(app, Tenant(client_id, uuid.UUID(product)))
    key_id = await pool_of(app).fetchval("SELECT id FROM api_keys WHERE key_hash = $1",
                                         tokens.token_hash(await new_key(app, client_id)))
    ids = {"/products/": product, "/configurations/": config, "/jobs/": job, "/users/": user.id,
           "/api-keys/": key_id}
    before = await counts(app)
    for method, template in sorted(routes - OPEN):
        path = template
        for prefix, value in ids.items():
            path = path.replace(prefix + "{id}", f"{prefix}{value}")
        for label, headers in (("no credential", {}), ("X-Client-Id of the demo client",
                                                        {"X-Client-Id": str(DEMO_CLIENT_ID)}),
                               ("X-Client-Id of the product's client", {"X-Client-Id": str(client_id)})):
            if template.endswith("/events"):
                status, _ = await ws_status(app, path, headers)
                cells.check(f"WS {template} × {label}", status == 401, f"handshake answered {status}, not 401")
                continue
            extra = BODIES.get((method, template), lambda _: {})(product)
            response = await app.request(method, path, headers=headers, **extra)
            await cells.expect(f"{method} {template} × {label}", response, 401)
            if method == "GET":  # aiohttp answers HEAD on every GET route
                response = await app.head(path, headers=headers)
                cells.check(f"HEAD {template} × {label}", (response.status, response.content_type) == (401, PROBLEM),
                            f"answered {response.status} {response.content_type}")
    # Refused before the body is read: a broken one is still 401, not 400.
    await cells.expect("POST /configurations (not JSON) × no credential", await app.post(
        "/api/v1/configurations", data=b"{not json", headers={"Content-Type": "application/json"}), 401)
    cells.check("nothing written", await counts(app) == before, f"{before} → {await counts(app)}")

    # The open ones answer as they would anyone.
    await cells.expect("GET /health", await app.get("/health"), 200)
    await cells.expect("GET /ready", await app.get("/ready"), 200)
    await cells.expect("GET /api/v1/openapi.json", await app.get("/api/v1/openapi.json"), 200)
    await cells.expect("POST /api/v1/auth/login (no fields: the body is read)",
                       await app.post("/api/v1/auth/login", json={}), 422)
    signed_in = cookies_of(await login(app, user.email))
    await cells.expect("POST /api/v1/auth/refresh (the refresh cookie only)",
                       await app.post("/api/v1/auth/refresh", headers=cookie_header(**{REFRESH: signed_in[REFRESH]})),
                       200)
    await cells.expect("POST /api/v1/auth/logout (nothing)", await app.post("/api/v1/auth/logout"), 204)
    await cells.expect("POST /api/v1/auth/password-reset",
                       await app.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"}), 202)
    await cells.expect("POST /api/v1/auth/password-reset/confirm (a made-up link)",
                       await app.post("/api/v1/auth/password-reset/confirm",
                                      json={"token": "x" * 43, "password": "a long enough password"}), 400)
    cells.verify()


# -- 2. the role matrix ---------------------------------------------------------------------
def by_role(cred: Cred, storefront, viewer, member, admin):
    return {"storefront": storefront, "viewer": viewer, "member": member, "admin": admin}[cred.role]


async def test_products_by_role(app):
    """Everyone reads the catalogue; only admins upload a product or replace its template."""
    cells = Cells()
    tenant = await new_tenant(app, "Acme Kitchens")
    product = tenant.product
    for cred in tenant.matrix():
        ok, body = await cells.expect(f"GET /products × {cred.name}", await app.get("/api/v1/products",
                                                                                      headers=cred.headers), 200)
        if ok:
            cells.check(f"GET /products × {cred.name}", str(product) in [p["id"] for p in body["items"]],
                        "the client's product is not listed")
        ok, body = await cells.expect(f"GET /products/{{id}} × {cred.name}",
                                      await app.get(f"/api/v1/products/{product}", headers=cred.headers), 200)
        if ok:
            cells.check(f"GET /products/{{id}} × {cred.name}", body["id"] == str(product), f"answered {body['id']}")

        before = await counts(app)
        expected = by_role(cred, 403, 403, 403, 201)
        ok, body = await cells.expect(f"POST /products × {cred.name}", await app.post(
            "/api/v1/products", data=template_form(f"Upload by {cred.name}"), headers=cred.headers), expected)
        after = await counts(app)
        if expected == 201 and ok:
            row = await row_of(app, "products", uuid.UUID(body["id"]))
            cells.check(f"POST /products × {cred.name}", row is not None and row["client_id"] == tenant.id,
                        f"no product of the client stored: {row}")
        elif expected == 403:
            cells.check(f"POST /products × {cred.name}", after == before, f"refused, yet {before} → {after}")

        previous = await row_of(app, "products", product)
        expected = by_role(cred, 403, 403, 403, 200)
        ok, body = await cells.expect(f"PUT /products/{{id}}/template × {cred.name}", await app.put(
            f"/api/v1/products/{product}/template", data=template_form(None), headers=cred.headers), expected)
        current = await row_of(app, "products", product)
        if expected == 200 and ok:
            cells.check(f"PUT /products/{{id}}/template × {cred.name}",
                        current["schema_version"] == previous["schema_version"] + 1,
                        f"schema version {previous['schema_version']} → {current['schema_version']}")
        elif expected == 403:
            cells.check(f"PUT /products/{{id}}/template × {cred.name}", current == previous,
                        "refused, yet the product changed")
    cells.verify()


async def test_configurations_by_role_and_owner(app):
    """Lists: not the storefront; a viewer's own only; members and admins all of the client's.
    One configuration: who may see it (`sees`) gets 200, anyone else of the client 404. Saving:
    everyone, recorded as the user's or the key's. Renaming and deleting: not the storefront;
    a viewer only their own (another's is 404, untouched)."""
    cells = Cells()
    tenant = await new_tenant(app, "Acme Kitchens")
    owners = dict(tenant.creds)
    saved = {name: await new_configuration(app, tenant, owner, name=f"Saved by {name}")
             for name, owner in owners.items()}
    saved["nobody"] = await new_configuration(app, tenant, None, name="Saved by a removed user")  # user_id NULL

    def owner_of(name):
        return owners.get(name)

    # Lists.
    for cred in tenant.matrix():
        label = f"GET /configurations × {cred.name}"
        ok, body = await cells.expect(label, await app.get("/api/v1/configurations?limit=100", headers=cred.headers),
                                      by_role(cred, 403, 200, 200, 200))
        if ok and cred.role != "storefront":
            listed = {uuid.UUID(item["id"]) for item in body["items"]}
            visible = {config for name, config in saved.items() if sees(cred, owner_of(name))}
            names = {config: name for name, config in saved.items()}
            cells.check(label, listed == visible,
                        f"listed {sorted(names.get(c, str(c)) for c in listed)}, "
                        f"expected {sorted(names[c] for c in visible)}")
            cells.check(label, body["page"]["total"] == len(visible),
                        f"page.total {body['page']['total']}, expected {len(visible)}")

    # "Own" is the user's, whichever session: the viewer's second session sees the same.
    viewer = tenant.creds["viewer session"]
    email = await pool_of(app).fetchval("SELECT email FROM users WHERE id = $1", viewer.user_id)
    second = Cred("viewer's second session", "viewer", "session",
                  session_header(await logged_in(app, User(viewer.user_id, tenant.id, email))), user_id=viewer.user_id)
    label = "GET /configurations × viewer's second session"
    ok, body = await cells.expect(label, await app.get("/api/v1/configurations?limit=100", headers=second.headers),
                                  200)
    if ok:
        cells.check(label, {uuid.UUID(item["id"]) for item in body["items"]} == {saved["viewer session"]},
                    f"listed {[item['name'] for item in body['items']]}")

    # One configuration, each of the client's, by each credential.
    for cred in tenant.matrix():
        for name, config in saved.items():
            label = f"GET /configurations/{{id}} (saved by {name}) × {cred.name}"
            expected = 200 if sees(cred, owner_of(name)) else 404
            ok, body = await cells.expect(label, await app.get(f"/api/v1/configurations/{config}",
                                                               headers=cred.headers), expected)
            if ok and expected == 200:
                cells.check(label, body["id"] == str(config), f"answered {body['id']}")

    # Saving: everyone, recorded as made by the user or the key; then it is theirs to read.
    for cred in tenant.matrix():
        label = f"POST /configurations × {cred.name}"
        ok, body = await cells.expect(label, await app.post(
            "/api/v1/configurations", json={"product_id": str(tenant.product), "name": f"New by {cred.name}"},
            headers=cred.headers), 201)
        if not ok:
            continue
        row = await row_of(app, "configurations", uuid.UUID(body["id"]))
        cells.check(label, (row["user_id"], row.get("api_key_id")) == (cred.user_id, cred.key_id),
                    f"recorded user_id={row['user_id']} api_key_id={row.get('api_key_id')}, expected "
                    f"user_id={cred.user_id} api_key_id={cred.key_id}")
        await cells.expect(f"GET /configurations/{{id}} (just saved) × {cred.name}",
                           await app.get(f"/api/v1/configurations/{body['id']}", headers=cred.headers), 200)

    # Renaming and deleting: one fresh configuration per cell.
    for cred in tenant.matrix():
        for whose, owner in [("own", cred)] + [(f"{o.name}'s", o) for o in others_of(tenant, cred)]:
            if cred.role == "storefront":
                patch_status, delete_status = 403, 403
            elif sees(cred, owner):
                patch_status, delete_status = 200, 204
            else:
                patch_status, delete_status = 404, 404
            # A user's names are unique (migration 0013): each cell's names are its own.
            config = await new_configuration(app, tenant, owner, name=f"Before {whose} × {cred.name}")
            before = await row_of(app, "configurations", config)
            label = f"PATCH /configurations/{{id}} ({whose}) × {cred.name}"
            renamed = f"After {whose} × {cred.name}"
            ok, body = await cells.expect(label, await app.patch(
                f"/api/v1/configurations/{config}", json={"name": renamed}, headers=cred.headers), patch_status)
            after = await row_of(app, "configurations", config)
            if patch_status == 200:
                cells.check(label, after is not None and after["name"] == renamed, f"row now {after and after['name']}")
            else:
                cells.check(label, after == before, f"refused, yet the row changed: {after}")

            config = await new_configuration(app, tenant, owner, name=f"Before deleting ({whose}) × {cred.name}")
            before = await row_of(app, "configurations", config)
            label = f"DELETE /configurations/{{id}} ({whose}) × {cred.name}"
            await cells.expect(label, await app.delete(f"/api/v1/configurations/{config}", headers=cred.headers),
                               delete_status)
            after = await row_of(app, "configurations", config)
            if delete_status == 204:
                cells.check(label, after is None, "still there")
            else:
                cells.check(label, after == before, f"refused, yet the row changed: {after}")
    cells.verify()


async def test_jobs_by_role(app):
    """Everyone submits a job (product and values, or a configuration it may see), follows it
    and cancels it; a configuration it may not see is 404 and makes no job."""
    cells = Cells()
    tenant = await new_tenant(app, "Acme Kitchens")
    for cred in tenant.matrix():
        label = f"POST /jobs (product_id) × {cred.name}"
        ok, body = await cells.expect(label, await app.post(
            "/api/v1/jobs", json={"product_id": str(tenant.product), "config_data": {"by": cred.name}},
            headers=cred.headers), 202)
        if ok:
            job = body["id"]
            ok, got = await cells.expect(f"GET /jobs/{{id}} × {cred.name}",
                                         await app.get(f"/api/v1/jobs/{job}", headers=cred.headers), 200)
            if ok:
                cells.check(f"GET /jobs/{{id}} × {cred.name}", got["id"] == job, f"answered {got['id']}")
            status, first = await ws_status(app, f"/api/v1/jobs/{job}/events", cred.ws_headers())
            if cells.check(f"WS /jobs/{{id}}/events × {cred.name}", status == 101, f"handshake answered {status}"):
                cells.check(f"WS /jobs/{{id}}/events × {cred.name}", first is not None and first.get("id") == job,
                            f"first message {first}")
            await cells.expect(f"POST /jobs/{{id}}/cancel × {cred.name}",
                               await app.post(f"/api/v1/jobs/{job}/cancel", headers=cred.headers), 200)

        own = await new_configuration(app, tenant, cred, config_data={"saved by": cred.name})
        await cells.expect(f"POST /jobs (own configuration_id) × {cred.name}", await app.post(
            "/api/v1/jobs", json={"configuration_id": str(own)}, headers=cred.headers), 202)
        for owner in others_of(tenant, cred):
            config = await new_configuration(app, tenant, owner, config_data={"saved by": owner.name})
            label = f"POST /jobs (configuration_id of {owner.name}) × {cred.name}"
            before = await counts(app)
            expected = 202 if sees(cred, owner) else 404
            await cells.expect(label, await app.post("/api/v1/jobs", json={"configuration_id": str(config)},
                                                     headers=cred.headers), expected)
            if expected == 404:
                after = await counts(app)
                cells.check(label, after["jobs"] == before["jobs"], f"refused, yet jobs {before['jobs']} → "
                                                                    f"{after['jobs']}")
    cells.verify()


async def test_account_administration_by_role(app):
    """Users, API keys and the audit log: admins only (a session or an admin secret key);
    everyone else 403, and nothing changes."""
    cells = Cells()
    tenant = await new_tenant(app, "Acme Kitchens")
    for cred in tenant.matrix():
        admin = cred.role == "admin"

        for path in ("/api/v1/users", "/api/v1/api-keys", "/api/v1/audit-events"):
            label = f"GET {path.removeprefix('/api/v1')} × {cred.name}"
            ok, body = await cells.expect(label, await app.get(path, headers=cred.headers), 200 if admin else 403)
            if ok and admin:
                cells.check(label, isinstance(body.get("items"), list), f"body {body}")

        email = f"invited-{uuid.uuid4().hex[:8]}@example.com"
        await cells.expect(f"POST /users × {cred.name}", await app.post(
            "/api/v1/users", json={"email": email, "name": "Invited", "role": "member"}, headers=cred.headers),
            201 if admin else 403)
        invited = await pool_of(app).fetchval("SELECT count(*) FROM users WHERE email = $1", email)
        cells.check(f"POST /users × {cred.name}", invited == (1 if admin else 0), f"{invited} users with that email")

        victim = await new_user(app, tenant.id, role="member")
        before = await row_of(app, "users", victim.id)
        await cells.expect(f"PATCH /users/{{id}} × {cred.name}", await app.patch(
            f"/api/v1/users/{victim.id}", json={"name": "Renamed"}, headers=cred.headers), 200 if admin else 403)
        after = await row_of(app, "users", victim.id)
        if admin:
            cells.check(f"PATCH /users/{{id}} × {cred.name}", after["name"] == "Renamed", f"name {after['name']}")
        else:
            cells.check(f"PATCH /users/{{id}} × {cred.name}", after == before, "refused, yet the user changed")

        victim = await new_user(app, tenant.id, role="member")
        before = await row_of(app, "users", victim.id)
        await cells.expect(f"DELETE /users/{{id}} × {cred.name}",
                           await app.delete(f"/api/v1/users/{victim.id}", headers=cred.headers), 204 if admin else 403)
        after = await row_of(app, "users", victim.id)
        cells.check(f"DELETE /users/{{id}} × {cred.name}", (after is None) if admin else (after == before),
                    f"user row now {after}")

        keys_before = await counts(app)
        ok, body = await cells.expect(f"POST /api-keys × {cred.name}", await app.post(
            "/api/v1/api-keys", json={"kind": "secret", "role": "viewer", "name": f"by {cred.name}"},
            headers=cred.headers), 201 if admin else 403)
        keys_after = await counts(app)
        cells.check(f"POST /api-keys × {cred.name}",
                    keys_after["api_keys"] == keys_before["api_keys"] + (1 if admin else 0),
                    f"api_keys {keys_before['api_keys']} → {keys_after['api_keys']}")

        victim_key = (await key_cred(app, tenant.id, "member", "victim")).key_id
        before = await row_of(app, "api_keys", victim_key)
        await cells.expect(f"DELETE /api-keys/{{id}} × {cred.name}",
                           await app.delete(f"/api/v1/api-keys/{victim_key}", headers=cred.headers),
                           204 if admin else 403)
        after = await row_of(app, "api_keys", victim_key)
        cells.check(f"DELETE /api-keys/{{id}} × {cred.name}",
                    (after["revoked_at"] is not None) if admin else (after == before), f"key row now {after}")
    cells.verify()


# -- 3. tenant isolation --------------------------------------------------------------------
async def test_another_clients_ids_are_404_and_untouched_and_never_listed(app):
    """A's admin session, admin secret key and publishable key (where its role reaches the
    endpoint) on each of B's ids, in paths and in bodies: 404 problem+json, B's row as it was;
    A's lists hold A's rows only."""
    cells = Cells()
    a, b = await new_tenant(app, "Tenant A"), await new_tenant(app, "Tenant B")
    b_config = await new_configuration(app, b, b.creds["admin session"], name="B's")
    b_job = await new_job(app, b)
    b_user = await new_user(app, b.id, role="member")
    b_key = b.creds["member key"].key_id
    a_own = {"config": await new_configuration(app, a, a.creds["admin session"], name="A's")}
    everyone = [a.creds["admin session"], a.creds["admin key"], a.creds["storefront key"]]
    admins = everyone[:2]

    # (label, method, path, request arguments, credentials, the table and id of B's row that must not change)
    cases = [
        ("GET /products/{B's}", "GET", f"/api/v1/products/{b.product}", {}, everyone, ("products", b.product)),
        ("PUT /products/{B's}/template", "PUT", f"/api/v1/products/{b.product}/template",
         {"data": lambda: template_form(None)}, admins, ("products", b.product)),
        ("GET /configurations/{B's}", "GET", f"/api/v1/configurations/{b_config}", {}, everyone,
         ("configurations", b_config)),
        ("PATCH /configurations/{B's}", "PATCH", f"/api/v1/configurations/{b_config}",
         {"json": {"name": "Hijacked"}}, admins, ("configurations", b_config)),
        ("DELETE /configurations/{B's}", "DELETE", f"/api/v1/configurations/{b_config}", {}, admins,
         ("configurations", b_config)),
        ("GET /jobs/{B's}", "GET", f"/api/v1/jobs/{b_job}", {}, everyone, ("jobs", b_job)),
        ("POST /jobs/{B's}/cancel", "POST", f"/api/v1/jobs/{b_job}/cancel", {}, everyone, ("jobs", b_job)),
        ("WS /jobs/{B's}/events", "WS", f"/api/v1/jobs/{b_job}/events", {}, everyone, ("jobs", b_job)),
        ("PATCH /users/{B's}", "PATCH", f"/api/v1/users/{b_user.id}", {"json": {"name": "Hijacked", "role": "admin"}},
         admins, ("users", b_user.id)),
        ("DELETE /users/{B's}", "DELETE", f"/api/v1/users/{b_user.id}", {}, admins, ("users", b_user.id)),
        ("DELETE /api-keys/{B's}", "DELETE", f"/api/v1/api-keys/{b_key}", {}, admins, ("api_keys", b_key)),
        ("POST /jobs {product_id: B's}", "POST", "/api/v1/jobs",
         {"json": {"product_id": str(b.product), "config_data": {}}}, everyone, ("products", b.product)),
        ("POST /jobs {configuration_id: B's}", "POST", "/api/v1/jobs", {"json": {"configuration_id": str(b_config)}},
         everyone, ("configurations", b_config)),
        ("POST /configurations {product_id: B's}", "POST", "/api/v1/configurations",
         {"json": {"product_id": str(b.product), "name": "Into B"}}, everyone, ("products", b.product)),
    ]
    for what, method, path, arguments, creds, (table, row_id) in cases:
        for cred in creds:
            label = f"{what} × A's {cred.name}"
            before_row, before_counts = await row_of(app, table, row_id), await counts(app)
            if method == "WS":
                status, _ = await ws_status(app, path, cred.ws_headers())
                cells.check(label, status == 404, f"handshake answered {status}, not 404")
            else:
                extra = {k: (v() if callable(v) else v) for k, v in arguments.items()}
                await cells.expect(label, await app.request(method, path, headers=cred.headers, **extra), 404)
            after_row, after_counts = await row_of(app, table, row_id), await counts(app)
            cells.check(label, after_row == before_row, f"B's {table} row changed: {before_row} → {after_row}")
            cells.check(label, after_counts == before_counts, f"rows {before_counts} → {after_counts}")

    # A's own ids still work for A (so the 404s above are about B, not about a broken cell).
    await cells.expect("GET /configurations/{A's} × A's admin key",
                       await app.get(f"/api/v1/configurations/{a_own['config']}", headers=a.creds["admin key"].headers),
                       200)
    storefront = a.creds["storefront key"]
    ok, submitted = await cells.expect("POST /jobs {product_id: A's} × A's storefront key", await app.post(
        "/api/v1/jobs", json={"product_id": str(a.product), "config_data": {}}, headers=storefront.headers), 202)
    if ok:
        await cells.expect("GET /jobs/{A's, its own} × A's storefront key",
                           await app.get(f"/api/v1/jobs/{submitted['id']}", headers=storefront.headers), 200)

    # Lists: only A's rows, never B's.
    pool = pool_of(app)
    await pool.execute("INSERT INTO audit_events (client_id, actor, action) VALUES ($1, 'operator', 'b.only')", b.id)
    lists = [
        ("/api/v1/products?limit=100", "products", everyone),
        ("/api/v1/configurations?limit=100", "configurations", admins),
        ("/api/v1/users", "users", admins),
        ("/api/v1/api-keys", "api_keys", admins),
        ("/api/v1/audit-events?limit=100", "audit_events", admins),
    ]
    for path, table, creds in lists:
        rows = await pool.fetch(f"SELECT id, client_id FROM {table}")  # noqa: S608 - our names
        owner = {str(row["id"]): row["client_id"] for row in rows}
        b_rows = {i for i, c in owner.items() if c == b.id}
        cells.check(f"{table} of B exist", bool(b_rows), "the test made none")
        for cred in creds:
            label = f"GET {path} × A's {cred.name}"
            ok, body = await cells.expect(label, await app.get(path, headers=cred.headers), 200)
            if not ok:
                continue
            listed = {str(item["id"]) for item in body["items"]}
            cells.check(label, not listed & b_rows, f"lists B's {sorted(listed & b_rows)}")
            foreign = {i for i in listed if owner.get(i) != a.id}
            cells.check(label, not foreign, f"lists rows not of A: {sorted(foreign)}")
            cells.check(label, bool(listed), "lists nothing (A has rows)")
    cells.verify()


# -- 4. a publishable key's origins -----------------------------------------------------------
async def test_a_publishable_key_from_another_origin_is_refused_everywhere_it_reaches(app):
    """`Origin` not among the key's: 403 on each storefront endpoint, nothing written; its
    own origin, or none (a server), works."""
    cells = Cells()
    tenant = await new_tenant(app, "Acme Kitchens")
    storefront = tenant.creds["storefront key"]
    bare = {"Authorization": storefront.headers["Authorization"]}
    config = await new_configuration(app, tenant, storefront)
    job = await new_job(app, tenant)
    endpoints = [
        ("GET", "/api/v1/products", {}, 200),
        ("GET", f"/api/v1/products/{tenant.product}", {}, 200),
        ("GET", f"/api/v1/configurations/{config}", {}, 200),
        ("POST", "/api/v1/configurations", {"json": {"product_id": str(tenant.product), "name": "Shop"}}, 201),
        ("POST", "/api/v1/jobs", {"json": {"product_id": str(tenant.product), "config_data": {"n": 1}}}, 202),
        ("GET", f"/api/v1/jobs/{job}", {}, 200),
        ("POST", f"/api/v1/jobs/{job}/cancel", {}, 200),
    ]
    for method, path, arguments, allowed in endpoints:
        short = path.replace(str(tenant.product), "{id}").replace(str(config), "{id}").replace(str(job), "{id}")
        before, job_before = await counts(app), await row_of(app, "jobs", job)
        await cells.expect(f"{method} {short} × pk from {EVIL}",
                           await app.request(method, path, headers={**bare, "Origin": EVIL}, **arguments), 403)
        cells.check(f"{method} {short} × pk from {EVIL}", await counts(app) == before, "refused, yet rows written")
        cells.check(f"{method} {short} × pk from {EVIL}", await row_of(app, "jobs", job) == job_before,
                    "refused, yet the job changed")
        for origin_label, headers in ((f"pk from {SHOP}", {**bare, "Origin": SHOP}), ("pk, no Origin", bare)):
            await cells.expect(f"{method} {short} × {origin_label}",
                               await app.request(method, path, headers=headers, **arguments), allowed)
    status, _ = await ws_status(app, f"/api/v1/jobs/{job}/events", {**bare, "Origin": EVIL})
    cells.check(f"WS /jobs/{{id}}/events × pk from {EVIL}", status == 403, f"handshake answered {status}")
    cells.verify()


# -- 5. a disabled client --------------------------------------------------------------------
async def test_a_disabled_clients_credentials_are_403_on_every_kind_of_request(app, monkeypatch):
    """test_auth covers reading products, refreshing and logging in; here: each kind of
    credential on reads, writes and the socket, nothing written, and another client unmoved."""
    monkeypatch.setattr(authentication, "CACHE_SECONDS", 0.0)
    cells = Cells()
    tenant, other = await new_tenant(app, "Disabled Kitchens"), await new_tenant(app, "Other Kitchens")
    config = await new_configuration(app, tenant, tenant.creds["storefront key"])
    job = await new_job(app, tenant)
    await pool_of(app).execute("UPDATE clients SET disabled_at = now() WHERE id = $1", tenant.id)
    requests = [
        ("GET", "/api/v1/products", {}),
        ("GET", f"/api/v1/configurations/{config}", {}),
        ("POST", "/api/v1/configurations", {"json": {"product_id": str(tenant.product), "name": "While disabled"}}),
        ("POST", "/api/v1/jobs", {"json": {"product_id": str(tenant.product), "config_data": {}}}),
        ("POST", f"/api/v1/jobs/{job}/cancel", {}),
        ("PATCH", f"/api/v1/configurations/{config}", {"json": {"name": "While disabled"}}),
        ("GET", "/api/v1/users", {}),
        ("POST", "/api/v1/api-keys", {"json": {"kind": "secret", "role": "viewer"}}),
    ]
    before, job_before = await counts(app), await row_of(app, "jobs", job)
    for cred in (tenant.creds["admin session"], tenant.creds["admin key"], tenant.creds["storefront key"]):
        for method, path, arguments in requests:
            label = f"{method} {path.replace(str(config), '{id}').replace(str(job), '{id}')} × disabled {cred.name}"
            ok, body = await cells.expect(label, await app.request(method, path, headers=cred.headers, **arguments),
                                          403)
            if ok:
                cells.check(label, "disabled" in body.get("detail", ""), f"detail {body.get('detail')!r}")
        status, _ = await ws_status(app, f"/api/v1/jobs/{job}/events", cred.ws_headers())
        cells.check(f"WS /jobs/{{id}}/events × disabled {cred.name}", status == 403, f"handshake answered {status}")
    cells.check("nothing written", await counts(app) == before, f"{before} → {await counts(app)}")
    cells.check("the job untouched", await row_of(app, "jobs", job) == job_before, "changed")
    for cred in other.matrix():
        await cells.expect(f"GET /products × the other client's {cred.name}",
                           await app.get("/api/v1/products", headers=cred.headers), 200)
    cells.verify()

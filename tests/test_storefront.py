"""The storefront: anonymous shoppers through a client's publishable key, on a real
PostgreSQL. Its job socket takes the key in the URL (and only a publishable key, only on a
WebSocket); what it writes is limited per key and per address; a fresh installation gets the
server's own storefront key and a first password for the demo admin, once. Also the audit
of product uploads and template replacements."""
from __future__ import annotations

import json
import uuid

import aiohttp
import pytest

from configurator_addon.accounts import api_keys
from configurator_addon.server import keys
from configurator_addon.services import seeding
from configurator_addon.services.retention import RetentionSweep
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_api import ANONYMOUS, bearer, upload_product

PROBLEM = "application/problem+json"
SHOP = "https://shop.example"


def pool_of(api):
    return api.server.app[keys.RESOURCES].pool


async def publishable_key(api, origins=(SHOP,)) -> dict:
    return await api_keys.create_key(pool_of(api), DEMO_CLIENT_ID, kind="publishable", origins=list(origins))


async def secret_key(api, role: str = "member") -> dict:
    return await api_keys.create_key(pool_of(api), DEMO_CLIENT_ID, kind="secret", role=role)


async def problem(response, status: int) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    return await response.json()


def submission(product: dict, width: float = 0.6) -> dict:
    return {"product_id": product["id"], "config_data": {"width": width}}


# -- the job socket ---------------------------------------------------------------------
async def test_the_job_socket_takes_a_publishable_key_in_its_address_and_nothing_else_does(
        api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    shop, secret = await publishable_key(api), await secret_key(api)
    submitted = await api.post("/api/v1/jobs", json=submission(product), headers={**bearer(shop["key"]),
                                                                                   "Origin": SHOP})
    assert submitted.status == 202, await submitted.text()
    events = f"/api/v1/jobs/{(await submitted.json())['id']}/events"

    socket = await api.ws_connect(f"{events}?access_key={shop['key']}", headers={**ANONYMOUS, "Origin": SHOP})
    assert json.loads((await socket.receive()).data)["status"] in ("QUEUED", "PENDING")
    await socket.close()
    refusals = {
        "no credential": (events, {"Origin": SHOP}, 401),
        "a secret key in the address": (f"{events}?access_key={secret['key']}", {"Origin": SHOP}, 401),
        "an unknown key": (f"{events}?access_key=pk_unknown", {"Origin": SHOP}, 401),
        "another site": (f"{events}?access_key={shop['key']}", {"Origin": "https://evil.example"}, 403),
    }
    for what, (path, headers, status) in refusals.items():
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await api.ws_connect(path, headers={**ANONYMOUS, **headers})
        assert refused.value.status == status, what
    # Not on plain requests: a key in a URL ends up in logs and histories.
    await problem(await api.get(f"{events.removesuffix('/events')}?access_key={shop['key']}", headers=ANONYMOUS),
                  401)


# -- limits -----------------------------------------------------------------------------
@pytest.mark.api_settings(storefront_key_burst=2, storefront_key_rate=0.01, storefront_ip_burst=100)
async def test_a_storefront_key_is_limited_on_its_own(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    first, second = await publishable_key(api), await publishable_key(api)
    for width in (0.5, 0.6):
        response = await api.post("/api/v1/jobs", json=submission(product, width), headers=bearer(first["key"]))
        assert response.status == 202, await response.text()
    jobs = await pool_of(api).fetchval("SELECT count(*) FROM jobs")
    refused = await problem(await api.post("/api/v1/configurations", headers=bearer(first["key"]),
                                           json={"product_id": product["id"], "name": "Mine"}), 429)
    assert refused["code"] == "RATE_LIMITED" and "storefront key" in refused["detail"]
    await problem(await api.post("/api/v1/jobs", json=submission(product, 0.7), headers=bearer(first["key"])), 429)
    assert await pool_of(api).fetchval("SELECT count(*) FROM jobs") == jobs  # refused: nothing written
    assert await pool_of(api).fetchval("SELECT count(*) FROM configurations") == 0
    other = await api.post("/api/v1/jobs", json=submission(product, 0.7), headers=bearer(second["key"]))
    assert other.status == 202, await other.text()
    for _ in range(3):  # the client's own credentials are not a storefront's
        assert (await api.post("/api/v1/jobs", json=submission(product, 0.8))).status in (200, 202)


@pytest.mark.api_settings(storefront_ip_burst=3, storefront_ip_rate=0.01, storefront_key_burst=100)
async def test_a_shoppers_address_is_limited_across_keys(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    first, second = await publishable_key(api), await publishable_key(api)
    for key, width in ((first, 0.5), (first, 0.6), (second, 0.7)):
        response = await api.post("/api/v1/jobs", json=submission(product, width), headers=bearer(key["key"]))
        assert response.status == 202, await response.text()
    response = await api.post("/api/v1/jobs", json=submission(product, 0.8), headers=bearer(second["key"]))
    refused = await problem(response, 429)
    assert "address" in refused["detail"] and int(response.headers["Retry-After"]) >= 1


async def test_idle_rate_buckets_are_swept(api):
    pool = pool_of(api)
    await pool.execute("INSERT INTO rate_buckets (name, tokens, updated_at) VALUES "
                       "('ip:192.0.2.1', 0, now() - interval '2 days'), ('ip:192.0.2.2', 0, now())")
    settings = api.server.app[keys.SETTINGS]
    report = await RetentionSweep.from_settings(settings, api.server.app[keys.RESOURCES].store).run()
    assert report.rate_buckets == 1
    assert [r["name"] for r in await pool.fetch("SELECT name FROM rate_buckets")] == ["ip:192.0.2.2"]


# -- a fresh installation -----------------------------------------------------------------
async def test_a_fresh_installation_gets_a_storefront_key_and_the_demo_admin_a_password_once(api):
    pool = pool_of(api)
    line = await seeding.seed_demo_access(pool)
    assert line and "demo@example.com" in line
    password = line.split("the password ")[1].split(" ")[0]
    assert await seeding.seed_demo_access(pool) is None  # never shown, nor replaced, again
    login = await api.post("/api/v1/auth/login", json={"email": "demo@example.com", "password": password},
                           headers=ANONYMOUS)
    assert login.status == 200, await login.text()
    assert (await login.json())["user"]["role"] == "admin"
    storefront = await pool.fetch("SELECT allowed_origins, role FROM api_keys WHERE kind = 'publishable'")
    assert [(list(r["allowed_origins"]), r["role"]) for r in storefront] == [(["self"], "storefront")]
    events = [r["action"] for r in await pool.fetch("SELECT action FROM audit_events ORDER BY id")]
    assert events[-3:] == ["key.created", "password.generated", "login.succeeded"]


# -- audit -------------------------------------------------------------------------------
async def test_uploading_a_product_and_replacing_its_template_are_audited(api, fixture_templates):
    admin = await secret_key(api, "admin")
    product = await upload_product(api, fixture_templates["valid"])
    with open(fixture_templates["valid_revised"], "rb") as handle:
        replaced = await api.put(f"/api/v1/products/{product['id']}/template", data={"template": handle},
                                 headers=bearer(admin["key"]))
    assert replaced.status == 200, await replaced.text()
    page = await (await api.get("/api/v1/audit-events")).json()
    mine = [e for e in page["items"] if e["target"] == f"product:{product['id']}"]
    assert [(e["action"], e["detail"]["schema_version"]) for e in mine] == [("template.replaced", 2),
                                                                            ("product.created", 1)]
    assert mine[0]["actor"] == f"key:{admin['id']}"
    assert uuid.UUID(mine[1]["actor"].removeprefix("key:"))  # the fixture's own admin key

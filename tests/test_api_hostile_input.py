"""Hostile input is a clear 4xx, never a 500; answers carry no traceback, no server path, no
server version; every response carries the security headers."""
from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import pytest

from configurator_addon.errors import EngineProcessError
from configurator_addon.server import keys
from configurator_addon.server.problems import problem_response
from fixtures_api import upload_product
from test_api import problem, signed_blob_url


async def submit_raw(api, body: bytes):
    return await api.post("/api/v1/jobs", data=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("body, complaint", [
    (b"[" * 100_000 + b"]" * 100_000, "nested"),
    (b'{"config_data": {"width": ' + b"9" * 4301 + b"}}", "digits"),
    (b'{"config_data": {"width": NaN}}', "NaN"),
    (b'{"config_data": {"width": -Infinity}}', "Infinity"),
    (b'{"config_data": {"width": 1e400}}', "too large"),
    (b'{"a": ' * 40 + b"1" + b"}" * 40, "nested"),
], ids=["100k-brackets", "4301-digit-integer", "nan", "infinity", "overflowing-float", "40-levels"])
async def test_malformed_json_bodies_are_400_problems(api, fixture_templates, body, complaint):
    product = await upload_product(api, fixture_templates["valid"])
    body = body.replace(b'{"config_data"', b'{"product_id": "%s", "config_data"' % product["id"].encode())
    found = await problem(await submit_raw(api, body), 400)
    assert complaint in found["detail"]
    assert await api.server.app[keys.RESOURCES].pool.fetchval("SELECT count(*) FROM jobs") == 0


async def test_nan_in_a_saved_configuration_is_400_and_nothing_is_saved(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    body = json.dumps({"product_id": product["id"], "name": "odd", "config_data": {"width": 1.0}})
    response = await api.post("/api/v1/configurations", data=body.replace("1.0", "NaN"),
                              headers={"Content-Type": "application/json"})
    await problem(response, 400)
    listed = await (await api.get("/api/v1/configurations")).json()
    assert listed["page"]["total"] == 0


async def test_a_valid_body_sent_chunked_is_read_whole(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    payload = json.dumps({"product_id": product["id"], "config_data": {"width": 0.8}}).encode()

    async def chunks():
        for start in range(0, len(payload), 7):
            yield payload[start:start + 7]

    response = await api.post("/api/v1/jobs", data=chunks(), headers={"Content-Type": "application/json"})
    assert response.status in (200, 202), await response.text()
    assert (await response.json())["config_data"]["width"] == 0.8


@pytest.mark.api_settings(max_body_bytes=1000)
async def test_a_chunked_body_over_the_limit_is_413(api):
    async def chunks():
        for _ in range(20):
            yield b" " * 100

    response = await api.post("/api/v1/jobs", data=chunks(), headers={"Content-Type": "application/json"})
    await problem(response, 413)


async def test_a_nul_in_a_web_app_path_is_404(api):
    await problem(await api.get("/saved%00/x"), 404)


def test_5xx_answers_carry_no_detail_from_inside():
    error = EngineProcessError('Traceback (most recent call last):\n  File "/work/main/configurator_addon/cli.py"')
    body = json.loads(problem_response(error, "/api/v1/products").text)
    assert body["status"] == 500 and "Traceback" not in body["detail"] and "/work/" not in body["detail"]


@pytest.mark.api_settings(frame_ancestors="https://shop.example")
async def test_every_response_carries_the_security_headers_and_no_server_version(api):
    for path in ("/", "/api/v1/products", "/api/v1/nothing"):
        response = await api.get(path)
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors https://shop.example" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "aiohttp" not in headers.get("Server", "") and "Python" not in headers.get("Server", "")


async def test_request_ids_are_echoed_only_when_they_look_like_ids(api):
    kept = await api.get("/health", headers={"X-Request-Id": "edge-4f2a.17"})
    assert kept.headers["X-Request-Id"] == "edge-4f2a.17"
    for hostile in ("<script>alert(1)</script>", "x" * 65, "a b"):
        replaced = await api.get("/health", headers={"X-Request-Id": hostile})
        assert replaced.headers["X-Request-Id"] != hostile
        assert len(replaced.headers["X-Request-Id"]) == 32


async def test_the_job_socket_refuses_a_foreign_origin(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    job = await (await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {}})).json()
    path = f"/api/v1/jobs/{job['id']}/events"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await api.ws_connect(path, headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403
    for allowed in ({"Origin": "http://localhost:5173"}, {}):  # a CORS origin; a client that is no browser
        socket = await api.ws_connect(path, headers=allowed)
        assert json.loads((await socket.receive()).data)["id"] == job["id"]
        await socket.close()


async def test_templates_are_never_served_over_http(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    row = await api.server.app[keys.RESOURCES].pool.fetchrow(
        "SELECT client_id, template_blob_path FROM products WHERE id = $1", uuid.UUID(product["id"]))
    assert row["template_blob_path"].startswith(f"{row['client_id']}/templates/")
    await problem(await api.get("/blobs/" + row["template_blob_path"]), 404)
    # Not even with a genuine signature for its path.
    await problem(await api.get(await signed_blob_url(api, row["template_blob_path"])), 404)


@pytest.mark.real_inspector
@pytest.mark.api_settings(inspection_concurrency=1)
async def test_uploads_over_the_inspection_pool_are_503_and_store_nothing(api, fixture_templates):
    inspector = api.server.app[keys.RESOURCES].products.inspector
    pool = api.server.app[keys.RESOURCES].pool
    async with inspector._slots:  # the one slot is busy with another upload's inspection
        with open(fixture_templates["valid"], "rb") as handle:
            # Refused at once, not queued behind the busy slot (which this test holds).
            response = await asyncio.wait_for(api.post("/api/v1/products", data={"name": "Box", "template": handle}),
                                              30)
        body = await problem(response, 503)
        assert body["code"] == "OVER_CAPACITY" and int(response.headers["Retry-After"]) >= 1
        assert await pool.fetchval("SELECT count(*) FROM products") == 0
    assert (await upload_product(api, fixture_templates["valid"]))["name"] == "Test box"


@pytest.mark.real_inspector
@pytest.mark.api_settings(geometry_limit_vertices=4)
async def test_a_template_whose_defaults_break_the_geometry_budget_is_refused_at_upload(api, fixture_templates):
    with open(fixture_templates["valid"], "rb") as handle:
        body = await problem(await api.post("/api/v1/products", data={"name": "Box", "template": handle}), 422)
    assert body["code"] == "GEOMETRY_LIMIT" and body["errors"][0]["location"] == "vertices"
    assert await api.server.app[keys.RESOURCES].pool.fetchval("SELECT count(*) FROM products") == 0

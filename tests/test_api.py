"""The HTTP API, endpoint by endpoint: happy paths and every error status, on a real
PostgreSQL, the local blob store and the real engine."""
from __future__ import annotations

import asyncio
import json
import re
import uuid

import aiohttp
import pytest

from configurator_addon.accounts import tokens
from configurator_addon.server import keys
from configurator_addon.server.authentication import AUTHENTICATOR
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_api import ANONYMOUS, api_client, new_client, run_queued_jobs, tenant, upload_product

PROBLEM = "application/problem+json"
SECRET = b"not a blob: nothing outside the served folders may be sent"


async def problem(response, status: int) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    body = await response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    return body


async def raw_get(client, target: str) -> tuple[int, dict, bytes]:
    """GET `target` byte for byte over a plain socket (HTTP/1.1). aiohttp's client (yarl) would
    resolve `..` and decode `%2e` before sending; this reaches the server's path guards as written."""
    host, port = client.server.host, client.server.port
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode("ascii"))
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    assert "chunked" not in headers.get("transfer-encoding", ""), headers  # bodies here have a length
    return int(status_line.split()[1]), headers, body


async def signed_blob_url(client, path: str) -> str:
    """`/blobs/{path}?expires=…&signature=…` as the app hands it out: from its store's `url()`,
    or, for the Azure store (whose `url()` is Azure's own), from the signer the route checks."""
    from configurator_addon.storage import AzureBlobStore

    store = client.server.app[keys.RESOURCES].store
    if isinstance(store, AzureBlobStore):
        return await store.url_signer.url(path)
    return await store.url(path)


def raw_problem(status: int, headers: dict, body: bytes, expected: int) -> dict:
    assert status == expected, body[:300]
    assert headers["content-type"].startswith(PROBLEM), headers
    parsed = json.loads(body)
    assert parsed["status"] == expected and parsed["title"] and parsed["type"].startswith("https://")
    return parsed


# -- health -------------------------------------------------------------------------------
async def test_health_and_readiness(api):
    response = await api.get("/health")
    assert response.status == 200 and (await response.json())["status"] == "ok"
    response = await api.get("/ready")
    assert (await response.json()) == {"status": "ready", "database": "ok", "storage": "ok"}
    assert response.headers["X-Request-Id"]


async def test_openapi_document_describes_the_api(api):
    document = await (await api.get("/api/v1/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    for path in ("/health", "/api/v1/products", "/api/v1/configurations", "/api/v1/jobs",
                 "/api/v1/jobs/{id}/cancel", "/api/v1/jobs/{id}/events"):
        assert path in document["paths"]
    assert {"Product", "Job", "Problem"} <= set(document["components"]["schemas"])


# -- products -----------------------------------------------------------------------------
async def test_products_list_get_and_pagination(api, fixture_templates):
    first = await upload_product(api, fixture_templates["valid"], "First box")
    second = await upload_product(api, fixture_templates["valid"], "Second box")
    listing = await (await api.get("/api/v1/products?limit=1")).json()
    assert listing["page"] == {"total": 2, "limit": 1, "offset": 0}
    assert [p["id"] for p in listing["items"]] == [second["id"]]
    listing = await (await api.get("/api/v1/products?limit=1&offset=1")).json()
    assert [p["id"] for p in listing["items"]] == [first["id"]]

    product = await (await api.get(f"/api/v1/products/{first['id']}")).json()
    assert product["config_schema"]["properties"]["width"]["maximum"] == 1.2
    assert list(product["config_schema"]["properties"])[:3] == ["width", "height", "label"]
    assert product["parameters"][0]["key"] == "width"
    assert len(product["template_version"]) == 64 and product["schema_version"] == 1

    await problem(await api.get("/api/v1/products?limit=0"), 400)
    await problem(await api.get("/api/v1/products?offset=x"), 400)
    await problem(await api.get(f"/api/v1/products/{uuid.uuid4()}"), 404)
    await problem(await api.get("/api/v1/products/not-an-id"), 404)


async def test_another_clients_products_are_invisible(api, fixture_templates):
    mine = await upload_product(api, fixture_templates["valid"])
    other = await new_client(api)
    await problem(await api.get(f"/api/v1/products/{mine['id']}", headers=tenant(other)), 404)
    listing = await (await api.get("/api/v1/products", headers=tenant(other))).json()
    assert listing["items"] == [] and listing["page"]["total"] == 0
    # The client comes from the credential only: naming another in a header changes nothing.
    named = await (await api.get("/api/v1/products", headers={"X-Client-Id": str(other)})).json()
    assert [p["id"] for p in named["items"]] == [mine["id"]]
    await problem(await api.get("/api/v1/products", headers={**ANONYMOUS, "X-Client-Id": str(other)}), 401)


async def assert_no_products(api) -> None:
    listing = await (await api.get("/api/v1/products")).json()
    assert listing["page"]["total"] == 0  # a rejected upload changes nothing


async def test_a_product_never_shows_a_preview_another_client_generated(api, worker, fixture_templates):
    """Results are per client: the same template uploaded by another client has the same default
    cache key, yet no preview until that client generates it (list, get, and replaced template)."""
    mine = await upload_product(api, fixture_templates["valid"])
    await api.post("/api/v1/jobs", json={"product_id": mine["id"], "config_data": {}})
    assert await run_queued_jobs(worker) == 1
    assert (await (await api.get(f"/api/v1/products/{mine['id']}")).json())["preview_url"]  # mine has it

    other = await new_client(api)
    same = await upload_product(api, fixture_templates["valid"], "Same template", client_id=other)
    replaced = await upload_product(api, fixture_templates["valid_revised"], "Replaced template", client_id=other)
    with open(fixture_templates["valid"], "rb") as handle:
        response = await api.put(f"/api/v1/products/{replaced['id']}/template", data={"template": handle},
                                 headers=tenant(other))
    assert response.status == 200, await response.text()
    assert (await response.json())["preview_url"] is None
    listing = await (await api.get("/api/v1/products", headers=tenant(other))).json()
    assert {p["name"]: p["preview_url"] for p in listing["items"]} == {"Same template": None,
                                                                      "Replaced template": None}
    for product in (same, replaced):
        shown = await (await api.get(f"/api/v1/products/{product['id']}", headers=tenant(other))).json()
        assert shown["preview_url"] is None


async def test_another_client_cannot_replace_a_products_template(api, fixture_templates):
    mine = await upload_product(api, fixture_templates["valid"])
    other = await new_client(api)
    with open(fixture_templates["valid_revised"], "rb") as handle:
        await problem(await api.put(f"/api/v1/products/{mine['id']}/template", data={"template": handle},
                                    headers=tenant(other)), 404)
    # The statement itself is scoped too (the API looks the product up first, which hides it).
    from configurator_addon.services.products import SQL

    pool = api.server.app[keys.RESOURCES].pool
    assert await pool.fetchrow(SQL.update_product_template, other, uuid.UUID(mine["id"]), "x/templates/p/v.blend",
                               "v2", {}, [], "key") is None
    kept = await (await api.get(f"/api/v1/products/{mine['id']}")).json()
    assert (kept["template_version"], kept["schema_version"]) == (mine["template_version"], 1)


async def test_seeding_a_client_ignores_another_clients_product_of_the_same_name(api, fixture_templates, tmp_path):
    import shutil

    from configurator_addon.services.seeding import DEMO_CLIENT_ID, seed_samples

    samples = tmp_path / "samples"
    samples.mkdir()
    shutil.copy(fixture_templates["valid"], samples / "box.blend")
    (samples / "catalog.json").write_text(json.dumps([{"slug": "box", "blend": "box.blend", "name": "Box"}]))
    resources = api.server.app[keys.RESOURCES]
    other = await new_client(api)
    assert await seed_samples(resources, other, str(samples)) == ["Box"]
    assert await seed_samples(resources, DEMO_CLIENT_ID, str(samples)) == ["Box"]
    assert await seed_samples(resources, DEMO_CLIENT_ID, str(samples)) == []  # already there: not twice


async def test_an_upload_without_a_name_is_400(api, fixture_templates):
    with open(fixture_templates["valid"], "rb") as handle:
        await problem(await api.post("/api/v1/products", data={"template": handle}), 400)
    await assert_no_products(api)


async def test_an_upload_that_is_not_multipart_is_400(api):
    await problem(await api.post("/api/v1/products", json={"name": "x"}), 400)
    await assert_no_products(api)


async def test_an_upload_without_a_template_file_is_400(api):
    await problem(await api.post("/api/v1/products", data={"name": "No file"}), 400)
    await assert_no_products(api)


async def test_an_upload_breaking_the_template_contract_is_422_with_its_error(api, fixture_templates):
    with open(fixture_templates["type_conflict"], "rb") as handle:
        body = await problem(await api.post("/api/v1/products", data={"name": "Bad", "template": handle}), 422)
    assert body["errors"][0]["code"] == "PARAMETER_TYPE_CONFLICT" and "width" in body["errors"][0]["message"]
    await assert_no_products(api)


@pytest.mark.api_settings(max_upload_bytes=4096)
async def test_upload_too_large_is_413(api, fixture_templates):
    with open(fixture_templates["valid"], "rb") as handle:
        await problem(await api.post("/api/v1/products", data={"name": "Big", "template": handle}), 413)


async def test_replacing_the_template_makes_a_new_version(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    with open(fixture_templates["valid"], "rb") as handle:
        await problem(await api.put(f"/api/v1/products/{product['id']}/template", data={"template": handle}), 409)
    with open(fixture_templates["python_driver"], "rb") as handle:
        await problem(await api.put(f"/api/v1/products/{product['id']}/template", data={"template": handle}), 422)


# -- configurations -----------------------------------------------------------------------
async def test_configuration_lifecycle(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    response = await api.post("/api/v1/configurations",
                              json={"product_id": product["id"], "name": "Kitchen left", "config_data": {"width": 0.9}})
    assert response.status == 201, await response.text()
    saved = await response.json()
    assert saved["config_data"]["width"] == 0.9 and saved["config_data"]["handle"] == "Knob"  # defaults kept
    assert saved["product_schema_version"] == 1
    assert response.headers["Location"] == f"/api/v1/configurations/{saved['id']}"

    fetched = await (await api.get(f"/api/v1/configurations/{saved['id']}")).json()
    assert fetched == saved
    renamed = await (await api.patch(f"/api/v1/configurations/{saved['id']}", json={"name": "Kitchen right"})).json()
    assert renamed["name"] == "Kitchen right"
    listing = await (await api.get(f"/api/v1/configurations?product_id={product['id']}")).json()
    assert [c["id"] for c in listing["items"]] == [saved["id"]]
    listing = await (await api.get(f"/api/v1/configurations?product_id={uuid.uuid4()}")).json()
    assert listing["items"] == []

    response = await api.delete(f"/api/v1/configurations/{saved['id']}")
    assert response.status == 204
    await problem(await api.get(f"/api/v1/configurations/{saved['id']}"), 404)
    await problem(await api.delete(f"/api/v1/configurations/{saved['id']}"), 404)


async def assert_no_configurations(api) -> None:
    listing = await (await api.get("/api/v1/configurations")).json()
    assert listing["page"]["total"] == 0  # a refused request saves nothing


async def test_a_configuration_outside_the_schema_is_422_with_a_pointer_per_error(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    body = await problem(await api.post("/api/v1/configurations", json={
        "product_id": product["id"], "name": "Too wide", "config_data": {"width": 3, "colour": "red"}}), 422)
    assert {(e["pointer"], e["code"]) for e in body["errors"]} == {("/width", "SCHEMA_MAXIMUM"),
                                                                    ("/colour", "UNKNOWN_PARAMETER")}
    await assert_no_configurations(api)


async def test_a_configuration_without_a_name_is_422_pointing_at_it(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    body = await problem(await api.post("/api/v1/configurations", json={"product_id": product["id"]}), 422)
    assert body["errors"][0]["pointer"] == "/name"
    await assert_no_configurations(api)


JSON = {"Content-Type": "application/json"}
CONFIGURATION_REQUEST_ERRORS = [
    pytest.param("POST", "/api/v1/configurations", {"json": {
        "product_id": str(uuid.uuid4()), "name": "Ghost", "config_data": {}}}, 404, id="of-an-unknown-product-is-404"),
    pytest.param("POST", "/api/v1/configurations", {"data": b"{not json", "headers": JSON}, 400,
                 id="a-body-that-is-not-json-is-400"),
    pytest.param("POST", "/api/v1/configurations", {"data": b"x" * (2 << 20), "headers": JSON}, 413,
                 id="a-body-over-the-size-limit-is-413"),
    pytest.param("GET", "/api/v1/configurations?product_id=nope", {}, 400,
                 id="listing-by-a-malformed-product-id-is-400"),
    pytest.param("PATCH", f"/api/v1/configurations/{uuid.uuid4()}", {"json": {"name": "x"}}, 404,
                 id="renaming-an-unknown-configuration-is-404"),
]


@pytest.mark.parametrize("method, path, request_args, status", CONFIGURATION_REQUEST_ERRORS)
async def test_a_configuration_request_is_refused(api, method, path, request_args, status):
    await problem(await api.request(method, path, **request_args), status)
    await assert_no_configurations(api)


async def test_another_clients_configurations_are_invisible(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    saved = await (await api.post("/api/v1/configurations", json={
        "product_id": product["id"], "name": "Mine", "config_data": {}})).json()
    other = await new_client(api)
    await problem(await api.get(f"/api/v1/configurations/{saved['id']}", headers=tenant(other)), 404)
    await problem(await api.delete(f"/api/v1/configurations/{saved['id']}", headers=tenant(other)), 404)
    await problem(await api.post("/api/v1/configurations", headers=tenant(other), json={
        "product_id": product["id"], "name": "Theirs", "config_data": {}}), 404)
    assert (await api.get(f"/api/v1/configurations/{saved['id']}")).status == 200


async def test_another_clients_configurations_are_neither_listed_nor_counted(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    await api.post("/api/v1/configurations", json={"product_id": product["id"], "name": "Mine", "config_data": {}})
    other = await new_client(api)
    for query in ("", f"?product_id={product['id']}"):
        listing = await (await api.get(f"/api/v1/configurations{query}", headers=tenant(other))).json()
        assert listing["items"] == [] and listing["page"]["total"] == 0, query
        mine = await (await api.get(f"/api/v1/configurations{query}")).json()
        assert len(mine["items"]) == mine["page"]["total"] == 1, query


async def test_another_client_cannot_rename_a_configuration(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    saved = await (await api.post("/api/v1/configurations", json={
        "product_id": product["id"], "name": "Mine", "config_data": {}})).json()
    other = await new_client(api)
    await problem(await api.patch(f"/api/v1/configurations/{saved['id']}", json={"name": "Theirs"},
                                  headers=tenant(other)), 404)
    assert (await (await api.get(f"/api/v1/configurations/{saved['id']}")).json())["name"] == "Mine"


# -- jobs ---------------------------------------------------------------------------------
async def test_job_generates_a_glb_and_a_repeat_is_answered_from_cache(api, worker, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    request = {"product_id": product["id"], "config_data": {"width": 1.1, "shelf_count": 2, "handle": "Bar"}}
    response = await api.post("/api/v1/jobs", json=request)
    assert response.status == 202, await response.text()
    job = await response.json()
    assert job["status"] == "QUEUED" and job["config_data"]["height"] == 0.8

    assert await run_queued_jobs(worker) == 1
    response = await api.get(f"/api/v1/jobs/{job['id']}")
    done = await response.json()
    assert done["status"] == "COMPLETED" and done["progress"] == 100, done
    assert {"wait_ms", "load_ms", "apply_ms", "export_ms", "upload_ms"} <= set(done["timings"])
    assert "export;dur=" in response.headers["Server-Timing"]

    whole = {"Accept-Encoding": "identity"}  # the GLB's own bytes; gzip is tried in test_compression.py
    glb = await api.get(done["result_url"], headers=whole)
    assert glb.status == 200 and glb.content_type == "model/gltf-binary"
    assert glb.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert glb.headers["ETag"] == f'"{done["cache_key"]}"'
    data = await glb.read()
    assert data[:4] == b"glTF"
    again = await api.get(done["result_url"], headers={**whole, "If-None-Match": glb.headers["ETag"]})
    assert again.status == 304

    response = await api.post("/api/v1/jobs", json=request)
    cached = await response.json()
    assert response.status == 200 and cached["status"] == "COMPLETED" and cached["id"] != job["id"]
    assert cached["result_url"] == done["result_url"]
    assert await run_queued_jobs(worker) == 0  # no Blender for the repeat


async def test_identical_jobs_in_flight_share_one_computation(api, worker, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    request = {"product_id": product["id"], "config_data": {"width": 0.45}}
    first = await (await api.post("/api/v1/jobs", json=request)).json()
    response = await api.post("/api/v1/jobs", json=request)
    assert response.status == 202 and (await response.json())["id"] == first["id"]
    assert await run_queued_jobs(worker) == 1


async def test_job_from_saved_configuration_and_draco(api, worker, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    saved = await (await api.post("/api/v1/configurations", json={
        "product_id": product["id"], "name": "Saved", "config_data": {"handle": "Bar"}})).json()
    job = await (await api.post("/api/v1/jobs", json={"configuration_id": saved["id"],
                                                      "options": {"draco": True}})).json()
    assert job["configuration_id"] == saved["id"]
    await run_queued_jobs(worker)
    done = await (await api.get(f"/api/v1/jobs/{job['id']}")).json()
    data = await (await api.get(done["result_url"])).read()
    assert b"KHR_draco_mesh_compression" in data[:4096]


async def assert_no_jobs(api) -> None:
    assert await api.server.app[keys.RESOURCES].pool.fetchval("SELECT count(*) FROM jobs") == 0


async def test_a_job_breaking_a_template_rule_is_422_with_the_rule_message(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    body = await problem(await api.post("/api/v1/jobs", json={
        "product_id": product["id"], "config_data": {"width": 1.1, "shelf_count": 1}}), 422)
    assert body["errors"][0]["pointer"] == "/shelf_count" and "2 shelves" in body["errors"][0]["message"]
    await assert_no_jobs(api)


PRODUCT = "<the uploaded product>"
JOB_SUBMISSION_ERRORS = [
    pytest.param({}, 400, id="naming-neither-product-nor-configuration-is-400"),
    pytest.param({"configuration_id": str(uuid.uuid4()), "product_id": PRODUCT}, 400,
                 id="naming-both-product-and-configuration-is-400"),
    pytest.param({"configuration_id": str(uuid.uuid4())}, 404, id="of-an-unknown-configuration-is-404"),
    pytest.param({"product_id": PRODUCT, "speed": "fast"}, 422, id="with-an-unknown-field-is-422"),
]


@pytest.mark.parametrize("submission, status", JOB_SUBMISSION_ERRORS)
async def test_a_job_submission_is_refused(api, fixture_templates, submission, status):
    product = await upload_product(api, fixture_templates["valid"])
    submission = {key: product["id"] if value == PRODUCT else value for key, value in submission.items()}
    await problem(await api.post("/api/v1/jobs", json=submission), status)
    await assert_no_jobs(api)


async def test_a_job_for_another_clients_product_is_404(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    other = await new_client(api)
    await problem(await api.post("/api/v1/jobs", headers=tenant(other),
                                 json={"product_id": product["id"], "config_data": {}}), 404)
    await assert_no_jobs(api)


@pytest.mark.parametrize("method, path", [("GET", "/api/v1/jobs/{id}"), ("POST", "/api/v1/jobs/{id}/cancel")],
                         ids=["reading-it-is-404", "cancelling-it-is-404"])
async def test_an_unknown_job(api, method, path):
    await problem(await api.request(method, path.format(id=uuid.uuid4())), 404)


async def test_another_clients_job_is_404_to_read_follow_and_cancel_and_stays_untouched(api, worker,
                                                                                        fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    job = await (await api.post("/api/v1/jobs", json={"product_id": product["id"],
                                                      "config_data": {"width": 0.61}})).json()
    other = await new_client(api)
    await problem(await api.get(f"/api/v1/jobs/{job['id']}", headers=tenant(other)), 404)
    await problem(await api.post(f"/api/v1/jobs/{job['id']}/cancel", headers=tenant(other)), 404)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await api.ws_connect(f"/api/v1/jobs/{job['id']}/events", headers=tenant(other))
    assert refused.value.status == 404

    mine = await (await api.get(f"/api/v1/jobs/{job['id']}")).json()
    assert (mine["status"], mine["requesters"]) == ("QUEUED", 1), mine  # the other's cancel withdrew nothing
    assert await run_queued_jobs(worker) == 1
    assert (await (await api.get(f"/api/v1/jobs/{job['id']}")).json())["status"] == "COMPLETED"


async def test_a_job_is_never_answered_from_another_clients_results(api, worker, fixture_templates):
    mine = await upload_product(api, fixture_templates["valid"])
    config = {"width": 0.77}
    first = await (await api.post("/api/v1/jobs", json={"product_id": mine["id"], "config_data": config})).json()
    assert await run_queued_jobs(worker) == 1
    first = await (await api.get(f"/api/v1/jobs/{first['id']}")).json()

    other = await new_client(api)
    theirs = await upload_product(api, fixture_templates["valid"], client_id=other)  # same template, same key
    response = await api.post("/api/v1/jobs", json={"product_id": theirs["id"], "config_data": config},
                              headers=tenant(other))
    job = await response.json()
    assert response.status == 202 and job["status"] == "QUEUED", job
    assert job["cache_key"] == first["cache_key"]
    assert await run_queued_jobs(worker) == 1
    done = await (await api.get(f"/api/v1/jobs/{job['id']}", headers=tenant(other))).json()
    assert done["status"] == "COMPLETED" and done["result_url"] != first["result_url"]
    assert str(other) in done["result_url"]  # the other client's own blob


async def test_identical_jobs_of_two_clients_are_not_shared(api, fixture_templates):
    mine = await upload_product(api, fixture_templates["valid"])
    other = await new_client(api)
    theirs = await upload_product(api, fixture_templates["valid"], client_id=other)
    config = {"width": 0.78}
    my_job = await (await api.post("/api/v1/jobs", json={"product_id": mine["id"], "config_data": config})).json()
    their_job = await (await api.post("/api/v1/jobs", json={"product_id": theirs["id"], "config_data": config},
                                      headers=tenant(other))).json()
    assert their_job["id"] != my_job["id"] and their_job["requesters"] == 1
    again = await (await api.post("/api/v1/jobs", json={"product_id": mine["id"], "config_data": config})).json()
    assert (again["id"], again["requesters"]) == (my_job["id"], 2)
    theirs_now = await (await api.get(f"/api/v1/jobs/{their_job['id']}", headers=tenant(other))).json()
    assert theirs_now["requesters"] == 1  # my second request joined my job only


async def test_cancel_queued_job_and_conflict_on_completed(api, worker, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    queued = await (await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {}})).json()
    response = await api.post(f"/api/v1/jobs/{queued['id']}/cancel")
    assert response.status == 200 and (await response.json())["status"] == "CANCELLED"
    assert await run_queued_jobs(worker) == 0

    job = await (await api.post("/api/v1/jobs", json={"product_id": product["id"],
                                                      "config_data": {"width": 0.5}})).json()
    await run_queued_jobs(worker)
    await problem(await api.post(f"/api/v1/jobs/{job['id']}/cancel"), 409)


async def test_job_events_stream_until_completed(api, worker, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    job = await (await api.post("/api/v1/jobs", json={"product_id": product["id"],
                                                      "config_data": {"width": 0.66}})).json()
    socket = await api.ws_connect(f"/api/v1/jobs/{job['id']}/events")
    first = await socket.receive_json(timeout=10)
    assert first["status"] == "QUEUED"
    await run_queued_jobs(worker)
    events = [first]
    while events[-1]["status"] != "COMPLETED":
        events.append(await socket.receive_json(timeout=10))
    result_path, _, query = events[-1]["result_url"].partition("?")
    assert result_path.endswith(".glb") and "signature=" in query and events[-1]["progress"] == 100
    assert (await socket.receive(timeout=10)).type.name in ("CLOSE", "CLOSED")
    response = await api.get(f"/api/v1/jobs/{uuid.uuid4()}/events")
    await problem(response, 404)


# -- blobs ----------------------------------------------------------------------------------
BLOB_ESCAPES = {
    "dot-segments": "/blobs/../../secret.txt",
    "dot-segments-after-a-valid-prefix": "/blobs/acme/glb/../../../../secret.txt",
    "dot-segments-to-the-filesystem-root": "/blobs/" + "../" * 16 + "etc/passwd",
    "encoded-dots": "/blobs/%2e%2e/%2e%2e/secret.txt",
    "encoded-dots-upper-case": "/blobs/%2E%2E/%2E%2E/secret.txt",
    "encoded-slashes": "/blobs/..%2f..%2fsecret.txt",
    "encoded-dots-and-slashes": "/blobs/%2e%2e%2f%2e%2e%2fsecret.txt",
}


@pytest.mark.parametrize("target", BLOB_ESCAPES.values(), ids=BLOB_ESCAPES.keys())
async def test_blob_paths_escaping_the_blob_directory_are_404(api, tmp_path, target):
    """Sent unnormalised, so `validate_blob_path` and `local_file_path` see the `..` themselves.
    The blob directory is `tmp_path/var/blobs`: `../../secret.txt` from there names a real file."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    status, headers, body = await raw_get(api, target)
    raw_problem(status, headers, body, 404)
    assert SECRET not in body and b"root:" not in body


async def test_a_dot_segment_reaches_the_blob_route_unresolved(api):
    """The control for the test above: the same socket gets a real blob, and the same blob
    named through `..` is refused (a client or server that resolved `..` would send it)."""
    await api.server.app[keys.RESOURCES].store.put("acme/glb/control.glb", b"glTF control", "model/gltf-binary")
    url = await signed_blob_url(api, "acme/glb/control.glb")
    status, _, body = await raw_get(api, url)
    assert (status, body) == (200, b"glTF control")
    query = url.partition("?")[2]  # a genuine signature: the path's own guards refuse these
    raw_problem(*await raw_get(api, f"/blobs/acme/glb/../glb/control.glb?{query}"), 404)
    raw_problem(*await raw_get(api, f"/blobs/acme/glb/%2e%2e/glb/control.glb?{query}"), 404)


async def test_a_symlink_out_of_the_blob_directory_is_404(api, tmp_path):
    """A valid blob path whose folder is a symlink leading out: `local_file_path`'s own check."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    store = api.server.app[keys.RESOURCES].store
    await store.put("acme/glb/control.glb", b"glTF control", "model/gltf-binary")  # creates the root
    (tmp_path / "var" / "blobs" / "acme" / "escape").symlink_to(tmp_path, target_is_directory=True)
    status, headers, body = await raw_get(api, "/blobs/acme/escape/secret.txt")
    raw_problem(status, headers, body, 404)
    assert SECRET not in body


async def test_cors_allows_the_frontend_origin_and_any_site_without_credentials(api):
    def preflight(origin: str, headers: str):
        return api.options("/api/v1/products", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": headers})

    response = await preflight("http://localhost:5173", "content-type,x-csrf-token")
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    # Any other site may call with a key it holds (a publishable key only from its own
    # origins), never with the visitor's cookies: no Allow-Credentials, no session headers.
    response = await preflight("https://shop.example", "authorization,content-type")
    assert response.status == 200 and response.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert (await preflight("https://shop.example", "x-csrf-token")).status == 403
    response = await api.get("/api/v1/products", headers={"Origin": "https://shop.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.azure_storage
async def test_with_azure_storage_results_are_signed_blob_urls(api, worker, fixture_templates):
    import aiohttp

    product = await upload_product(api, fixture_templates["valid"])
    job = await (await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {}})).json()
    await run_queued_jobs(worker)
    done = await (await api.get(f"/api/v1/jobs/{job['id']}")).json()
    assert done["status"] == "COMPLETED"
    assert done["result_url"].startswith("http://127.0.0.1:") and "sig=" in done["result_url"]
    async with aiohttp.ClientSession() as session, session.get(done["result_url"]) as response:
        assert response.status == 200
        assert (await response.read())[:4] == b"glTF"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert (await api.get("/ready")).status == 200


@pytest.mark.real_inspector
async def test_upload_is_inspected_in_a_child_blender_process(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    assert product["config_schema"]["properties"]["handle"]["enum"] == ["Bar", "Knob"]
    with open(fixture_templates["text_script"], "rb") as handle:
        body = await problem(await api.post("/api/v1/products", data={"name": "Evil", "template": handle}), 422)
    assert body["errors"][0]["code"] == "TEXT_SCRIPT"


async def test_a_new_template_version_keeps_saved_configurations_on_theirs(api, worker, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    saved = await (await api.post("/api/v1/configurations", json={
        "product_id": product["id"], "name": "Before", "config_data": {"width": 1.1, "shelf_count": 3}})).json()
    with open(fixture_templates["valid_without_rules"], "rb") as handle:
        response = await api.put(f"/api/v1/products/{product['id']}/template", data={"template": handle})
    assert response.status == 200, await response.text()
    updated = await response.json()
    assert updated["schema_version"] == 2 and updated["template_version"] != product["template_version"]
    assert "allOf" not in updated["config_schema"]
    kept = await (await api.get(f"/api/v1/configurations/{saved['id']}")).json()
    assert kept["product_schema_version"] == 1
    job = await (await api.post("/api/v1/jobs", json={"configuration_id": saved["id"]})).json()
    await run_queued_jobs(worker)
    assert (await (await api.get(f"/api/v1/jobs/{job['id']}")).json())["status"] == "COMPLETED"
    # Without the rule, a wide box with one shelf is now valid.
    response = await api.post("/api/v1/jobs", json={"product_id": product["id"],
                                                    "config_data": {"width": 1.1, "shelf_count": 1}})
    assert response.status == 202


async def test_a_new_template_version_is_not_answered_with_the_old_versions_result(api, worker, fixture_templates):
    """The result cache key includes the template version: the same configuration of a revised
    template is a new job that runs, and gives the revised geometry."""
    product = await upload_product(api, fixture_templates["valid"])
    request = {"product_id": product["id"], "config_data": {"width": 0.9, "handle": "Bar"}}
    before = await (await api.post("/api/v1/jobs", json=request)).json()
    assert await run_queued_jobs(worker) == 1
    before = await (await api.get(f"/api/v1/jobs/{before['id']}")).json()
    old_glb = await (await api.get(before["result_url"])).read()

    with open(fixture_templates["valid_revised"], "rb") as handle:  # same parameters, handles moved
        response = await api.put(f"/api/v1/products/{product['id']}/template", data={"template": handle})
    assert response.status == 200, await response.text()
    revised = await response.json()
    assert revised["config_schema"] == product["config_schema"]
    assert revised["template_version"] != product["template_version"]

    response = await api.post("/api/v1/jobs", json=request)
    after = await response.json()
    assert response.status == 202 and after["status"] == "QUEUED", after  # not from the result cache
    assert after["config_data"] == before["config_data"] and after["cache_key"] != before["cache_key"]
    assert await run_queued_jobs(worker) == 1
    after = await (await api.get(f"/api/v1/jobs/{after['id']}")).json()
    assert after["status"] == "COMPLETED" and after["result_url"] != before["result_url"]
    new_glb = await (await api.get(after["result_url"])).read()
    assert new_glb[:4] == b"glTF" and new_glb != old_glb


async def test_a_product_shows_the_preview_of_its_default_configuration(api, worker, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    assert product["preview_url"] is None
    await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {"width": 0.6}})  # = defaults
    await run_queued_jobs(worker)
    listing = await (await api.get("/api/v1/products")).json()
    preview = listing["items"][0]["preview_url"]
    assert preview and (await (await api.get(preview)).read())[:4] == b"glTF"
    assert (await (await api.get(f"/api/v1/products/{product['id']}")).json())["preview_url"] == preview


@pytest.fixture
async def webapp_client(database, tmp_path, engine):
    """The app serving a small built web app from `tmp_path/dist`."""
    from configurator_addon.server.app import create_app
    from fixtures_api import EngineInspector, api_settings

    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><html><head><title>app</title></head><body></body></html>")
    (dist / "assets" / "main-abc123.js").write_text("console.log(1)")
    settings = api_settings(database, str(tmp_path / "var"), webapp_dir=str(dist))
    async with api_client(create_app(settings, inspector=EngineInspector(engine))) as client:
        yield client


async def test_the_web_app_is_served_with_spa_fallback(webapp_client):
    client = webapp_client
    for page in ("/", "/configure/123", "/saved"):
        response = await client.get(page)
        assert response.status == 200 and "<title>app</title>" in await response.text()
    asset = await client.get("/assets/main-abc123.js")
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    await problem(await client.get("/assets/missing.js"), 404)
    await problem(await client.get("/api/v1/nothing-here"), 404)
    await problem(await client.get("/api/v1/nothing-here", headers=ANONYMOUS), 401)
    assert (await client.get("/health", headers=ANONYMOUS)).status == 200


STOREFRONT_META = re.compile(r'<meta name="configurator-storefront-key" content="(pk_[A-Za-z0-9_-]+)" />')


async def test_pages_carry_the_servers_storefront_key_which_works_only_from_its_own_origin(webapp_client):
    from configurator_addon.accounts import storefront

    client, pool = webapp_client, webapp_client.server.app[keys.RESOURCES].pool
    assert not STOREFRONT_META.search(await (await client.get("/", headers=ANONYMOUS)).text())  # none issued yet
    key = await storefront.ensure_storefront_key(pool, DEMO_CLIENT_ID)
    assert await storefront.ensure_storefront_key(pool, DEMO_CLIENT_ID) == key  # issued once
    client.server.app[AUTHENTICATOR].storefront.forget(storefront.STOREFRONT_SECRET)  # else seen in ≤ 5 s
    for page in ("/", "/configure/123", "/saved"):
        served = STOREFRONT_META.search(await (await client.get(page, headers=ANONYMOUS)).text())
        assert served and served.group(1) == key, page
    own = f"http://{client.server.host}:{client.server.port}"
    storefront_key = {"Authorization": f"Bearer {key}"}
    for origin in (own, "http://localhost:5173"):  # the server itself, and CORS_ORIGINS
        response = await client.get("/api/v1/products", headers={**storefront_key, "Origin": origin})
        assert response.status == 200, origin
    await problem(await client.get("/api/v1/products", headers={**storefront_key, "Origin": "https://evil.example"}),
                  403)
    # Revoked, it is no longer served, and the next one issued is
    await pool.execute("UPDATE api_keys SET revoked_at = now() WHERE key_hash = sha256($1::text::bytea)", key)
    client.server.app[AUTHENTICATOR].storefront.forget(storefront.STOREFRONT_SECRET)
    assert not STOREFRONT_META.search(await (await client.get("/", headers=ANONYMOUS)).text())
    assert await storefront.ensure_storefront_key(pool, DEMO_CLIENT_ID) != key


async def test_the_embed_page_may_be_framed_only_by_its_keys_origins(webapp_client):
    from configurator_addon.accounts import api_keys

    client, pool = webapp_client, webapp_client.server.app[keys.RESOURCES].pool
    made = await api_keys.create_key(pool, DEMO_CLIENT_ID, kind="publishable",
                                     origins=["https://shop.example", "https://www.shop.example"])

    def ancestors(response) -> str:
        return response.headers["Content-Security-Policy"].split("frame-ancestors ")[1]

    page = await client.get(f"/embed/123?key={made['key']}", headers=ANONYMOUS)
    assert page.status == 200 and "<title>app</title>" in await page.text()
    assert ancestors(page) == "https://shop.example https://www.shop.example"
    assert not STOREFRONT_META.search(await page.text())  # the embed uses the key in its address
    for refused in ("", "?key=pk_unknown", f"?key={(await new_key_of_kind(pool, 'secret'))}"):
        assert ancestors(await client.get(f"/embed/123{refused}", headers=ANONYMOUS)) == "'none'", refused
    assert ancestors(await client.get("/", headers=ANONYMOUS)) == "'self'"  # FRAME_ANCESTORS elsewhere
    await pool.execute("UPDATE api_keys SET revoked_at = now() WHERE id = $1", uuid.UUID(made["id"]))
    client.server.app[AUTHENTICATOR].api_keys.forget(tokens.token_hash(made["key"]))
    assert ancestors(await client.get(f"/embed/123?key={made['key']}", headers=ANONYMOUS)) == "'none'"


async def new_key_of_kind(pool, kind: str) -> str:
    from configurator_addon.accounts import api_keys

    return (await api_keys.create_key(pool, DEMO_CLIENT_ID, kind=kind, role="viewer"))["key"]


STATIC_ESCAPES = {
    "dot-segments": "/assets/../../secret.txt",
    "dot-segments-from-the-root": "/../secret.txt",
    "encoded-dots": "/assets/%2e%2e/%2e%2e/secret.txt",
    "encoded-dots-from-the-root": "/%2e%2e/secret.txt",
    "encoded-slashes": "/assets/..%2f..%2fsecret.txt",
}


@pytest.mark.parametrize("target", STATIC_ESCAPES.values(), ids=STATIC_ESCAPES.keys())
async def test_static_paths_escaping_the_web_app_folder_are_404(webapp_client, tmp_path, target):
    """Sent unnormalised (see `raw_get`). The web app is `tmp_path/dist`; `secret.txt` beside it."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    status, headers, body = await raw_get(webapp_client, target)
    raw_problem(status, headers, body, 404)
    assert SECRET not in body


async def test_a_static_path_to_a_file_outside_without_a_suffix_gets_the_app_page(webapp_client):
    status, _, body = await raw_get(webapp_client, "/assets/" + "../" * 16 + "etc/passwd")
    assert status == 200 and b"<title>app</title>" in body  # a page path: the SPA fallback
    assert b"root:" not in body


async def test_health_reports_a_bpy_executor_stuck_past_the_time_limit(database, tmp_path, engine):
    import asyncio
    import threading
    import time

    from aiohttp.test_utils import TestClient, TestServer

    from configurator_addon.runtime.main_thread import MainThreadExecutor
    from configurator_addon.server.app import create_app
    from fixtures_api import EngineInspector, api_settings

    executor = MainThreadExecutor()
    driving = threading.Event()
    release = threading.Event()

    def drive():  # stands in for Blender's timer on the main thread
        while not driving.is_set():
            executor.drain()
            time.sleep(0.01)

    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    settings = api_settings(database, str(tmp_path / "var"), job_timeout_seconds=0.5)
    app = create_app(settings, role="all", executor=executor, inspector=EngineInspector(engine))
    try:
        async with TestClient(TestServer(app)) as client:
            assert (await client.get("/health")).status == 200
            # Stuck until released: however slow the machine, the task is still running
            # when health is asked, and health answers 503 once it has run past the limit.
            stuck = executor.submit(release.wait, 60)
            deadline = time.monotonic() + 30
            while True:
                response = await client.get("/health")
                body = await response.json()
                if response.status != 200 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            assert response.status == 503 and body["status"] == "unhealthy" and body["executor_busy_seconds"] > 0.5
            release.set()
            await asyncio.wrap_future(stuck)
            assert (await client.get("/health")).status == 200
    finally:
        release.set()
        executor.stop()
        driving.set()
        driver.join(5)


async def test_cancelling_a_shared_job_withdraws_one_request(api, worker, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    request = {"product_id": product["id"], "config_data": {"width": 0.52}}
    first = await (await api.post("/api/v1/jobs", json=request)).json()
    shared = await (await api.post("/api/v1/jobs", json=request)).json()
    assert shared["id"] == first["id"] and shared["requesters"] == 2
    after_one = await (await api.post(f"/api/v1/jobs/{first['id']}/cancel")).json()
    assert after_one["status"] == "QUEUED" and after_one["requesters"] == 1  # the other request still wants it
    await run_queued_jobs(worker)
    assert (await (await api.get(f"/api/v1/jobs/{first['id']}")).json())["status"] == "COMPLETED"

    request = {"product_id": product["id"], "config_data": {"width": 0.53}}
    job = await (await api.post("/api/v1/jobs", json=request)).json()
    await api.post("/api/v1/jobs", json=request)
    await api.post(f"/api/v1/jobs/{job['id']}/cancel")
    last = await (await api.post(f"/api/v1/jobs/{job['id']}/cancel")).json()
    assert last["status"] == "CANCELLED" and last["requesters"] == 0

"""When the database or the blob storage is away, the API says so: 503 with `Retry-After`,
never a 500, and nothing is half-done."""
from __future__ import annotations

import os
import shutil

from configurator_addon.db import EmbeddedPostgres, migrate
from configurator_addon.server import keys
from configurator_addon.server.app import create_app
from fixtures_api import EngineInspector, api_client, api_settings


async def test_requests_while_the_database_is_down_are_503_with_retry_after(cluster_dir, tmp_path, engine):
    cluster = EmbeddedPostgres(f"{cluster_dir}/data", fast=True)
    dsn = cluster.start()
    await migrate(dsn)
    app = create_app(api_settings(dsn, str(tmp_path / "var")), inspector=EngineInspector(engine))
    async with api_client(app) as client:
        assert (await client.get("/api/v1/products")).status == 200
        cluster.stop()
        response = await client.get("/api/v1/products")
        body = await response.json()
        assert response.status == 503, body
        assert response.content_type == "application/problem+json"
        assert body["code"] == "DATABASE_UNAVAILABLE"
        assert int(response.headers["Retry-After"]) > 0
        cluster.start()
        assert (await client.get("/api/v1/products")).status == 200


async def test_an_upload_the_blob_store_cannot_take_is_503_with_retry_after(api, fixture_templates):
    root = api.server.app[keys.RESOURCES].store.root
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.dirname(root), exist_ok=True)
    with open(root, "w") as handle:  # the blob folder is a file: every write fails
        handle.write("not a folder")
    with open(fixture_templates["valid"], "rb") as handle:
        response = await api.post("/api/v1/products", data={"name": "Box", "template": handle})
    body = await response.json()
    assert response.status == 503, body
    assert body["code"] == "STORAGE_UNAVAILABLE" and int(response.headers["Retry-After"]) > 0
    listed = await (await api.get("/api/v1/products")).json()
    assert listed["page"]["total"] == 0  # nothing was created

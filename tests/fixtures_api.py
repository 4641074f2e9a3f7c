"""Fixtures for the HTTP API: the real app on a real PostgreSQL and local blob store, and a
worker that runs claimed jobs through the real engine in this process."""
from __future__ import annotations

import tempfile
import uuid

import pytest
from aiohttp.test_utils import TestClient, TestServer

from configurator_addon.jobs.worker import Worker
from configurator_addon.runtime.in_process import InProcessEngine
from configurator_addon.server import keys
from configurator_addon.server.app import create_app
from configurator_addon.settings import Settings


class EngineInspector:
    """Inspects uploads with this process's engine (the API default uses a child process;
    `test_api_uploads` covers that one)."""

    def __init__(self, engine):
        self.engine = engine

    async def inspect(self, template: bytes) -> dict:
        with tempfile.NamedTemporaryFile(suffix=".blend") as handle:
            handle.write(template)
            handle.flush()
            return self.engine.inspect(handle.name).as_dict()


class InlineExecutor:
    """Runs bpy work right here: pytest's event loop is on the main thread already."""

    async def run(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    def busy_seconds(self) -> float:
        return 0.0


def api_settings(database: str, var_dir: str, **overrides) -> Settings:
    return Settings(database_url=database, var_dir=var_dir, retry_base_delay_seconds=0.2, heartbeat_seconds=0.5,
                    cors_origins=("http://localhost:5173",), **overrides)


@pytest.fixture
async def api(database, tmp_path, engine, request):
    """An HTTP client of the app. `@pytest.mark.api_settings(max_upload_bytes=…)` overrides settings;
    `@pytest.mark.azure_storage` stores blobs in Azurite instead of local files."""
    marker = request.node.get_closest_marker("api_settings")
    overrides = dict(marker.kwargs) if marker else {}
    if request.node.get_closest_marker("azure_storage"):
        overrides["azure_storage_connection_string"] = request.getfixturevalue("azurite")
        overrides["azure_container"] = f"api-{uuid.uuid4().hex[:12]}"
    settings = api_settings(database, str(tmp_path / "var"), **overrides)
    inspector = None if request.node.get_closest_marker("real_inspector") else EngineInspector(engine)
    app = create_app(settings, role="all", inspector=inspector)
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
async def worker(api, engine):
    app = api.server.app
    resources = app[keys.RESOURCES]
    return Worker(app[keys.SETTINGS], resources.queue, resources.store, InProcessEngine(InlineExecutor(), engine))


async def run_queued_jobs(worker) -> int:
    """Process claimable jobs until none is left; returns how many ran."""
    count = 0
    while (row := await worker.queue.claim(worker.worker_id)) is not None:
        await worker.process(row)
        count += 1
    return count


async def upload_product(api, path: str, name: str = "Test box", client_id=None) -> dict:
    with open(path, "rb") as handle:
        form = {"name": name, "description": "A box for tests", "template": handle}
        response = await api.post("/api/v1/products", data=form, headers=tenant(client_id))
    assert response.status == 201, await response.text()
    return await response.json()


def tenant(client_id) -> dict:
    return {"X-Client-Id": str(client_id)} if client_id else {}


async def new_client(api, name: str = "Other Manufacturer") -> uuid.UUID:
    pool = api.server.app[keys.RESOURCES].pool
    return await pool.fetchval("INSERT INTO clients (name) VALUES ($1) RETURNING id", name)

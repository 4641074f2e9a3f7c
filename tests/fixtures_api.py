"""Fixtures for the HTTP API: the real app on a real PostgreSQL and local blob store, and a
worker that runs claimed jobs through the real engine in this process.

Every /api/v1 route needs a credential: the `api` client sends an admin key of the demo
client with each request (`api_client`), unless a request names its own headers:
`headers=tenant(other)` acts as an admin of the client `new_client` made, `headers=ANONYMOUS`
as nobody."""
from __future__ import annotations

import contextlib
import tempfile
import uuid

import pytest
from aiohttp.test_utils import TestClient, TestServer

from configurator_addon.accounts import tokens
from configurator_addon.jobs.worker import Worker
from configurator_addon.runtime.in_process import InProcessEngine
from configurator_addon.server import keys
from configurator_addon.server.app import create_app
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from configurator_addon.settings import Settings

ANONYMOUS = {"Authorization": None}  # a request's headers that drop the client's credential
_ADMIN_KEYS: dict[uuid.UUID, str] = {}  # client → an admin key, for `tenant`


class ApiClient(TestClient):
    """A test client that sends `credential` (headers) with every request and WebSocket;
    a request's own headers win, and a header given as None is left out."""

    credential: dict = {}

    async def _request(self, method, path, **kwargs):
        return await super()._request(method, path, **_with_credential(self.credential, kwargs))

    async def _ws_connect(self, path, **kwargs):
        return await super()._ws_connect(path, **_with_credential(self.credential, kwargs))


def _with_credential(credential: dict, kwargs: dict) -> dict:
    headers = {**credential, **dict(kwargs.get("headers") or {})}
    return {**kwargs, "headers": {name: value for name, value in headers.items() if value is not None}}


async def new_admin_key(pool, client_id, role: str = "admin") -> str:
    key = tokens.new_api_key("secret")
    await pool.execute("INSERT INTO api_keys (client_id, kind, role, shown_prefix, key_hash) "
                       "VALUES ($1, 'secret', $2, $3, $4)", client_id, role, key[:tokens.SHOWN_PREFIX_CHARS],
                       tokens.token_hash(key))
    return key


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@contextlib.asynccontextmanager
async def api_client(app, **client_options):
    """A started `ApiClient` of `app`, acting as an admin of the demo client."""
    async with ApiClient(TestServer(app), **client_options) as client:
        key = await new_admin_key(app[keys.RESOURCES].pool, DEMO_CLIENT_ID)
        _ADMIN_KEYS[DEMO_CLIENT_ID] = key
        client.credential = bearer(key)
        yield client


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
    async with api_client(app) as client:
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
    """Headers that act as an admin of `client_id` (made by `new_client`); {} for the default."""
    return bearer(_ADMIN_KEYS[client_id]) if client_id else {}


async def new_client(api, name: str = "Other Manufacturer") -> uuid.UUID:
    """A new client, with an admin key that `tenant(client)` sends."""
    pool = api.server.app[keys.RESOURCES].pool
    client_id = await pool.fetchval("INSERT INTO clients (name) VALUES ($1) RETURNING id", name)
    _ADMIN_KEYS[client_id] = await new_admin_key(pool, client_id)
    return client_id

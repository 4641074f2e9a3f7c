"""Compressed answers (server/compression.py): a GLB and a JSON answer come back gzipped, with
`Vary: Accept-Encoding`, when the client accepts gzip, and as they are when it does not (or
asks for a byte range, or the body is tiny); the built web app's files go out as the brotli
copy the build wrote, whose bytes decompress to the file itself. The client here decompresses
nothing itself (`auto_decompress=False`): the bytes on the wire are what is checked."""
from __future__ import annotations

import glob
import gzip
import json
import os
import subprocess

import pytest
from aiohttp.test_utils import TestClient, TestServer

from configurator_addon.server import keys
from configurator_addon.server.app import create_app
from configurator_addon.server.compression import accepts
from configurator_addon.server.routes import blobs
from fixtures_api import api_settings
from processes import ROOT
from test_api import signed_blob_url

KEY = "9b1f0c2d3e4a"
PATH = f"acme/glb/{KEY}.glb"
# A GLB-like body: a JSON chunk and repetitive float data, as meshes are.
GLB_BODY = b"glTF\x02\x00\x00\x00" + json.dumps({"asset": {"version": "2.0"}}).encode() + bytes(range(64)) * 4000
DIST = os.path.join(ROOT, "frontend", "dist")


@pytest.fixture
async def client(database, tmp_path):
    app = create_app(api_settings(database, str(tmp_path / "var"), webapp_dir=DIST), role="api")
    async with TestClient(TestServer(app), auto_decompress=False) as client:
        await app[keys.RESOURCES].store.put(PATH, GLB_BODY, "model/gltf-binary")
        yield client


def vary(headers) -> list[str]:
    return [v.strip().lower() for v in headers.get("Vary", "").split(",")]


@pytest.mark.parametrize("header, coding, expected", [
    ("gzip, deflate, br", "gzip", True),
    ("GZIP", "gzip", True),
    ("gzip;q=0", "gzip", False),
    ("br;q=1.0, gzip;q=0.5", "gzip", True),
    ("identity", "gzip", False),
    ("*", "gzip", True),
    ("*, gzip;q=0", "gzip", False),
    ("", "gzip", False),
    ("gzip;q=bogus", "gzip", False),
])
def test_accept_encoding_is_read_with_its_q_values(header, coding, expected):
    class Request:
        headers = {"Accept-Encoding": header}

    assert accepts(Request(), coding) is expected


async def test_a_glb_is_gzipped_when_asked_with_its_own_etag(client):
    url = await signed_blob_url(client, PATH)
    async with client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"}) as response:
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert "accept-encoding" in vary(response.headers)
        assert response.headers["ETag"] == f'"{KEY}-gzip"'
        wire = await response.read()
    assert gzip.decompress(wire) == GLB_BODY
    assert len(wire) < len(GLB_BODY) / 4
    # Its own tag revalidates the gzipped copy; the identity tag does not stand for it.
    async with client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": f'"{KEY}-gzip"'}) as response:
        assert response.status == 304


async def test_a_glb_is_sent_as_it_is_without_gzip_or_for_a_range(client):
    url = await signed_blob_url(client, PATH)
    async with client.get(url, headers={"Accept-Encoding": "identity"}) as response:
        assert response.status == 200 and "Content-Encoding" not in response.headers
        assert "accept-encoding" in vary(response.headers)
        assert response.headers["Content-Length"] == str(len(GLB_BODY))
        assert response.headers["ETag"] == f'"{KEY}"'
        assert await response.read() == GLB_BODY
    async with client.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=100-199"}) as response:
        assert response.status == 206 and "Content-Encoding" not in response.headers
        assert await response.read() == GLB_BODY[100:200]


async def test_a_glb_past_the_gzip_limit_is_sent_as_it_is(client, monkeypatch):
    monkeypatch.setattr(blobs, "MAX_GZIPPED_BYTES", len(GLB_BODY) - 1)
    url = await signed_blob_url(client, PATH)
    async with client.get(url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status == 200 and "Content-Encoding" not in response.headers
        assert response.headers["ETag"] == f'"{KEY}"'
        assert await response.read() == GLB_BODY


async def test_json_is_gzipped_when_asked_and_identity_otherwise(client):
    async with client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert "accept-encoding" in vary(response.headers)
        document = json.loads(gzip.decompress(await response.read()))
    assert document["openapi"].startswith("3.1")
    async with client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "identity"}) as response:
        assert "Content-Encoding" not in response.headers
        assert "accept-encoding" in vary(response.headers)
        assert json.loads(await response.read()) == document


async def test_a_tiny_json_answer_is_not_compressed(client):
    async with client.get("/api/v1/products", headers={"Accept-Encoding": "gzip", "Authorization": ""}) as response:
        assert response.status == 401
        body = await response.read()
        assert len(body) < 1024 and "Content-Encoding" not in response.headers
        assert json.loads(body)["status"] == 401


def brotli_decompress(data: bytes) -> bytes:
    """Python here has no brotli module; Node's zlib has one."""
    done = subprocess.run(["node", "-e", "process.stdout.write(require('zlib').brotliDecompressSync("
                           "require('fs').readFileSync(0)))"], input=data, capture_output=True, timeout=60, check=True)
    return done.stdout


async def test_a_built_script_goes_out_as_its_brotli_copy(client):
    scripts = [path for path in glob.glob(os.path.join(DIST, "assets", "*.js")) if os.path.getsize(path) > 10_000]
    assert scripts, "run `make frontend` (npm run build) first"
    path = scripts[0]
    name = "/assets/" + os.path.basename(path)
    with open(path, "rb") as handle:
        original = handle.read()
    assert os.path.isfile(path + ".br") and os.path.isfile(path + ".gz"), "the build wrote no compressed copies"
    async with client.get(name, headers={"Accept-Encoding": "gzip, deflate, br"}) as response:
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "br"
        assert response.content_type.endswith("/javascript")  # the script, not a .br download
        assert "accept-encoding" in vary(response.headers)
        wire = await response.read()
    assert len(wire) < len(original) / 2
    assert brotli_decompress(wire) == original
    async with client.get(name, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(await response.read()) == original
    async with client.get(name, headers={"Accept-Encoding": "identity"}) as response:
        assert "Content-Encoding" not in response.headers
        assert "accept-encoding" in vary(response.headers)
        assert await response.read() == original


async def test_a_page_asked_for_without_a_session_cookie_says_nobody_is_logged_in(client):
    """So the app skips `me` (and its 401 in the console) for anonymous shoppers."""
    hint = '<meta name="configurator-session" content="none" />'
    async with client.get("/", headers={"Accept-Encoding": "identity"}) as response:
        assert hint in (await response.read()).decode()
    async with client.get("/configure/123", headers={"Accept-Encoding": "identity",
                                                     "Cookie": "configurator_session=some-token"}) as response:
        assert hint not in (await response.read()).decode()

"""`/blobs/…` delivers GLBs without holding them in memory, with byte ranges, from both blob
stores alike: local files (sendfile) and Azure Blob Storage (a real Azurite, streamed in
ranged downloads). What is not a served GLB is 404, whatever the store holds. Every URL is
signed and expires: without a genuine, unexpired signature it is 403, whatever the path."""
from __future__ import annotations

import asyncio
import hashlib
import os
import random
import threading
import time
import uuid

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from configurator_addon.errors import StorageError
from configurator_addon.server import keys
from configurator_addon.server.app import create_app
from configurator_addon.server.routes.blobs import UNSATISFIABLE, requested_range
from configurator_addon.settings import Settings
from configurator_addon.storage import IMMUTABLE_CACHE_CONTROL, AzureBlobStore, BlobUrlSigner
from configurator_addon.storage.blob_store import STREAM_CHUNK_BYTES
from fixtures_api import api_settings
from fixtures_server import ServerProcess
from test_api import PROBLEM, signed_blob_url

GLB = "model/gltf-binary"
ORIGIN = "http://localhost:5173"  # the CORS origin of `api_settings`
KEY = "4f2c9a0d1e7b"
PATH = f"acme/glb/{KEY}.glb"
ETAG = f'"{KEY}"'
# More than two download pieces, and not a multiple of one.
SIZE = 2 * STREAM_CHUNK_BYTES + 12_345
DATA = random.Random(7).randbytes(SIZE)


# -- the Range header ---------------------------------------------------------------------
@pytest.mark.parametrize("header, expected", [
    ("bytes=0-0", (0, 1)),
    ("bytes=10-19", (10, 20)),
    ("bytes=10-", (10, 100)),
    ("bytes=-10", (90, 100)),
    ("bytes=-1000", (0, 100)),  # a suffix longer than the blob: all of it
    ("bytes=90-1000", (90, 100)),  # the end clamped to the blob's
    ("bytes=99-99", (99, 100)),
    ("BYTES = 10-19", (10, 20)),
    ("bytes=  10-19  ", (10, 20)),
    ("bytes=100-", UNSATISFIABLE),
    ("bytes=150-200", UNSATISFIABLE),
    ("bytes=-0", UNSATISFIABLE),
    (None, None),
    ("bytes=0-1,5-6", None),  # several ranges: the whole blob
    ("bytes=0-1, 200-300", None),
    ("items=0-1", None),
    ("bytes=20-10", None),  # last before first: not a valid range, ignored
    ("bytes=-", None),
    ("bytes=a-b", None),
    ("bytes=1-2-3", None),
    ("bytes=+1-2", None),
    ("bytes=\u0661-\u0663", None),  # digits, but not ASCII ones
    ("bytes", None),
    ("bytes=", None),
    ("bytes=" + "9" * 5000 + "-", None),
])
def test_requested_range(header, expected):
    assert requested_range(header, 100) == expected


def test_every_range_of_an_empty_blob_is_unsatisfiable():
    for header in ("bytes=0-", "bytes=0-0", "bytes=-1"):
        assert requested_range(header, 0) is UNSATISFIABLE


# -- over HTTP, on both stores ------------------------------------------------------------
@pytest.fixture(params=["local", "azure"])
async def served(request, database, tmp_path):
    """An HTTP client of the API and its store, which holds `DATA` at `PATH`."""
    overrides = {}
    if request.param == "azure":
        overrides = {"azure_storage_connection_string": request.getfixturevalue("azurite"),
                     "azure_container": f"blobs-{uuid.uuid4().hex[:12]}"}
    app = create_app(api_settings(database, str(tmp_path / "var"), **overrides), role="api")
    async with TestClient(TestServer(app)) as client:
        store = app[keys.RESOURCES].store
        assert isinstance(store, AzureBlobStore) == (request.param == "azure")
        await store.put(PATH, DATA, GLB)
        yield client, store


async def fetch(client, path: str = PATH, method: str = "GET", **headers) -> tuple[int, dict, bytes]:
    """`method` of the blob's signed URL, as the API would hand it out; the identity body
    unless `headers` ask otherwise (test_compression.py covers gzip)."""
    headers = {"Accept-Encoding": "identity", **headers}
    async with client.request(method, await signed_blob_url(client, path), headers=headers) as response:
        return response.status, response.headers, await response.read()


async def test_a_glb_is_sent_whole_with_its_headers(served):
    client, _ = served
    status, headers, body = await fetch(client, Origin=ORIGIN)
    assert status == 200 and body == DATA
    assert headers["Content-Type"] == GLB
    assert headers["Content-Length"] == str(SIZE)
    assert headers["ETag"] == ETAG
    assert headers["Cache-Control"] == IMMUTABLE_CACHE_CONTROL
    assert headers["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Content-Security-Policy"]
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "ETag" in headers["Access-Control-Expose-Headers"]
    assert headers["X-Request-Id"]
    status, headers, _ = await fetch(client, Range="bytes=0-0", **{"X-Request-Id": "trace-blob-1"})
    assert (status, headers["X-Request-Id"]) == (206, "trace-blob-1")


RANGES = {
    "first-byte": ("bytes=0-0", 0, 1),
    "closed": ("bytes=1000-1999", 1000, 2000),
    "across-pieces": (f"bytes={STREAM_CHUNK_BYTES - 10}-{2 * STREAM_CHUNK_BYTES + 10}",
                      STREAM_CHUNK_BYTES - 10, 2 * STREAM_CHUNK_BYTES + 11),
    "open": (f"bytes={SIZE - 5000}-", SIZE - 5000, SIZE),
    "open-from-zero": ("bytes=0-", 0, SIZE),
    "suffix": ("bytes=-777", SIZE - 777, SIZE),
    "suffix-longer-than-the-blob": (f"bytes=-{SIZE * 2}", 0, SIZE),
    "end-past-the-blob": (f"bytes={SIZE - 3}-{SIZE * 2}", SIZE - 3, SIZE),
    "last-byte": (f"bytes={SIZE - 1}-{SIZE - 1}", SIZE - 1, SIZE),
}


@pytest.mark.parametrize("header, start, end", RANGES.values(), ids=RANGES.keys())
async def test_a_byte_range_is_206_with_exactly_those_bytes(served, header, start, end):
    client, _ = served
    status, headers, body = await fetch(client, Range=header)
    assert status == 206
    assert body == DATA[start:end]
    assert headers["Content-Range"] == f"bytes {start}-{end - 1}/{SIZE}"
    assert headers["Content-Length"] == str(end - start)
    assert headers["Content-Type"] == GLB
    assert (headers["ETag"], headers["Cache-Control"]) == (ETAG, IMMUTABLE_CACHE_CONTROL)


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
async def test_a_range_past_the_end_is_416_with_the_size(served, header):
    client, _ = served
    async with client.get(await signed_blob_url(client, PATH), headers={"Range": header}) as response:
        assert response.status == 416
        assert response.headers["Content-Range"] == f"bytes */{SIZE}"
        assert response.content_type == PROBLEM
        assert (await response.json())["status"] == 416
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("header", ["bytes=0-1,10-20", "bytes=-5, 0-1", "items=0-10", "bytes=20-10", "bytes=x-y"])
async def test_several_ranges_or_a_range_not_understood_get_the_whole_glb(served, header):
    client, _ = served
    status, headers, body = await fetch(client, Range=header)
    assert status == 200 and body == DATA and "Content-Range" not in headers


async def test_if_range_keeps_the_range_only_for_the_blobs_own_etag(served):
    client, _ = served
    status, _, body = await fetch(client, Range="bytes=10-19", **{"If-Range": ETAG})
    assert (status, body) == (206, DATA[10:20])
    for other in ('"another-version"', f"W/{ETAG}", "Wed, 21 Oct 2015 07:28:00 GMT"):
        status, headers, body = await fetch(client, Range="bytes=10-19", **{"If-Range": other})
        assert (status, len(body)) == (200, SIZE) and "Content-Range" not in headers, other


@pytest.mark.parametrize("tags", [ETAG, f"W/{ETAG}", "*", f'"other", {ETAG}'])
async def test_if_none_match_with_the_etag_is_304(served, tags):
    client, _ = served
    for extra in ({}, {"Range": "bytes=0-9"}):
        status, headers, body = await fetch(client, **{"If-None-Match": tags}, **extra)
        assert (status, body) == (304, b"")
        assert (headers["ETag"], headers["Cache-Control"]) == (ETAG, IMMUTABLE_CACHE_CONTROL)
    status, _, body = await fetch(client, **{"If-None-Match": '"other"'})
    assert (status, body) == (200, DATA)


async def test_head_answers_the_headers_of_get(served):
    client, _ = served
    status, headers, body = await fetch(client, method="HEAD")
    assert (status, body) == (200, b"")
    assert (headers["Content-Length"], headers["Content-Type"], headers["ETag"]) == (str(SIZE), GLB, ETAG)
    assert headers["Accept-Ranges"] == "bytes"
    status, headers, body = await fetch(client, method="HEAD", Range="bytes=-100")
    assert (status, body) == (206, b"")
    assert (headers["Content-Range"], headers["Content-Length"]) == (f"bytes {SIZE - 100}-{SIZE - 1}/{SIZE}", "100")
    status, headers, _ = await fetch(client, method="HEAD", Range=f"bytes={SIZE}-")
    assert (status, headers["Content-Range"]) == (416, f"bytes */{SIZE}")
    status, _, _ = await fetch(client, method="HEAD", **{"If-None-Match": ETAG})
    assert status == 304


async def test_an_empty_glb_is_200_and_any_range_of_it_416(served):
    client, store = served
    await store.put("acme/glb/empty.glb", b"", GLB)
    status, headers, body = await fetch(client, "acme/glb/empty.glb")
    assert (status, body, headers["Content-Length"]) == (200, b"", "0")
    status, headers, _ = await fetch(client, "acme/glb/empty.glb", Range="bytes=0-")
    assert (status, headers["Content-Range"]) == (416, "bytes */0")


@pytest.mark.parametrize("path", [
    "acme/glb/missing.glb",  # no such blob
    "acme/templates/chair/1.blend",  # a template: never served
    "acme/templates/chair/1.glb",
    "acme/glb/model.blend",
    "acme/glb/nested/x.glb",
    "acme/glb",
    "acme/glb/",
    f"acme/glb/{KEY}.glb%00",
    "acme/glb/%00.glb",
    "acme/glb/with%20space.glb",
])
async def test_what_is_not_a_stored_glb_is_404_on_either_store(served, path):
    client, store = served
    for blob in ("acme/templates/chair/1.blend", "acme/templates/chair/1.glb", "acme/glb/model.blend",
                 "acme/glb/nested/x.glb"):
        await store.put(blob, b"BLENDER-v300 not for browsers", "application/octet-stream")
    try:
        target = await signed_blob_url(client, path)  # a genuine signature does not make it a GLB
    except ValueError:
        target = "/blobs/" + path  # not a blob path at all: nothing could sign it
    for extra in ({}, {"Range": "bytes=0-9"}, {"If-None-Match": "*"}):
        async with client.get(target, headers=extra) as response:
            assert response.status == 404, (path, extra)
            assert response.content_type == PROBLEM
            assert b"BLENDER" not in await response.read()


@pytest.mark.parametrize("served", ["azure"], indirect=True)  # local files go out with sendfile
async def test_a_blob_that_fails_midway_is_cut_short_and_the_server_goes_on(served, monkeypatch):
    """Once the status line is out, a failing store can only end the connection early: the
    client sees a short body, never a complete-looking one or a second response in the stream."""
    client, store = served
    real_stream = store.stream

    async def failing_stream(path, offset=0, length=None):
        pieces = real_stream(path, offset, length)
        yield await anext(pieces)
        await pieces.aclose()
        raise StorageError("the storage account went away")

    monkeypatch.setattr(store, "stream", failing_stream)
    with pytest.raises(aiohttp.ClientPayloadError):
        async with client.get(await signed_blob_url(client, PATH), timeout=aiohttp.ClientTimeout(total=30)) as response:
            assert response.status == 200
            await response.read()
    monkeypatch.undo()
    status, _, body = await fetch(client, Range="bytes=0-9")
    assert (status, body) == (206, DATA[:10])


# -- signed URLs ---------------------------------------------------------------------------
OTHER = "acme/glb/0ther-b1ob.glb"


async def refused(client, target: str, code: str, **headers) -> None:
    """`target` is 403 problem+json with `code` and none of the blob's bytes."""
    async with client.get(target, headers=headers) as response:
        assert response.status == 403, (target, await response.text())
        assert response.content_type == PROBLEM
        body = await response.read()
        assert (await response.json())["code"] == code, target
        assert DATA[:64] not in body and b"signature=" not in body
        assert "ETag" not in response.headers


def with_query(url: str, **changes: str | list[str]) -> str:
    """`url` with query parameters replaced (a list: the parameter repeated)."""
    path, _, query = url.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&"))
    params.update(changes)
    parts = [f"{name}={item}" for name, value in params.items()
             for item in (value if isinstance(value, list) else [value])]
    return f"{path}?{'&'.join(parts)}"


async def test_a_valid_signed_url_is_200_and_its_ranges_206(served):
    client, _ = served
    url = await signed_blob_url(client, PATH)
    assert url.startswith(f"/blobs/{PATH}?expires=") and "&signature=" in url
    async with client.get(url) as response:
        assert (response.status, await response.read()) == (200, DATA)
    async with client.get(url, headers={"Range": "bytes=5-9"}) as response:
        assert (response.status, await response.read()) == (206, DATA[5:10])


@pytest.mark.parametrize("target", [
    f"/blobs/{PATH}",
    f"/blobs/{PATH}?expires=9999999999",
    f"/blobs/{PATH}?signature=AAAA",
    f"/blobs/{PATH}?expires=&signature=",
    "/blobs/acme/glb/never-stored.glb",  # refused before the store is asked: no 404 to probe with
], ids=["no-query", "no-signature", "no-expiry", "empty", "missing-blob"])
async def test_a_url_without_a_signature_is_403(served, target):
    client, _ = served
    await refused(client, target, "URL_SIGNATURE_INVALID")
    await refused(client, target, "URL_SIGNATURE_INVALID", Range="bytes=0-9", **{"If-None-Match": "*"})
    async with client.head(target) as response:
        assert response.status == 403


async def test_a_missing_blob_is_404_only_with_a_genuine_signature(served):
    client, _ = served
    async with client.get(await signed_blob_url(client, "acme/glb/never-stored.glb")) as response:
        assert response.status == 404 and response.content_type == PROBLEM


async def test_a_url_with_another_blobs_path_is_403(served):
    client, store = served
    await store.put(OTHER, b"glTF another client's model", GLB)
    query = (await signed_blob_url(client, PATH)).partition("?")[2]
    await refused(client, f"/blobs/{OTHER}?{query}", "URL_SIGNATURE_INVALID")
    await refused(client, f"/blobs/{OTHER.replace('acme', 'acmf')}?{query}", "URL_SIGNATURE_INVALID")
    async with client.get(await signed_blob_url(client, OTHER)) as response:  # its own URL works
        assert (response.status, await response.read()) == (200, b"glTF another client's model")


def flip(text: str, index: int) -> str:
    return text[:index] + ("B" if text[index] == "A" else "A") + text[index + 1:]


async def test_a_url_with_a_changed_signature_or_expiry_is_403(served):
    client, _ = served
    url = await signed_blob_url(client, PATH)
    params = dict(part.split("=", 1) for part in url.partition("?")[2].split("&"))
    signature, expires = params["signature"], params["expires"]
    assert len(signature) == 43  # 32 bytes of HMAC-SHA256, base64url without padding
    for changed in (
        with_query(url, signature=flip(signature, 0)),
        with_query(url, signature=flip(signature, 42)),
        with_query(url, signature=signature[:-1]),
        with_query(url, signature=signature + "A"),
        with_query(url, signature=signature + "%3D"),  # padded
        with_query(url, signature="%C3%A9" * 22),  # not ASCII
        with_query(url, expires=str(int(expires) + 1)),  # a longer life
        with_query(url, expires="0" + expires),  # the same time, written differently
        with_query(url, expires=expires + ".0"),
        with_query(url, expires="%D9%A1" * 10),  # digits, but not ASCII ones
        with_query(url, signature=[signature, signature]),  # which one would count?
        with_query(url, expires=[expires, expires]),
    ):
        await refused(client, changed, "URL_SIGNATURE_INVALID")
    async with client.get(url) as response:
        assert response.status == 200


async def test_an_expired_url_is_403(served):
    client, store = served
    signer = store.url_signer
    now = int(time.time())
    await refused(client, await signer.url(PATH, expires=now - 1), "URL_EXPIRED")
    await refused(client, await signer.url(PATH, expires=now - 86_400), "URL_EXPIRED")
    await refused(client, await signer.url(PATH, expires=now - 1), "URL_EXPIRED", **{"If-None-Match": "*"})
    async with client.get(await signer.url(PATH, expires=now + 60)) as response:
        assert response.status == 200


async def test_a_store_without_a_signer_serves_nothing(served, monkeypatch):
    client, store = served
    url = await signed_blob_url(client, PATH)
    monkeypatch.setattr(store, "url_signer", None)
    await refused(client, url, "URL_SIGNATURE_INVALID")


async def test_another_servers_key_does_not_sign_for_this_one(served, tmp_path):
    client, _ = served
    stranger = BlobUrlSigner(key_file=str(tmp_path / "elsewhere" / "blob-url.key"))
    await refused(client, await stranger.url(PATH), "URL_SIGNATURE_INVALID")


# -- memory: twelve downloads of a large GLB at once --------------------------------------
PARALLEL_DOWNLOADS = 12
RSS_SAMPLE_SECONDS = 0.02
MAX_RSS_GROWTH_BYTES = 100 * 1024 * 1024


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


class PeakRss:
    """Samples a process's resident set every 20 ms in a thread, keeping the highest."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.samples = pid, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            self.samples += 1
            self._stop.wait(RSS_SAMPLE_SECONDS)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


def write_random_file(path: str, size: int) -> str:
    """`size` pseudo-random bytes (a repeated random block would compress; these do not
    matter to the server, which only sends them); returns their sha256."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    digest, generator = hashlib.sha256(), random.Random(size)
    with open(path, "wb") as handle:
        for _ in range(size // (1024 * 1024)):
            block = generator.randbytes(1024 * 1024)
            digest.update(block)
            handle.write(block)
    return digest.hexdigest()


async def download_digest(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    async with session.get(url) as response:
        assert response.status == 200, await response.text()
        async for piece in response.content.iter_chunked(1024 * 1024):
            digest.update(piece)
            size += len(piece)
    return size, digest.hexdigest()


async def parallel_downloads_peak_rss(server: ServerProcess, var_dir: str, path: str, size: int,
                                      sha256: str) -> tuple[int, int]:
    """Idle and peak RSS of the server while it sends `path` to 12 clients at once."""
    await server.wait_ready()
    # Signed with the key in the server's var dir, as the server's own store signs it.
    url = await BlobUrlSigner(key_file=Settings(var_dir=var_dir).blob_url_key_file).url(path, server.url)
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"Range": "bytes=0-1023"}) as response:  # warm the route
            assert response.status == 206, await response.text()
        await asyncio.sleep(0.5)
        idle = rss_bytes(server.process.pid)
        started = time.monotonic()
        with PeakRss(server.process.pid) as peak:
            results = await asyncio.gather(*(download_digest(session, url) for _ in range(PARALLEL_DOWNLOADS)))
        elapsed = time.monotonic() - started
    assert results == [(size, sha256)] * PARALLEL_DOWNLOADS
    assert peak.samples > 10
    print(f"\n{PARALLEL_DOWNLOADS} x {size / 2**20:.0f} MiB in {elapsed:.1f} s: idle RSS {idle / 2**20:.0f} MiB, "
          f"peak {peak.peak / 2**20:.0f} MiB (+{(peak.peak - idle) / 2**20:.0f} MiB), {peak.samples} samples")
    return idle, peak.peak


@pytest.mark.slow
async def test_twelve_downloads_of_a_192_mb_local_glb_keep_the_api_memory_flat(tmp_path, empty_database):
    var_dir = str(tmp_path / "var")
    size = 192 * 1024 * 1024
    sha256 = write_random_file(os.path.join(var_dir, "blobs", "acme", "glb", f"{KEY}.glb"), size)
    server = ServerProcess(var_dir, "--role", "api", "--no-seed", env={"DATABASE_URL": empty_database})
    try:
        idle, peak = await parallel_downloads_peak_rss(server, var_dir, PATH, size, sha256)
    finally:
        server.stop()
    assert peak - idle < MAX_RSS_GROWTH_BYTES, server.log()


@pytest.mark.slow
async def test_twelve_downloads_of_a_64_mb_azure_glb_keep_the_api_memory_flat(tmp_path, empty_database, azurite):
    container = f"memory-{uuid.uuid4().hex[:12]}"
    size = 64 * 1024 * 1024
    data = random.Random(size).randbytes(size)
    store = AzureBlobStore(azurite, container)
    try:
        await store.put(PATH, data, GLB)
    finally:
        await store.close()
    sha256 = hashlib.sha256(data).hexdigest()
    del data
    var_dir = str(tmp_path / "var")
    server = ServerProcess(var_dir, "--role", "api", "--no-seed", env={
        "DATABASE_URL": empty_database, "AZURE_STORAGE_CONNECTION_STRING": azurite,
        "AZURE_STORAGE_CONTAINER": container})
    try:
        idle, peak = await parallel_downloads_peak_rss(server, var_dir, PATH, size, sha256)
    finally:
        server.stop()
    assert peak - idle < MAX_RSS_GROWTH_BYTES, server.log()

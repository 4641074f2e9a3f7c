"""The blob storage suite. Tests taking `blob_store` run against both backends: local files
and Azure Blob Storage (a real Azurite, see `fixtures_storage.py`)."""
from __future__ import annotations

import asyncio
import os
import stat
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from azure.storage.blob.aio import BlobServiceClient

from configurator_addon.errors import BlobNotFoundError, BlobUrlExpired, BlobUrlSignatureInvalid, StorageError
from configurator_addon.settings import Settings
from configurator_addon.storage import (
    AzureBlobStore,
    LocalBlobStore,
    create_blob_store,
    glb_blob_path,
    template_blob_path,
    validate_blob_path,
)
from configurator_addon.storage.azure import IMMUTABLE_CACHE_CONTROL
from configurator_addon.storage.blob_store import BlobInfo, validate_blob_prefix
from configurator_addon.storage.signing import BlobUrlSigner, expiry_after, load_or_create_key
from conftest import free_port
from fixtures_storage import azurite_connection_string

GLB = "model/gltf-binary"

INVALID_PATHS = [
    "../x",
    "a/../b",
    "/abs",
    "a//b",
    "a/./b",
    ".",
    "..",
    "",
    "a/",
    "with space.glb",
    "a\\b",
    "tab\there",
    "new\nline",
    "ümlaut",
    "a" * 1025,
]


# --- path rules --------------------------------------------------------------------------


def test_path_helpers_build_client_prefixed_paths():
    assert template_blob_path("acme", "chair", 3) == "acme/templates/chair/3.blend"
    assert glb_blob_path("acme", "9f86d081884c7d65") == "acme/glb/9f86d081884c7d65.glb"


@pytest.mark.parametrize("component", ["../x", "a/b", "..", "", "x y"])
def test_path_helpers_refuse_unsafe_components(component):
    with pytest.raises(ValueError):
        template_blob_path(component, "chair", 1)
    with pytest.raises(ValueError):
        template_blob_path("acme", component, 1)
    with pytest.raises(ValueError):
        glb_blob_path("acme", component)


def test_valid_paths_are_returned_unchanged():
    for path in ["a", "acme/glb/x.glb", "A-b_c.1/...", "a" * 1024]:
        assert validate_blob_path(path) == path


@pytest.mark.parametrize("path", INVALID_PATHS, ids=repr)
def test_invalid_paths_are_refused(path):
    with pytest.raises(ValueError):
        validate_blob_path(path)


async def test_create_blob_store_picks_backend(tmp_path):
    local = create_blob_store(Settings(var_dir=str(tmp_path)))
    assert isinstance(local, LocalBlobStore)
    assert local.root == os.path.realpath(tmp_path / "blobs")

    azure = create_blob_store(
        Settings(azure_storage_connection_string=azurite_connection_string(1), azure_container="c01")
    )
    assert isinstance(azure, AzureBlobStore)
    assert azure.container_name == "c01"
    await azure.close()


@pytest.mark.parametrize("name", ["ab", "Upper", "a--b", "-ab", "ab-", "a_b", "a" * 64])
def test_azure_store_refuses_invalid_container_names(name):
    with pytest.raises(ValueError):
        AzureBlobStore(azurite_connection_string(1), name)


# --- both stores -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 1000, 3 * 1024 * 1024 + 17], ids=lambda n: f"{n}B")
async def test_put_get_round_trip(blob_store, size):
    data = os.urandom(size)
    await blob_store.put("acme/glb/blob.glb", data, GLB)
    assert await blob_store.get("acme/glb/blob.glb") == data


async def test_put_overwrites(blob_store):
    await blob_store.put("acme/glb/x.glb", b"first version", GLB)
    await blob_store.put("acme/glb/x.glb", b"second", GLB)
    assert await blob_store.get("acme/glb/x.glb") == b"second"


async def test_exists_and_idempotent_delete(blob_store):
    path = "acme/templates/chair/1.blend"
    assert not await blob_store.exists(path)
    await blob_store.put(path, b"BLENDER", "application/octet-stream")
    assert await blob_store.exists(path)
    assert not await blob_store.exists("acme/templates")  # a prefix is not a blob
    await blob_store.delete(path)
    assert not await blob_store.exists(path)
    await blob_store.delete(path)
    await blob_store.delete("never/written.glb")


async def test_get_missing_blob_raises_blob_not_found(blob_store):
    with pytest.raises(BlobNotFoundError):
        await blob_store.get("acme/glb/missing.glb")
    await blob_store.put("acme/glb/present.glb", b"x", GLB)
    with pytest.raises(BlobNotFoundError):
        await blob_store.get("acme/glb/missing.glb")
    with pytest.raises(BlobNotFoundError):
        await blob_store.get("acme/glb")


@pytest.mark.parametrize(
    "path", ["../x", "/abs", "a//b", "a/./b", "with space.glb", "a\\b"], ids=repr
)
async def test_every_operation_refuses_invalid_paths(blob_store, path):
    with pytest.raises(ValueError):
        await blob_store.put(path, b"x", GLB)
    with pytest.raises(ValueError):
        await blob_store.get(path)
    with pytest.raises(ValueError):
        await blob_store.exists(path)
    with pytest.raises(ValueError):
        await blob_store.delete(path)
    with pytest.raises(ValueError):
        await blob_store.url(path)


async def test_url_is_where_a_browser_fetches_the_blob(blob_store):
    data = os.urandom(2048)
    path = "acme/glb/abc123.glb"
    await blob_store.put(path, data, GLB)
    url = await blob_store.url(path, "https://configurator.example")

    if isinstance(blob_store, LocalBlobStore):
        assert url.startswith("https://configurator.example/blobs/acme/glb/abc123.glb?expires=")
        relative = await blob_store.url(path)
        assert relative.startswith("/blobs/acme/glb/abc123.glb?expires=") and "&signature=" in relative
        assert url == "https://configurator.example" + relative
        with open(blob_store.local_file_path(path), "rb") as handle:
            assert handle.read() == data
        return

    assert "sig=" in url and "sp=r" in url
    assert await blob_store.url(path) == url, "a blob's URL is stable, so browsers cache it"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200, await response.text()
            assert await response.read() == data
            assert response.headers["Content-Type"] == GLB
            assert response.headers["Cache-Control"] == IMMUTABLE_CACHE_CONTROL
        # The token only grants reading: it cannot overwrite the blob.
        async with http.put(url, data=b"evil", headers={"x-ms-blob-type": "BlockBlob"}) as response:
            assert response.status == 403
    assert await blob_store.get(path) == data


async def test_check_passes_when_store_is_up(blob_store):
    await blob_store.check()


async def test_concurrent_puts_are_all_readable(blob_store):
    blobs = {f"acme/glb/concurrent-{i}.glb": os.urandom(10_000 + i) for i in range(20)}
    await asyncio.gather(*(blob_store.put(path, data, GLB) for path, data in blobs.items()))
    contents = await asyncio.gather(*(blob_store.get(path) for path in blobs))
    assert contents == list(blobs.values())


async def listed(store, prefix: str = "") -> list[BlobInfo]:
    return [info async for info in store.list_blobs(prefix)]


async def test_list_blobs_gives_every_blob_with_its_last_modified_time(blob_store):
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    paths = ["acme/glb/a.glb", "acme/glb/b.glb", "acme/templates/chair/v1.blend", "other/glb/c.glb"]
    for path in paths:
        await blob_store.put(path, b"x", GLB)
    after = datetime.now(UTC) + timedelta(seconds=1)

    blobs = await listed(blob_store)
    assert [info.path for info in blobs] == sorted(paths), "each blob once, in path order"
    for info in blobs:
        assert info.last_modified.tzinfo is not None
        assert before <= info.last_modified <= after
    path, modified = blobs[0]  # a (path, last_modified) pair
    assert (path, modified) == (blobs[0].path, blobs[0].last_modified)


async def test_list_blobs_gives_only_paths_under_the_prefix(blob_store):
    for path in ["acme/glb/a.glb", "acme/glb/b.glb", "acme/templates/chair/v1.blend", "acme2/glb/c.glb",
                 "other/glb/acme.glb"]:
        await blob_store.put(path, b"x", GLB)

    async def paths(prefix):
        return [info.path for info in await listed(blob_store, prefix)]

    assert await paths("acme/glb/") == ["acme/glb/a.glb", "acme/glb/b.glb"]
    assert await paths("acme/gl") == ["acme/glb/a.glb", "acme/glb/b.glb"]
    assert await paths("acme/") == ["acme/glb/a.glb", "acme/glb/b.glb", "acme/templates/chair/v1.blend"]
    assert await paths("acme") == ["acme/glb/a.glb", "acme/glb/b.glb", "acme/templates/chair/v1.blend",
                                   "acme2/glb/c.glb"]
    assert await paths("acme/glb/a.glb") == ["acme/glb/a.glb"]
    assert await paths("nobody/") == []


async def test_list_blobs_of_an_empty_store_is_empty(blob_store):
    assert await listed(blob_store) == []  # no folder, no container yet
    await blob_store.put("acme/glb/a.glb", b"x", GLB)
    await blob_store.delete("acme/glb/a.glb")
    assert await listed(blob_store) == []
    assert await listed(blob_store, "acme/glb/") == []


@pytest.mark.parametrize("prefix", ["../", "a/../", "/abs", "a//b", "a/./", "with space", "a\\b", "ü"], ids=repr)
async def test_list_blobs_refuses_invalid_prefixes(blob_store, prefix):
    with pytest.raises(ValueError):
        validate_blob_prefix(prefix)
    with pytest.raises(ValueError):
        await listed(blob_store, prefix)


async def test_delete_says_whether_it_removed_a_blob(blob_store):
    await blob_store.put("acme/glb/a.glb", b"x", GLB)
    assert await blob_store.delete("acme/glb/a.glb") is True
    assert await blob_store.delete("acme/glb/a.glb") is False
    assert await blob_store.delete("acme/glb") is False  # a prefix is not a blob


async def test_conditional_delete_removes_a_blob_unchanged_since_it_was_listed(blob_store):
    await blob_store.put("acme/glb/a.glb", b"x", GLB)
    await blob_store.put("acme/glb/b.glb", b"x", GLB)
    (info, _) = await listed(blob_store)
    assert await blob_store.delete(info.path, if_unmodified_since=info.last_modified) is True
    assert [info.path for info in await listed(blob_store)] == ["acme/glb/b.glb"]
    assert await blob_store.delete(info.path, if_unmodified_since=info.last_modified) is False


async def test_conditional_delete_spares_a_blob_written_again_since_it_was_listed(blob_store):
    path = "acme/glb/a.glb"
    await blob_store.put(path, b"old", GLB)
    if isinstance(blob_store, LocalBlobStore):  # listed as old, then written again now
        hour_ago = datetime.now(UTC).timestamp() - 3600
        os.utime(blob_store.local_file_path(path), (hour_ago, hour_ago))
    (listing,) = await listed(blob_store)
    if not isinstance(blob_store, LocalBlobStore):
        await asyncio.sleep(1.1)  # Azure keeps whole seconds
    await blob_store.put(path, b"new", GLB)

    assert await blob_store.delete(path, if_unmodified_since=listing.last_modified) is False
    assert await blob_store.get(path) == b"new"
    (fresh,) = await listed(blob_store)
    assert fresh.last_modified > listing.last_modified
    assert await blob_store.delete(path, if_unmodified_since=fresh.last_modified) is True
    assert not await blob_store.exists(path)


# --- one store ---------------------------------------------------------------------------


async def test_azure_check_raises_storage_error_when_nothing_listens():
    store = AzureBlobStore(azurite_connection_string(free_port()), "unreachable")
    try:
        with pytest.raises(StorageError) as raised:
            await store.check()
        assert not isinstance(raised.value, BlobNotFoundError)
        assert raised.value.recoverable and raised.value.status == 503
    finally:
        await store.close()


async def test_local_check_raises_storage_error_when_root_is_unusable(tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_bytes(b"")
    with pytest.raises(StorageError):
        await LocalBlobStore(str(not_a_directory)).check()


async def test_local_put_leaves_no_temporary_files(tmp_path):
    store = LocalBlobStore(str(tmp_path))
    await store.put("acme/glb/x.glb", b"one", GLB)
    await store.put("acme/glb/x.glb", b"two", GLB)
    assert os.listdir(tmp_path / "acme" / "glb") == ["x.glb"]


async def test_azure_url_is_unsigned_for_a_public_container(azurite):
    container = f"public-{uuid.uuid4().hex}"
    async with BlobServiceClient.from_connection_string(azurite) as service:
        await service.create_container(container, public_access="blob")
    store = AzureBlobStore(azurite, container)
    try:
        await store.put("acme/glb/x.glb", b"public bytes", GLB)
        url = await store.url("acme/glb/x.glb")
        assert "?" not in url
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200
            assert await response.read() == b"public bytes"
    finally:
        await store.close()


async def test_azure_sas_expiry_can_be_a_fixed_time(azurite):
    store = AzureBlobStore(
        azurite, f"test-{uuid.uuid4().hex}", sas_expiry=datetime(2035, 1, 1, tzinfo=UTC)
    )
    try:
        await store.put("acme/glb/x.glb", b"x", GLB)
        assert "se=2035-01-01T00%3A00%3A00Z" in await store.url("acme/glb/x.glb")
    finally:
        await store.close()


async def test_azure_put_recreates_a_container_deleted_behind_its_back(azurite):
    container = f"test-{uuid.uuid4().hex}"
    store = AzureBlobStore(azurite, container)
    try:
        await store.put("acme/glb/a.glb", b"a", GLB)
        async with BlobServiceClient.from_connection_string(azurite) as service:
            await service.delete_container(container)
        await store.put("acme/glb/b.glb", b"b", GLB)
        assert await store.get("acme/glb/b.glb") == b"b"
    finally:
        await store.close()


async def test_local_list_blobs_skips_what_is_not_a_blob(tmp_path):
    store = LocalBlobStore(str(tmp_path / "blobs"))
    await store.put("acme/glb/a.glb", b"x", GLB)
    folder = tmp_path / "blobs" / "acme" / "glb"
    (folder / ".tmpwrite.part").write_bytes(b"half")  # a write in progress
    (folder / "with space.glb").write_bytes(b"x")  # not a valid blob path
    outside = tmp_path / "outside.glb"
    outside.write_bytes(b"secret")
    os.symlink(outside, folder / "link.glb")
    os.symlink(tmp_path, tmp_path / "blobs" / "acme" / "escape")

    assert [info.path for info in await listed(store)] == ["acme/glb/a.glb"]
    with pytest.raises(ValueError):
        await listed(store, "acme/escape/")  # a folder that resolves outside the store


async def test_local_list_blobs_reports_file_modification_times(tmp_path):
    store = LocalBlobStore(str(tmp_path))
    await store.put("acme/glb/a.glb", b"x", GLB)
    when = datetime(2020, 5, 17, 12, 30, 15, 250000, tzinfo=UTC)
    os.utime(store.local_file_path("acme/glb/a.glb"), (when.timestamp(), when.timestamp()))
    assert await listed(store) == [BlobInfo("acme/glb/a.glb", when)]
    assert await store.delete("acme/glb/a.glb", if_unmodified_since=when - timedelta(microseconds=1)) is False
    assert await store.delete("acme/glb/a.glb", if_unmodified_since=when) is True


async def test_local_list_blobs_reads_large_folders_in_batches(tmp_path, monkeypatch):
    from configurator_addon.storage import local

    monkeypatch.setattr(local, "_LIST_BATCH", 3)
    store = LocalBlobStore(str(tmp_path))
    paths = [f"acme/glb/{i:02d}.glb" for i in range(10)]
    for path in paths:
        await store.put(path, b"x", GLB)
    assert [info.path for info in await listed(store)] == paths


# --- reading in pieces -------------------------------------------------------------------


async def streamed(store, path: str, offset: int = 0, length: int | None = None) -> list[bytes]:
    return [bytes(piece) async for piece in store.stream(path, offset, length)]


async def test_size_and_stream_read_a_blob_in_bounded_pieces(blob_store):
    from configurator_addon.storage.blob_store import STREAM_CHUNK_BYTES

    size = 2 * STREAM_CHUNK_BYTES + 1001
    data = os.urandom(size)
    await blob_store.put("acme/glb/big.glb", data, GLB)
    assert await blob_store.size("acme/glb/big.glb") == size

    pieces = await streamed(blob_store, "acme/glb/big.glb")
    assert b"".join(pieces) == data
    assert len(pieces) >= 3 and max(map(len, pieces)) <= STREAM_CHUNK_BYTES
    for offset, length in [(0, 1), (10, 100), (STREAM_CHUNK_BYTES - 5, 10), (size - 1, 1), (0, size),
                           (123, None), (size, 0), (size, None)]:
        pieces = await streamed(blob_store, "acme/glb/big.glb", offset, length)
        expected = data[offset:] if length is None else data[offset:offset + length]
        assert b"".join(pieces) == expected, (offset, length)
        assert all(0 < len(piece) <= STREAM_CHUNK_BYTES for piece in pieces)


async def test_size_and_stream_of_a_small_and_an_empty_blob(blob_store):
    await blob_store.put("acme/glb/small.glb", b"glTF", GLB)
    await blob_store.put("acme/glb/empty.glb", b"", GLB)
    assert (await blob_store.size("acme/glb/small.glb"), await blob_store.size("acme/glb/empty.glb")) == (4, 0)
    assert await streamed(blob_store, "acme/glb/small.glb", 1) == [b"lTF"]
    assert await streamed(blob_store, "acme/glb/empty.glb") == []


async def test_stream_past_the_end_of_a_blob_is_a_storage_error(blob_store):
    await blob_store.put("acme/glb/small.glb", b"0123456789", GLB)
    for offset, length in [(5, 6), (10, 1), (20, 5)]:
        with pytest.raises(StorageError) as raised:
            await streamed(blob_store, "acme/glb/small.glb", offset, length)
        assert not isinstance(raised.value, BlobNotFoundError)


async def test_size_and_stream_of_a_missing_blob_raise_blob_not_found(blob_store):
    for _ in range(2):  # before the container or folder exists, and after
        with pytest.raises(BlobNotFoundError):
            await blob_store.size("acme/glb/missing.glb")
        with pytest.raises(BlobNotFoundError):
            await streamed(blob_store, "acme/glb/missing.glb")
        with pytest.raises(BlobNotFoundError):
            await blob_store.size("acme/glb")  # a prefix is not a blob
        with pytest.raises(BlobNotFoundError):
            await streamed(blob_store, "acme/glb", 0, 10)
        await blob_store.put("acme/glb/present.glb", b"x", GLB)
    for path in ["../x", "a//b", "with space.glb"]:
        with pytest.raises(ValueError):
            await blob_store.size(path)
        with pytest.raises(ValueError):
            await streamed(blob_store, path)


async def test_azure_stream_never_mixes_two_versions_of_a_blob(azurite, monkeypatch):
    from configurator_addon.storage import azure

    monkeypatch.setattr(azure, "STREAM_CHUNK_BYTES", 4)
    store = AzureBlobStore(azurite, f"test-{uuid.uuid4().hex}")
    try:
        await store.put("acme/glb/x.glb", b"old version!", GLB)
        pieces = store.stream("acme/glb/x.glb")
        assert await anext(pieces) == b"old "
        await store.put("acme/glb/x.glb", b"new version!", GLB)
        with pytest.raises(StorageError, match="written again"):
            await anext(pieces)
        await pieces.aclose()
        assert await streamed(store, "acme/glb/x.glb") == [b"new ", b"vers", b"ion!"]
    finally:
        await store.close()


# --- signed URLs -------------------------------------------------------------------------


def url_query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


async def test_the_signing_key_is_made_once_with_mode_0600_and_kept(tmp_path):
    settings = Settings(var_dir=str(tmp_path / "var"))
    first = create_blob_store(settings)
    key_file = tmp_path / "var" / "blob-url.key"
    assert not key_file.exists(), "made on first use, not before"
    url = await first.url("acme/glb/x.glb")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    key = key_file.read_bytes()
    assert len(key) == 32
    again = create_blob_store(settings)  # another process of the same server, or after a restart
    assert await again.url("acme/glb/x.glb") == url
    query = url_query(url)
    await again.url_signer.verify("acme/glb/x.glb", query["expires"], query["signature"])
    assert key_file.read_bytes() == key
    assert [name for name in os.listdir(tmp_path / "var") if name != "blobs"] == ["blob-url.key"]  # no temporaries
    # A store made without a signer keeps its key beside its root: the var dir.
    assert await LocalBlobStore(settings.blob_dir).url("acme/glb/x.glb") == url


async def test_another_key_signs_differently(tmp_path):
    one = LocalBlobStore(str(tmp_path / "one" / "blobs"))
    other = LocalBlobStore(str(tmp_path / "other" / "blobs"))
    url = await one.url("acme/glb/x.glb")
    assert url_query(url)["signature"] != url_query(await other.url("acme/glb/x.glb"))["signature"]
    query = url_query(url)
    with pytest.raises(BlobUrlSignatureInvalid):
        await other.url_signer.verify("acme/glb/x.glb", query["expires"], query["signature"])


async def test_a_key_can_be_passed_in():
    key = bytes(range(32))
    url = await BlobUrlSigner(key).url("acme/glb/x.glb", expires=2_000_000_000)
    assert url == await BlobUrlSigner(key).url("acme/glb/x.glb", expires=2_000_000_000)
    assert url != await BlobUrlSigner(bytes(32)).url("acme/glb/x.glb", expires=2_000_000_000)
    with pytest.raises(ValueError):
        BlobUrlSigner(b"too short")


def test_a_key_made_meanwhile_by_another_process_is_kept(tmp_path, monkeypatch):
    """Two processes starting at once both find no key; the one that writes second must take
    the first one's key, not replace it (URLs the first signed would stop working)."""
    from configurator_addon.storage import signing

    key_file = tmp_path / "blob-url.key"
    theirs = os.urandom(32)
    real_read = signing._read_key

    def not_there_yet(path):  # the other process writes its key just after this one looked
        monkeypatch.setattr(signing, "_read_key", real_read)
        key_file.write_bytes(theirs)
        raise FileNotFoundError(path)

    monkeypatch.setattr(signing, "_read_key", not_there_yet)
    assert load_or_create_key(str(key_file)) == theirs
    assert key_file.read_bytes() == theirs
    assert os.listdir(tmp_path) == ["blob-url.key"]


def test_a_damaged_key_file_is_a_storage_error(tmp_path):
    (tmp_path / "blob-url.key").write_bytes(b"short")
    with pytest.raises(StorageError, match="32 bytes"):
        load_or_create_key(str(tmp_path / "blob-url.key"))


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_the_same_blob_gets_the_same_url_within_one_window(tmp_path):
    clock = Clock(1_800_000_000 + 1)  # a multiple of 900 s, plus one second
    store = LocalBlobStore(str(tmp_path / "blobs"),
                           url_signer=BlobUrlSigner(key_file=str(tmp_path / "key"), ttl_seconds=3600, clock=clock))
    first = await store.url("acme/glb/x.glb")
    clock.now += 899  # the window's last second
    assert await store.url("acme/glb/x.glb") == first
    clock.now += 1  # the next one
    later = await store.url("acme/glb/x.glb")
    assert later != first
    assert int(url_query(later)["expires"]) - int(url_query(first)["expires"]) == 900
    assert await store.url("acme/glb/y.glb") != later.replace("x.glb", "y.glb")  # the path is signed


@pytest.mark.parametrize("ttl", [1, 7, 60, 3600, 86_400])
def test_an_expiry_is_at_least_the_ttl_away_and_at_most_a_quarter_more(ttl):
    for now in (1_800_000_000, 1_800_000_001.5, 1_800_000_899, 1_234_567_891):
        expires = expiry_after(now, ttl)
        assert ttl <= expires - now <= ttl + max(1, ttl // 4), (now, ttl)
        assert expires % max(1, ttl // 4) == 0


async def test_verify_refuses_an_expired_url_only_when_it_is_genuine(tmp_path):
    clock = Clock(1_800_000_000)
    signer = BlobUrlSigner(key_file=str(tmp_path / "key"), ttl_seconds=60, clock=clock)
    query = url_query(await signer.url("acme/glb/x.glb"))
    await signer.verify("acme/glb/x.glb", query["expires"], query["signature"])
    clock.now = int(query["expires"]) - 1
    await signer.verify("acme/glb/x.glb", query["expires"], query["signature"])
    clock.now = int(query["expires"])
    with pytest.raises(BlobUrlExpired):
        await signer.verify("acme/glb/x.glb", query["expires"], query["signature"])
    with pytest.raises(BlobUrlSignatureInvalid):  # altered and expired: the alteration is what counts
        await signer.verify("acme/glb/y.glb", query["expires"], query["signature"])
    for expires, signature in ((None, query["signature"]), (query["expires"], None), (None, None)):
        with pytest.raises(BlobUrlSignatureInvalid):
            await signer.verify("acme/glb/x.glb", expires, signature)


def test_the_url_lifetime_is_a_setting():
    assert Settings().blob_url_ttl_seconds == 3600
    assert Settings.from_env({"BLOB_URL_TTL_SECONDS": "600"}).blob_url_ttl_seconds == 600
    assert Settings.from_env({}).blob_url_ttl_seconds == 3600


async def test_both_stores_follow_the_url_lifetime_setting(tmp_path):
    settings = Settings(var_dir=str(tmp_path), blob_url_ttl_seconds=600)
    local = create_blob_store(settings)
    lifetime = int(url_query(await local.url("acme/glb/x.glb"))["expires"]) - time.time()
    assert 600 - 5 <= lifetime <= 750 + 5
    azure = create_blob_store(replace(settings, azure_storage_connection_string=azurite_connection_string(1)))
    try:
        assert azure.sas_expiry == timedelta(seconds=600)
        assert azure.url_signer.ttl_seconds == 600
        assert azure.url_signer.key_file == settings.blob_url_key_file
    finally:
        await azure.close()


async def test_azure_sas_lasts_the_url_lifetime_rounded_up_to_a_quarter_of_it(azurite):
    store = AzureBlobStore(azurite, f"test-{uuid.uuid4().hex}", sas_expiry=timedelta(seconds=3600))
    try:
        await store.put("acme/glb/x.glb", b"x", GLB)
        before = datetime.now(UTC)
        url = await store.url("acme/glb/x.glb")
        expires = datetime.fromisoformat(url_query(url)["se"].replace("Z", "+00:00"))
        assert timedelta(seconds=3600 - 5) <= expires - before <= timedelta(seconds=4500 + 5)
        assert expires.timestamp() % 900 == 0
    finally:
        await store.close()

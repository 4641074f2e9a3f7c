"""Blob store on Azure Blob Storage (`azure.storage.blob.aio`); Azurite in tests.

The container is created (private) on first use. Browsers fetch blobs straight from Azure:
`url()` returns the blob URL, signed with a read-only SAS token when the container is
private. SDK and transport errors become `StorageError`; a missing blob on `get` becomes
`BlobNotFoundError`. Listing a container that does not exist yet lists nothing; a delete with
`if_unmodified_since` is conditional on the service's side (If-Unmodified-Since), so a blob
written again after it was listed is never removed. `stream` downloads a blob as a series of
ranged GETs of `STREAM_CHUNK_BYTES` each, all conditional on the blob's Azure ETag at the
first one, so a large blob is never held in memory whole and never mixes two versions.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import aiohttp
from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobSasPermissions, ContentSettings, generate_blob_sas
from azure.storage.blob.aio import BlobServiceClient, ContainerClient, ExponentialRetry

from ..errors import BlobNotFoundError, BlobPathError, StorageError
from .blob_store import (
    IMMUTABLE_CACHE_CONTROL,
    STREAM_CHUNK_BYTES,
    BlobInfo,
    validate_blob_path,
    validate_blob_prefix,
)
from .signing import DEFAULT_TTL_SECONDS, BlobUrlSigner, expiry_after

# Blob contents never change under a path (templates are versioned, GLBs keyed by content),
# so browsers and CDNs may cache them for good.

DEFAULT_SAS_LIFETIME = timedelta(seconds=DEFAULT_TTL_SECONDS)  # BLOB_URL_TTL_SECONDS
# How long the SAS in a stored GLB's texture URIs lasts, from a fixed date (so every worker
# signs a texture alike and the GLB's bytes stay deterministic): longer than any GLB is kept.
LASTING_SAS = timedelta(days=3653)

# Azure's container naming rule; checked up front because the service's 400 for a bad name
# would otherwise surface as a "transient" StorageError on every request.
_CONTAINER_NAME = re.compile(r"(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")


def _client_options() -> dict:
    # The SDK's default retry backs off 15 s, 18 s, 24 s: a request would hang for a minute
    # before failing. Here two retries after about 1.5 s and 2.25 s (±0.25 s), and short
    # timeouts: with the storage refusing connections, a request that needs it fails within
    # about 4 s (with 3 retries of 1 + 2^n s and the SDK's ±3 s jitter, about 17 s), so the
    # API answers 503 while the outage lasts rather than after it. Waiting longer is the
    # callers' choice: the worker holds its finished model through an outage
    # (jobs/retrying.py), the job queue retries the rest.
    return {
        "retry_policy": ExponentialRetry(initial_backoff=0, increment_base=1.5, retry_total=2,
                                         random_jitter_range=0.25),
        "connection_timeout": 5,
        "read_timeout": 20,
    }


# A readiness probe must answer quickly rather than retry.
_PROBE_OPTIONS = {"retry_total": 0, "connection_timeout": 3, "read_timeout": 5}


class AzureBlobStore:
    def __init__(
        self,
        connection_string: str,
        container: str,
        *,
        sas_expiry: timedelta | datetime = DEFAULT_SAS_LIFETIME,
        url_signer: BlobUrlSigner | None = None,
    ):
        """`sas_expiry` is how long signed URLs stay valid (a `timedelta` from the moment of
        signing, rounded up like `signing.expiry_after`) or until when (an aware `datetime`).
        `url_signer` verifies this server's own `/blobs/…` URLs of the blobs (the route serves
        this store too); without one, that route refuses every request for them."""
        if not _CONTAINER_NAME.fullmatch(container):
            raise ValueError(
                f"invalid Azure container name {container!r}: 3-63 lowercase letters, digits "
                "and single hyphens, starting and ending with a letter or digit"
            )
        self.container_name = container
        self.sas_expiry = sas_expiry
        self.url_signer = url_signer
        self._service = BlobServiceClient.from_connection_string(connection_string, **_client_options())
        self._container: ContainerClient = self._service.get_container_client(container)
        self._container_lock = asyncio.Lock()
        self._container_ready = False
        self._container_is_public = False

    async def put(self, path: str, data: bytes, content_type: str) -> None:
        blob = self._container.get_blob_client(validate_blob_path(path))
        settings = ContentSettings(content_type=content_type, cache_control=IMMUTABLE_CACHE_CONTROL)
        with _storage_errors("write", path):
            await self._ensure_container()
            try:
                await blob.upload_blob(bytes(data), overwrite=True, content_settings=settings)
            except ResourceNotFoundError:
                # The container was deleted since we made sure of it: create it again.
                await self._ensure_container(recheck=True)
                await blob.upload_blob(bytes(data), overwrite=True, content_settings=settings)

    async def get(self, path: str) -> bytes:
        blob = self._container.get_blob_client(validate_blob_path(path))
        with _storage_errors("read", path, missing_means_blob_not_found=True):
            downloader = await blob.download_blob()
            return await downloader.readall()

    async def exists(self, path: str) -> bool:
        blob = self._container.get_blob_client(validate_blob_path(path))
        with _storage_errors("look up", path):
            return await blob.exists()

    async def size(self, path: str) -> int:
        blob = self._container.get_blob_client(validate_blob_path(path))
        with _storage_errors("look up", path, missing_means_blob_not_found=True):
            return (await blob.get_blob_properties()).size

    async def stream(self, path: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        blob = self._container.get_blob_client(validate_blob_path(path))
        end = None if length is None else offset + length
        version: dict = {}  # after the first piece: only the same version of the blob
        position = offset
        while end is None or position < end:
            want = STREAM_CHUNK_BYTES if end is None else min(STREAM_CHUNK_BYTES, end - position)
            with _storage_errors("read", path, missing_means_blob_not_found=True):
                try:
                    downloader = await blob.download_blob(offset=position, length=want, **version)
                    piece = await downloader.readall()
                except ResourceModifiedError as exc:
                    raise StorageError(f"blob {path} was written again while it was read") from exc
                except HttpResponseError as exc:
                    if exc.status_code != 416:
                        raise
                    piece = b""  # the range starts at or past the blob's end
            if not version and piece:
                version = {"etag": downloader.properties.etag, "match_condition": MatchConditions.IfNotModified}
            if piece:
                position += len(piece)
                yield piece
            if len(piece) < want:  # the blob's end
                if end is not None:
                    raise StorageError(f"blob {path} ended {end - position} bytes before the range asked for")
                return

    async def delete(self, path: str, *, if_unmodified_since: datetime | None = None) -> bool:
        blob = self._container.get_blob_client(validate_blob_path(path))
        conditions = {} if if_unmodified_since is None else {"if_unmodified_since": if_unmodified_since}
        with _storage_errors("delete", path):
            try:
                await blob.delete_blob(delete_snapshots="include", **conditions)
            except ResourceNotFoundError:
                return False
            except ResourceModifiedError:
                return False  # written again since it was listed
            return True

    async def list_blobs(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        validate_blob_prefix(prefix)
        with _storage_errors("list blobs under", prefix or "(all)"):
            try:
                async for blob in self._container.list_blobs(name_starts_with=prefix or None):
                    try:
                        path = validate_blob_path(blob.name)
                    except BlobPathError:
                        continue  # not a blob this store wrote
                    yield BlobInfo(path, blob.last_modified)
            except ResourceNotFoundError:
                return  # no container yet, so no blobs

    async def url(self, path: str, base_url: str | None = None) -> str:
        """The blob's URL, read-only signed unless the container is public. `base_url` is
        ignored: browsers fetch from Azure, not from this server."""
        blob = self._container.get_blob_client(validate_blob_path(path))
        with _storage_errors("sign a URL for", path):
            await self._ensure_container()
        if self._container_is_public:
            return blob.url
        return f"{blob.url}?{self._read_only_sas(path)}"

    async def lasting_query(self, path: str) -> str:
        """A read-only SAS of `path` that lasts `LASTING_SAS`, "" for a public container: a
        stored GLB's textures are read from Azure beside it (their relative URIs resolve
        against the GLB's own Azure URL) for as long as the GLB is kept."""
        validate_blob_path(path)
        with _storage_errors("sign a URL for", path):
            await self._ensure_container()
        if self._container_is_public:
            return ""
        return self._read_only_sas(path, expiry=datetime(2026, 1, 1, tzinfo=UTC) + LASTING_SAS)

    async def check(self) -> None:
        with _storage_errors("reach container", self.container_name):
            await self._ensure_container(recheck=True, **_PROBE_OPTIONS)

    async def close(self) -> None:
        await self._service.close()

    async def _ensure_container(self, recheck: bool = False, **request_options) -> None:
        """Create the container if missing and learn whether it is publicly readable."""
        if self._container_ready and not recheck:
            return
        async with self._container_lock:
            if self._container_ready and not recheck:
                return
            try:
                properties = await self._container.get_container_properties(**request_options)
                self._container_is_public = properties.public_access is not None
            except ResourceNotFoundError:
                try:
                    await self._container.create_container(**request_options)
                except ResourceExistsError:
                    pass  # another process created it in the meantime
                self._container_is_public = False
            self._container_ready = True

    def _read_only_sas(self, path: str, expiry: datetime | timedelta | None = None) -> str:
        # The SDK parsed the account name and key out of the connection string.
        account_key = getattr(self._service.credential, "account_key", None)
        if not account_key:
            raise StorageError(
                "cannot sign blob URLs: the storage connection string has no AccountKey "
                "and the container is private"
            )
        expiry = expiry or self.sas_expiry
        if isinstance(expiry, timedelta):
            # Rounded up to a window of a quarter of the lifetime, so a blob's URL stays the
            # same through the window: browsers key their cache by URL, and the blobs are
            # served as immutable.
            seconds = max(1, int(expiry.total_seconds()))
            expiry = datetime.fromtimestamp(expiry_after(time.time(), seconds), UTC)
        return generate_blob_sas(
            account_name=self._service.account_name,
            container_name=self.container_name,
            blob_name=path,
            account_key=account_key,
            permission=BlobSasPermissions(read=True),
            expiry=expiry,
        )


@contextlib.contextmanager
def _storage_errors(action: str, path: str, missing_means_blob_not_found: bool = False) -> Iterator[None]:
    try:
        yield
    except ResourceNotFoundError as exc:
        if missing_means_blob_not_found:
            raise BlobNotFoundError(f"blob not found: {path}") from exc
        raise StorageError(f"Azure blob storage could not {action} {path}: {_summary(exc)}") from exc
    except (TimeoutError, AzureError, aiohttp.ClientError, OSError) as exc:
        raise StorageError(f"Azure blob storage could not {action} {path}: {_summary(exc)}") from exc


def _summary(exc: BaseException) -> str:
    # Azure error messages run to many lines of headers and XML; the first one says it.
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__

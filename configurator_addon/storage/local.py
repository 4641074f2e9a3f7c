"""Blob store on the local filesystem: the default when no Azure connection string is set.

Blobs are plain files under `root`, served by the app under `/blobs/{path}` (the HTTP layer
resolves them with `local_file_path` and sends them from the file with sendfile). `url()`
hands out signed URLs that expire, made by `url_signer` (`signing.BlobUrlSigner`), which the
route verifies them with. File I/O runs in worker threads so the event loop never blocks on
the disk; `stream` reads a blob piece by piece.

A blob's last-modified time is its file's mtime. Listing skips what is not a blob: the
temporary files of writes in progress (`.*.part`), symbolic links, and names that are not
valid blob paths. Deleting leaves the emptied folders in place (a concurrent `put` may be
about to write into them).
"""
from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

from ..errors import BlobNotFoundError, BlobPathError, StorageError
from ..files import write_atomically
from .blob_store import STREAM_CHUNK_BYTES, BlobInfo, validate_blob_path, validate_blob_prefix
from .signing import KEY_FILE_NAME, BlobUrlSigner

_LIST_BATCH = 1000  # entries read per trip to a worker thread while listing


class LocalBlobStore:
    def __init__(self, root: str, *, url_signer: BlobUrlSigner | None = None):
        """`url_signer` signs the URLs `url()` gives; by default with the key kept in
        `blob-url.key` beside `root` (the var dir, for the store `create_blob_store` makes)."""
        self.root = os.path.realpath(root)
        self.url_signer = url_signer or BlobUrlSigner(
            key_file=os.path.join(os.path.dirname(self.root), KEY_FILE_NAME))

    def local_file_path(self, path: str) -> str:
        """The file holding blob `path`; always inside `root`. The file may not exist."""
        validate_blob_path(path)
        full = os.path.realpath(os.path.join(self.root, *path.split("/")))
        # Path validation already rules out traversal; this also catches symlinks in root.
        if os.path.commonpath([self.root, full]) != self.root or full == self.root:
            raise BlobPathError(f"blob path {path!r} resolves outside the blob directory")
        return full

    async def put(self, path: str, data: bytes, content_type: str) -> None:
        # The content type is not stored: the HTTP layer derives it from the file suffix.
        target = self.local_file_path(path)
        try:
            await asyncio.to_thread(write_atomically, target, bytes(data), durable=True)
        except OSError as exc:
            raise StorageError(f"could not write blob {path}: {exc}") from exc

    async def get(self, path: str) -> bytes:
        target = self.local_file_path(path)
        try:
            return await asyncio.to_thread(_read, target)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise BlobNotFoundError(f"blob not found: {path}") from exc
        except OSError as exc:
            raise StorageError(f"could not read blob {path}: {exc}") from exc

    async def exists(self, path: str) -> bool:
        return await asyncio.to_thread(os.path.isfile, self.local_file_path(path))

    async def size(self, path: str) -> int:
        target = self.local_file_path(path)
        try:
            status = await asyncio.to_thread(os.stat, target)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise BlobNotFoundError(f"blob not found: {path}") from exc
        except OSError as exc:
            raise StorageError(f"could not read blob {path}: {exc}") from exc
        if not stat.S_ISREG(status.st_mode):
            raise BlobNotFoundError(f"blob not found: {path}")
        return status.st_size

    async def stream(self, path: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        target = self.local_file_path(path)
        try:
            handle = await asyncio.to_thread(open, target, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise BlobNotFoundError(f"blob not found: {path}") from exc
        except OSError as exc:
            raise StorageError(f"could not read blob {path}: {exc}") from exc
        try:
            await asyncio.to_thread(handle.seek, offset)
            remaining = length
            while remaining is None or remaining > 0:
                want = STREAM_CHUNK_BYTES if remaining is None else min(STREAM_CHUNK_BYTES, remaining)
                try:
                    piece = await asyncio.to_thread(handle.read, want)
                except OSError as exc:
                    raise StorageError(f"could not read blob {path}: {exc}") from exc
                if not piece:
                    if remaining is not None:
                        raise StorageError(f"blob {path} ended {remaining} bytes before the range asked for")
                    return
                if remaining is not None:
                    remaining -= len(piece)
                yield piece
        finally:
            await asyncio.to_thread(handle.close)

    async def delete(self, path: str, *, if_unmodified_since: datetime | None = None) -> bool:
        target = self.local_file_path(path)
        try:
            return await asyncio.to_thread(_remove, target, if_unmodified_since)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except IsADirectoryError:
            return False  # a "directory" is a path prefix of other blobs, never a blob itself
        except OSError as exc:
            raise StorageError(f"could not delete blob {path}: {exc}") from exc

    async def list_blobs(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        folder = validate_blob_prefix(prefix).rpartition("/")[0]
        start = self.local_file_path(folder) if folder else self.root
        entries = _walk(self.root, start, prefix)
        try:
            while True:
                try:
                    batch = await asyncio.to_thread(_take, entries, _LIST_BATCH)
                except OSError as exc:
                    raise StorageError(f"could not list blobs under {prefix or '(all)'}: {exc}") from exc
                for info in batch:
                    yield info
                if len(batch) < _LIST_BATCH:
                    return
        finally:
            entries.close()

    async def url(self, path: str, base_url: str | None = None) -> str:
        """`/blobs/{path}?expires=…&signature=…` on `base_url`: the same URL all through one
        expiry window, refused by the route once it has expired or if any of it is changed."""
        return await self.url_signer.url(path, base_url)

    async def lasting_query(self, path: str) -> str:
        """`signature=…` that never expires, which the route accepts for textures only."""
        return f"signature={await self.url_signer.lasting_signature(path)}"

    async def check(self) -> None:
        try:
            await asyncio.to_thread(_check_writable_dir, self.root)
        except OSError as exc:
            raise StorageError(f"blob directory {self.root} is not usable: {exc}") from exc

    async def close(self) -> None:
        pass


def _read(target: str) -> bytes:
    with open(target, "rb") as handle:
        return handle.read()


def _modified(status: os.stat_result) -> datetime:
    return datetime.fromtimestamp(status.st_mtime, UTC)


def _remove(target: str, unmodified_since: datetime | None) -> bool:
    if unmodified_since is not None and _modified(os.stat(target)) > unmodified_since:
        return False  # written again since it was listed
    os.remove(target)
    return True


def _raise(error: OSError) -> None:
    if not isinstance(error, FileNotFoundError | NotADirectoryError):  # gone meanwhile: nothing to list
        raise error


def _walk(root: str, start: str, prefix: str) -> Iterator[BlobInfo]:
    for folder, folders, files in os.walk(start, onerror=_raise):
        folders.sort()  # path order, like Azure's listing
        relative = os.path.relpath(folder, root)
        base = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        for name in sorted(files):
            path = base + name
            if not path.startswith(prefix) or (name.startswith(".") and name.endswith(".part")):
                continue
            try:
                validate_blob_path(path)
            except BlobPathError:
                continue  # not a file this store wrote
            try:
                status = os.lstat(os.path.join(folder, name))
            except FileNotFoundError:
                continue  # deleted since the folder was read
            if stat.S_ISREG(status.st_mode):
                yield BlobInfo(path, _modified(status))


def _take(entries: Iterator[BlobInfo], count: int) -> list[BlobInfo]:
    batch = []
    for entry in entries:
        batch.append(entry)
        if len(batch) == count:
            break
    return batch


def _check_writable_dir(root: str) -> None:
    os.makedirs(root, exist_ok=True)
    if not os.access(root, os.W_OK | os.X_OK):
        raise PermissionError(f"no write access to {root}")

"""Blob store on the local filesystem: the default when no Azure connection string is set.

Blobs are plain files under `root`, served by the app under `/blobs/{path}` (the HTTP layer
resolves them with `local_file_path` and sends them with `web.FileResponse`). File I/O runs
in worker threads so the event loop never blocks on the disk.
"""
from __future__ import annotations

import asyncio
import os

from ..errors import BlobNotFoundError, BlobPathError, StorageError
from ..files import write_atomically
from .blob_store import validate_blob_path


class LocalBlobStore:
    def __init__(self, root: str):
        self.root = os.path.realpath(root)

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

    async def delete(self, path: str) -> None:
        target = self.local_file_path(path)
        try:
            await asyncio.to_thread(os.remove, target)
        except (FileNotFoundError, NotADirectoryError):
            pass
        except IsADirectoryError:
            pass  # a "directory" is a path prefix of other blobs, never a blob itself
        except OSError as exc:
            raise StorageError(f"could not delete blob {path}: {exc}") from exc

    async def url(self, path: str, base_url: str | None = None) -> str:
        validate_blob_path(path)
        return f"{(base_url or '').rstrip('/')}/blobs/{path}"

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


def _check_writable_dir(root: str) -> None:
    os.makedirs(root, exist_ok=True)
    if not os.access(root, os.W_OK | os.X_OK):
        raise PermissionError(f"no write access to {root}")

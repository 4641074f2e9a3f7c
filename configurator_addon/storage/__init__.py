"""Blob storage for templates and generated GLBs (ARCHITECTURE §7).

`create_blob_store(settings)` picks the backend: Azure Blob Storage when a connection string
is configured, otherwise local files under `settings.blob_dir`. Either way the URLs handed
out expire after `settings.blob_url_ttl_seconds` (Azure: a SAS; local: `signing`).
"""
from __future__ import annotations

from datetime import timedelta

from ..settings import Settings
from .blob_store import (
    GLB_CONTENT_TYPE,
    IMMUTABLE_CACHE_CONTROL,
    MAX_BLOB_PATH_LENGTH,
    RESULT_CONTENT_TYPES,
    TEXTURE_CONTENT_TYPES,
    BlobStore,
    glb_blob_path,
    is_served_blob,
    is_texture_blob,
    served_content_type,
    template_blob_path,
    texture_blob_path,
    thumbnail_blob_path,
    validate_blob_path,
)
from .local import LocalBlobStore
from .signing import BlobUrlSigner

__all__ = [
    "GLB_CONTENT_TYPE",
    "IMMUTABLE_CACHE_CONTROL",
    "MAX_BLOB_PATH_LENGTH",
    "RESULT_CONTENT_TYPES",
    "TEXTURE_CONTENT_TYPES",
    "AzureBlobStore",
    "BlobStore",
    "BlobUrlSigner",
    "LocalBlobStore",
    "create_blob_store",
    "glb_blob_path",
    "is_served_blob",
    "is_texture_blob",
    "served_content_type",
    "template_blob_path",
    "texture_blob_path",
    "thumbnail_blob_path",
    "validate_blob_path",
]


def create_blob_store(settings: Settings) -> BlobStore:
    # Every process of one server (API, workers) signs and verifies `/blobs/` URLs with the
    # key kept in its var dir.
    signer = BlobUrlSigner(key_file=settings.blob_url_key_file, ttl_seconds=settings.blob_url_ttl_seconds)
    if settings.azure_storage_connection_string:
        from .azure import AzureBlobStore

        return AzureBlobStore(settings.azure_storage_connection_string, settings.azure_container,
                              sas_expiry=timedelta(seconds=settings.blob_url_ttl_seconds), url_signer=signer)
    return LocalBlobStore(settings.blob_dir, url_signer=signer)


def __getattr__(name: str):
    # The Azure SDK is imported only when asked for, so a local-only install (e.g. inside
    # Blender without the SDK) can still use the package.
    if name == "AzureBlobStore":
        from .azure import AzureBlobStore

        return AzureBlobStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Fixtures for blob storage: a real Azurite for the session, and fresh stores per test.

`blob_store` is parametrized over both backends, so every test that uses it runs against
the local filesystem store and against Azure Blob Storage (emulated by Azurite).
"""
from __future__ import annotations

import os
import socket
import time
import uuid

import pytest

import processes
from conftest import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AZURITE_BLOB = os.path.join(ROOT, "tests", "node", "node_modules", ".bin", "azurite-blob")

# Azurite's well-known development account (public, documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

AZURITE_START_TIMEOUT_SECONDS = 30


def azurite_connection_string(port: int) -> str:
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={AZURITE_ACCOUNT};"
        f"AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    """A real Azurite blob service on a free local port; yields its connection string."""
    if not os.access(AZURITE_BLOB, os.X_OK):
        pytest.fail(
            f"Azurite is not installed ({AZURITE_BLOB} is missing). "
            "Run `make node-tools` to install the Node test tools.",
            pytrace=False,
        )
    workdir = tmp_path_factory.mktemp("azurite")
    log_path = os.path.join(workdir, "azurite.log")
    port = free_port()
    # cwd is a scratch folder: Azurite's default --location (for any files it writes).
    process = processes.start(
        [
            AZURITE_BLOB,
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--blobHost", "127.0.0.1",
            "--blobPort", str(port),
            "--silent",
            # With telemetry on, Azurite lingers 10-20 s after SIGTERM flushing it.
            "--disableTelemetry",
        ],
        log_path,
        cwd=str(workdir),
    )
    try:
        deadline = time.monotonic() + AZURITE_START_TIMEOUT_SECONDS
        while not _accepts_connections(port):
            if process.poll() is not None:
                pytest.fail(
                    f"Azurite exited with code {process.returncode} before listening on "
                    f"port {port}:\n{processes.log_tail(log_path, 4000)}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"Azurite did not listen on port {port} within "
                    f"{AZURITE_START_TIMEOUT_SECONDS} s:\n{processes.log_tail(log_path, 4000)}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield azurite_connection_string(port)
    finally:
        processes.stop(process, timeout=10)


@pytest.fixture(params=["local", "azure"])
async def blob_store(request, tmp_path):
    """A fresh, empty store: a temporary folder, or a new container in Azurite."""
    from configurator_addon.storage import AzureBlobStore, LocalBlobStore

    if request.param == "local":
        store = LocalBlobStore(str(tmp_path / "blobs"))
    else:
        connection_string = request.getfixturevalue("azurite")
        store = AzureBlobStore(connection_string, f"test-{uuid.uuid4().hex}")
    try:
        yield store
    finally:
        await store.close()

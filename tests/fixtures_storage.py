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


def azurite_connection_string(port: int, host: str = "127.0.0.1") -> str:
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={AZURITE_ACCOUNT};"
        f"AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://{host}:{port}/{AZURITE_ACCOUNT};"
    )


def _accepts_connections(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start_azurite(workdir: str, host: str = "127.0.0.1"):
    """A real Azurite blob service listening on `host` (default loopback; the bridge's address
    for hosts in network namespaces, `netns.py`) at a free port: (process, connection string).
    Raises RuntimeError, with its log, if it does not listen in time."""
    log_path = os.path.join(workdir, "azurite.log")
    port = free_port()
    # cwd is a scratch folder: Azurite's default --location (for any files it writes).
    process = processes.start(
        [
            AZURITE_BLOB,
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--blobHost", host,
            "--blobPort", str(port),
            "--silent",
            # With telemetry on, Azurite lingers 10-20 s after SIGTERM flushing it.
            "--disableTelemetry",
        ],
        log_path,
        cwd=str(workdir),
    )
    deadline = time.monotonic() + AZURITE_START_TIMEOUT_SECONDS
    while not _accepts_connections(port, host):
        failure = (f"Azurite exited with code {process.returncode} before listening on port {port}"
                   if process.poll() is not None else f"Azurite did not listen on port {port} within "
                   f"{AZURITE_START_TIMEOUT_SECONDS} s" if time.monotonic() > deadline else None)
        if failure:
            processes.stop(process, timeout=10)
            raise RuntimeError(f"{failure}:\n{processes.log_tail(log_path, 4000)}")
        time.sleep(0.1)
    return process, azurite_connection_string(port, host)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    """A real Azurite blob service on a free local port; yields its connection string."""
    if not os.access(AZURITE_BLOB, os.X_OK):
        pytest.fail(
            f"Azurite is not installed ({AZURITE_BLOB} is missing). "
            "Run `make node-tools` to install the Node test tools.",
            pytrace=False,
        )
    try:
        process, connection_string = start_azurite(str(tmp_path_factory.mktemp("azurite")))
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield connection_string
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

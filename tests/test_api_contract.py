"""The OpenAPI document is the contract: schemathesis generates requests from it against a
running server and finds no server error and no response that contradicts the document.
It runs authenticated, with an admin key of the demo client (that every route refuses a
request without a credential is test_access_matrix's). It runs in the test's temporary
folder, where it keeps its `.hypothesis/` and `.schemathesis/`."""
from __future__ import annotations

import asyncio
import os
import sys

import pytest

from fixtures_server import ServerProcess
from processes import run

SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "schemathesis")  # beside our python
CHECKS = ",".join(["not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_schema_conformance", "response_headers_conformance"])


@pytest.mark.slow
async def test_generated_requests_find_no_5xx_and_no_contract_violation(tmp_path, fixture_templates, database):
    # One process doing everything (`--workers 0`): the API beside Blender work.
    server = ServerProcess(str(tmp_path / "var"), "--workers", "0", "--no-seed", env={"DATABASE_URL": database})
    try:
        await server.wait_ready()
        await server.upload(fixture_templates["valid"], "Box")
        done = await asyncio.to_thread(run, [
            SCHEMATHESIS, "run", f"{server.url}/api/v1/openapi.json", "--checks", CHECKS,
            "--header", f"Authorization: {server.credential['Authorization']}",
            "--exclude-path-regex", ".*/events$",  # a WebSocket, not HTTP
            "--max-time", "60", "--seed", "20261125", "--workers", "2",
        ], cwd=str(tmp_path), timeout=600)
    finally:
        server.stop()
    assert done.returncode == 0, done.stdout[-6000:]
    assert " passed" in done.stdout and "failed" not in done.stdout.split("Test cases:")[-1]

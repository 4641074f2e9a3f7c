"""The web configurator in a real headless Chromium, against a real server: pick the cabinet,
change its width, see the new model at that width, save it, reopen the share link.

The screenshots and `timings.json` go to `$CONFIGURATOR_TEST_ARTIFACTS/e2e` when that variable
is set (CI can keep them), else to this test's pytest temporary folder
(`/tmp/pytest-of-<user>/pytest-current/test_configure_a_cabinet_in_th0/e2e`; pytest keeps the
last three runs). Never into the source tree."""
from __future__ import annotations

import asyncio
import json
import os
import shutil

import pytest

from fixtures_server import ServerProcess
from processes import ROOT, run

E2E_SCRIPT = os.path.join(ROOT, "frontend", "e2e", "configurator.e2e.mjs")
ARTIFACTS_VARIABLE = "CONFIGURATOR_TEST_ARTIFACTS"


def artifacts_dir(tmp_path) -> str:
    """Where this test's screenshots go (see the module's docstring); emptied first."""
    base = os.environ.get(ARTIFACTS_VARIABLE)
    folder = os.path.join(os.path.abspath(base), "e2e") if base else str(tmp_path / "e2e")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


@pytest.mark.slow
async def test_configure_a_cabinet_in_the_browser(tmp_path, database):
    assert os.path.isfile(os.path.join(ROOT, "frontend", "dist", "index.html")), "run `make frontend` first"
    assert shutil.which("chromium"), "run `make chromium` first"
    artifacts = artifacts_dir(tmp_path)
    server = ServerProcess(str(tmp_path / "var"), "--workers", "1", env={"DATABASE_URL": database})
    try:
        await server.wait_ready(timeout=240)
        done = await asyncio.to_thread(run, ["node", E2E_SCRIPT, server.url, artifacts], timeout=600)
    finally:
        server.stop()
    assert done.returncode == 0, (f"screenshots in {artifacts}", done.stdout[-4000:], done.stderr[-4000:])
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["ok"] is True
    with open(os.path.join(artifacts, "timings.json"), "w") as handle:
        json.dump(outcome, handle, indent=1)
    screenshots = [name for name in os.listdir(artifacts) if name.endswith(".png")]
    assert len(screenshots) >= 4, screenshots

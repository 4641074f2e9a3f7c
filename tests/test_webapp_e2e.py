"""The web configurator in a real headless Chromium, against a real server: pick the cabinet,
change its width, see the new model at that width, save it, reopen the share link."""
from __future__ import annotations

import asyncio
import json
import os
import shutil

from fixtures_server import ServerProcess
from processes import ROOT, run

E2E_SCRIPT = os.path.join(ROOT, "frontend", "e2e", "configurator.e2e.mjs")
ARTIFACTS = os.path.join(ROOT, "test-artifacts", "e2e")


async def test_configure_a_cabinet_in_the_browser(tmp_path, database):
    assert os.path.isfile(os.path.join(ROOT, "frontend", "dist", "index.html")), "run `make frontend` first"
    assert shutil.which("chromium"), "run `make chromium` first"
    server = ServerProcess(str(tmp_path / "var"), "--workers", "1", env={"DATABASE_URL": database})
    try:
        await server.wait_ready(timeout=240)
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        os.makedirs(ARTIFACTS)
        done = await asyncio.to_thread(run, ["node", E2E_SCRIPT, server.url, ARTIFACTS], timeout=600)
    finally:
        server.stop()
    assert done.returncode == 0, (done.stdout[-4000:], done.stderr[-4000:])
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["ok"] is True
    with open(os.path.join(ARTIFACTS, "timings.json"), "w") as handle:
        json.dump(outcome, handle, indent=1)
    screenshots = [name for name in os.listdir(ARTIFACTS) if name.endswith(".png")]
    assert len(screenshots) >= 4, screenshots

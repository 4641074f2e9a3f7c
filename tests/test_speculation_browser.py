"""Speculative generation in a real headless Chromium against a real server (one worker, the
seeded samples): once the cabinet's exact model is drawn and the page is idle, it makes the
likely next models ahead at background priority, so adding a door and then picking another
finish are each drawn from memory with no request for their models (frontend/e2e/
speculation.e2e.mjs). The same steps in a browser that asks to save data, where the page does
not speculate, do send those requests: the first test can fail."""
from __future__ import annotations

import pytest

from test_webapp_e2e import run_browser_script


@pytest.mark.slow
async def test_a_discrete_change_after_idle_is_drawn_from_memory_without_a_request(tmp_path, database):
    outcome = await run_browser_script(tmp_path, database, "speculation.e2e.mjs", "e2e-speculation", timeout=600)
    assert outcome["mode"] == "on"
    assert [change["source"] for change in outcome["changes"]] == ["memory", "memory"], outcome["changes"]
    assert all(change["requests"] == [] for change in outcome["changes"]), outcome["changes"]
    for report in outcome["speculation"]:
        assert report["ended"] == "done" and report["kept"] > 0 and report["bytes"] > 0, report


@pytest.mark.slow
async def test_without_speculation_the_same_changes_go_to_the_server(tmp_path, database):
    outcome = await run_browser_script(tmp_path, database, "speculation.e2e.mjs", "e2e-no-speculation",
                                       env={"SPECULATION": "off"}, timeout=600)
    assert outcome["mode"] == "off" and outcome["speculation"] == [None, None]
    for change in outcome["changes"]:
        assert change["source"] != "memory", change
        assert any(request.startswith("POST /api/v1/jobs") for request in change["requests"]), change

"""The viewer morphs while a slider is dragged, in real headless Chromium against a real server
(`frontend/e2e/morph.e2e.mjs`): once the cabinet's exact model is shown, the page fetches its
morph GLB in the background; dragging the width from 60 to 85 cm then sends no request at all,
every frame drawn shows the morphed width (measured from the vertices three.js draws, ±1 mm)
and the read-out follows; on release the exact GLB arrives and agrees with the morphed model
mesh by mesh within 0.1 mm. Two typed widths then go through the same path (morphed at once,
exact after). The script's JSON line and screenshots go to the artifacts folder
(`$CONFIGURATOR_TEST_ARTIFACTS/morph` when set)."""
from __future__ import annotations

import json
import os

import pytest

from test_webapp_e2e import run_browser_script


@pytest.mark.slow
async def test_dragging_the_width_morphs_without_requests_then_the_exact_model_replaces_it(tmp_path, database):
    outcome = await run_browser_script(tmp_path, database, "morph.e2e.mjs", "morph", timeout=400,
                                       env={"MORPH_TYPED": "2", "E2E_TIMEOUT_MS": "120000"})
    artifacts = outcome.pop("artifacts")
    with open(os.path.join(artifacts, "outcome.json"), "w") as handle:
        json.dump(outcome, handle, indent=1)
    steps = {step["name"]: step for step in outcome["steps"]}
    drag = steps["drag width 60 → 85 cm"]
    assert drag["requests"] == 0
    assert drag["values"] >= 20, drag  # the width went through most of its 25 steps, each drawn
    assert drag["frames_drawn"] >= drag["values"]
    release = steps["release: the exact model replaces the morphed one"]
    assert release["source"] == "generated"
    assert release["largest_difference_mm"] <= 0.1
    assert len(outcome["exact_ms"]) == 2 and len(outcome["morph_ms"]) >= drag["values"] + 2

"""The configurator's words and states in a real headless Chromium against a real server
(frontend/e2e/words.e2e.mjs), at 1400, 375 and 320 px: the length unit a shopper picks (cm, mm,
inches) reaches the fields, the W×H×D read-out and the rule messages and survives a reload; a
share link whose configuration breaks a rule shows its values, the rule with its fix and a
model marked as the nearest valid configuration; the save dialog lists every option in words
with units and the model's dimensions, and /saved words the saved changes in the same unit."""
from __future__ import annotations

import pytest

from test_webapp_e2e import run_browser_script


@pytest.mark.slow
async def test_units_summary_and_a_share_link_that_breaks_a_rule(tmp_path, database):
    outcome = await run_browser_script(tmp_path, database, "words.e2e.mjs", "words-e2e", timeout=900)
    assert sorted(outcome["widths"], key=int) == ["320", "375", "1400"]
    for width, seen in outcome["widths"].items():
        assert "900 mm" in seen["mm"]["problem"] and seen["mm"]["unit"] == "mm", (width, seen["mm"])
        assert "35.43 in" in seen["inches"]["problem"] and seen["inches"]["unit"] == "in", (width, seen["inches"])
        reloaded = seen["reloaded"]
        # Never an empty viewer: the link's own values break the rule, the nearest valid model is shown and said so.
        assert reloaded["size"] == pytest.approx([1.0, 0.87, 0.58], abs=1e-3), (width, reloaded)
        assert reloaded["note"] == "Nearest valid" and "Showing the nearest valid configuration" in reloaded["banner"]
        assert "35.43 in" in reloaded["banner"]
        summary = seen["summary"]["summary"]
        assert summary["Width"] == "39.37 in" and summary["Handle position"] == "100%", (width, summary)
        assert summary["Dimensions"] == "W 39.4 × H 34.3 × D 22.8 in"
    # Saved once (at 1400 px): /saved words the changes in the shopper's unit too.
    assert {"Width: 39.37 in", "Door count: 2"} <= set(outcome["widths"]["1400"]["summary"]["saved"])

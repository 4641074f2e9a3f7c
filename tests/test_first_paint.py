"""The configurator's first paint in a real headless Chromium (frontend/e2e/first-paint.e2e.mjs):
the page the server sends preloads the product's thumbnails; the thumbnail is shown as the
model's poster, is the page's largest paint, and is painted before the 3D view's canvas is
made (no canvas exists while the poster's image is held back); it stays while the GLB is held
back and is gone once the canvas has drawn the model; a link to another configuration gets
neither preload nor poster (the thumbnail shows the default configuration). A browser without
WebGL fetches no three.js and shows the model's size, measured from its GLB's JSON, as the
drawn model's.

Screenshots go where tests/test_webapp_e2e.py says (`first-paint` under its folder)."""
from __future__ import annotations

import pytest

from test_webapp_e2e import run_browser_script

STEPS = [
    "the cabinet has its thumbnails",
    "the page preloads the poster",
    "no 3D view while the poster is not painted",
    "the poster is the largest paint, then the canvas is made",
    "the poster stays while the model is not drawn",
    "the model is drawn and the poster is gone",
    "a link to another configuration shows no poster",
    "without WebGL the model is measured, not drawn, and no three.js is fetched",
]


@pytest.mark.slow
async def test_the_poster_is_painted_before_the_3d_view_and_gives_way_to_the_model(tmp_path, database):
    outcome = await run_browser_script(tmp_path, database, "first-paint.e2e.mjs", "first-paint", timeout=420)
    steps = {step["name"]: step for step in outcome["steps"]}
    assert list(steps) == STEPS
    assert all(step["ok"] for step in outcome["steps"])
    assert steps["the page preloads the poster"]["preloaded"] == 2  # 256w and 512w
    assert steps["no 3D view while the poster is not painted"]["canvases"] == 0
    poster = steps["the poster is the largest paint, then the canvas is made"]
    assert poster["picked"].endswith(".webp")
    assert poster["canvasMs"] > poster["lcpMs"]
    # The poster shows the product; the drawn model has its edges in the middle of the canvas.
    assert poster["detail"] >= 0.01
    assert steps["the model is drawn and the poster is gone"]["detail"] >= 0.01
    measured = steps["without WebGL the model is measured, not drawn, and no three.js is fetched"]
    drawn = steps["the model is drawn and the poster is gone"]["size"]
    assert measured["size"] == pytest.approx(drawn, abs=1e-6) and measured["size"][0] > 0.2

"""The 3D view and "View in your room" in a real headless Chromium against a real server
(frontend/e2e/view.e2e.mjs): at 1400, 375 and 320 px the view is turned and zoomed from the
keyboard with a visible focus ring, refitted around a range hood whose chimney grew to 100 cm,
left still when it shrinks a little, and a plain wheel over it scrolls the page; as an iPhone
the AR link is Quick Look's, to a USDZ of the configuration on screen that passes Pixar's
ARKit checker; as an Android phone it is a Scene Viewer intent naming the absolute URL of the
GLB on screen.

Screenshots go to `$CONFIGURATOR_TEST_ARTIFACTS/view-e2e` when that variable is set, else to
this test's pytest temporary folder."""
from __future__ import annotations

import os
import zipfile

import pytest
from pxr import UsdGeom

from test_usdz import Read, compliance
from test_webapp_e2e import run_browser_script

#: The configuration the script makes before asking for AR: width 110 cm, chimney 80 cm, the
#: default Pyramid canopy (30 cm) and the hood's 50 cm depth.
AR_SIZE_M = [1.10, 0.30 + 0.80, 0.50]


@pytest.mark.slow
async def test_the_view_turns_zooms_refits_and_opens_in_your_room(tmp_path, database):
    outcome = await run_browser_script(tmp_path, database, "view.e2e.mjs", "view-e2e", timeout=900)
    names = [step["name"] for step in outcome["steps"]]
    for width in (1400, 375, 320):
        assert any(name.startswith(f"{width}px: arrows turn") for name in names), names
        refit = outcome["refit"][str(width)]
        assert refit["extent_100"] <= 1 and refit["camera_moved_at_95"] <= 1e-6, refit

    quick_look = outcome["quick_look"]
    assert quick_look["content_type"] == "model/vnd.usdz+zip"
    assert quick_look["model_size"] == pytest.approx(AR_SIZE_M, abs=1e-3)
    path = os.path.join(outcome["artifacts"], quick_look["file"])
    errors, failed, _ = compliance(path)
    assert (errors, failed) == ([], []), (errors, failed)
    with zipfile.ZipFile(path) as package:  # AR Quick Look reads only stored entries
        assert package.namelist()[0].endswith(".usdc")
        assert all(info.compress_type == zipfile.ZIP_STORED for info in package.infolist())
    read = Read(path)
    assert read.up_axis == UsdGeom.Tokens.y and read.meters_per_unit == 1.0
    # The USDZ is of the configuration on screen, not of the product's defaults.
    assert read.size == pytest.approx(quick_look["model_size"], abs=1e-3)

    scene_viewer = outcome["scene_viewer"]
    assert scene_viewer["file"].startswith("http") and "/blobs/" in scene_viewer["file"]
    assert scene_viewer["model_size"] == pytest.approx(AR_SIZE_M, abs=1e-3)

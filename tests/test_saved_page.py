"""/saved in Chromium (frontend/e2e/saved.e2e.mjs): two cabinets saved with different values
show a placeholder, then their own pictures rendered on the server (srcset of 256 and 512 px
WebP), which differ; renaming one onto the other's name (other case and spaces) is refused at
the field with a free name offered and then accepted; the card keeps its height while the
rename form is open (1400 and 375 px) and its Rename button stays readable; saving from the
configurator under a used name is refused at its field."""
from __future__ import annotations

import uuid

import pytest

from test_webapp_e2e import run_browser_script


@pytest.mark.slow
async def test_saved_pictures_and_names_in_the_browser(tmp_path, database):
    email, password = f"saved-{uuid.uuid4().hex[:10]}@demo.example", f"pw-{uuid.uuid4().hex}"
    outcome = await run_browser_script(tmp_path, database, "saved.e2e.mjs", "saved-e2e",
                                       user=(email, "Sam Saver", password, "member"),
                                       env={"E2E_EMAIL": email, "E2E_PASSWORD": password}, timeout=600)
    steps = {step["name"]: step for step in outcome["steps"]}
    assert list(steps) == [
        "log in and save two cabinets with different values",
        "a placeholder until the picture is made, then the picture itself",
        "each shows its own picture (srcset 256 and 512 px WebP), different from the other",
        "the card keeps its height while renaming; its Rename button stays readable",
        "renaming onto a name already used is refused at the field, with a free name offered",
        "saving from the configurator under a name already used is refused at its field",
    ]
    pictures = steps["each shows its own picture (srcset 256 and 512 px WebP), different from the other"]
    assert pictures["standard"]["bytes"] > 0 and pictures["wide"]["bytes"] > 0
    renamed = steps["renaming onto a name already used is refused at the field, with a free name offered"]
    assert renamed["suggestion"].endswith(" (2)")

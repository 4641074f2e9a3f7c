"""axe-core on every route of the web app in Chromium (frontend/e2e/axe.e2e.mjs), at 320 and
1400 px: the catalogue, the configurator and its Save dialog, the embed page, /saved (this
browser's and an account's, and while renaming), login, forgot and reset password, a page that
does not exist, the account page and each admin section. Zero violations of axe's default
rules (WCAG 2.x A and AA and its best practices) on each; the violations found are in the
script's JSON (`routes`), which bench/accessibility.py reports."""
from __future__ import annotations

import uuid

import pytest

from test_webapp_e2e import run_browser_script


@pytest.mark.slow
async def test_every_route_passes_axe_core_at_320_and_1400_px(tmp_path, database):
    email, password = f"axe-{uuid.uuid4().hex[:10]}@demo.example", f"pw-{uuid.uuid4().hex}"
    outcome = await run_browser_script(tmp_path, database, "axe.e2e.mjs", "axe-e2e",
                                       user=(email, "Axel Admin", password, "admin"),
                                       env={"E2E_EMAIL": email, "E2E_PASSWORD": password}, timeout=600)
    routes = {(entry["route"], entry["width"]): entry["violations"] for entry in outcome["routes"]}
    assert {route for route, _ in routes} == {
        "catalogue", "configurator", "configurator save dialog", "embed", "saved (anonymous)", "login",
        "forgot password", "reset password", "not found", "saved (account)", "saved renaming", "account",
        "admin products", "admin users", "admin keys", "admin audit"}
    assert {width for _, width in routes} == {320, 1400}
    assert {key: violations for key, violations in routes.items() if violations} == {}

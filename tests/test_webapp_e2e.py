"""The web configurator in a real headless Chromium, against a real server: pick the cabinet,
change its width, see the new model at that width, save it, reopen the share link; log in,
see who you are, stay logged in across a reload, save a configuration as yours, log out and
lose access to it; and the admin area.

The screenshots and `timings.json` go to `$CONFIGURATOR_TEST_ARTIFACTS/e2e` when that variable
is set (CI can keep them), else to this test's pytest temporary folder
(`/tmp/pytest-of-<user>/pytest-current/test_configure_a_cabinet_in_th0/e2e`; pytest keeps the
last three runs). Never into the source tree."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid

import pytest

from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_server import ServerProcess
from processes import PYTHON, ROOT, SERVICE_VARIABLES, child_environment, output_tail, run

E2E_SCRIPTS = os.path.join(ROOT, "frontend", "e2e")
ARTIFACTS_VARIABLE = "CONFIGURATOR_TEST_ARTIFACTS"


def artifacts_dir(tmp_path, name: str = "e2e") -> str:
    """Where this test's screenshots go (see the module's docstring); emptied first."""
    base = os.environ.get(ARTIFACTS_VARIABLE)
    folder = os.path.join(os.path.abspath(base), name) if base else str(tmp_path / name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


async def run_browser_script(tmp_path, database, script: str, artifacts_name: str, *, user=None,
                             env: dict | None = None, timeout: float = 300) -> dict:
    """`frontend/e2e/<script>` in headless Chromium against a real server (one worker, seeded)
    on `database`, after making `user` (create_user's arguments) if given; its final JSON line."""
    assert os.path.isfile(os.path.join(ROOT, "frontend", "dist", "index.html")), "run `make frontend` first"
    assert shutil.which("chromium"), "run `make chromium` first"
    artifacts = artifacts_dir(tmp_path, artifacts_name)
    server = ServerProcess(str(tmp_path / "var"), "--workers", "1", env={"DATABASE_URL": database})
    try:
        await server.wait_ready(timeout=240)
        if user is not None:
            await asyncio.to_thread(create_user, database, *user)
        done = await asyncio.to_thread(run, ["node", os.path.join(E2E_SCRIPTS, script), server.url, artifacts],
                                       timeout=timeout, env=env)
    finally:
        server.stop()
    assert done.returncode == 0, (f"screenshots in {artifacts}", done.stdout[-4000:], done.stderr[-4000:])
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["ok"] is True
    outcome["artifacts"] = artifacts
    return outcome


@pytest.mark.slow
async def test_configure_a_cabinet_in_the_browser(tmp_path, database):
    outcome = await run_browser_script(tmp_path, database, "configurator.e2e.mjs", "e2e", timeout=600)
    artifacts = outcome.pop("artifacts")
    with open(os.path.join(artifacts, "timings.json"), "w") as handle:
        json.dump(outcome, handle, indent=1)
    screenshots = [name for name in os.listdir(artifacts) if name.endswith(".png")]
    assert len(screenshots) >= 4, screenshots


def create_user(database: str, email: str, name: str, password: str, role: str = "member") -> str:
    """`server_entry.py admin create-user` for the demo client, on `database`; the user's id."""
    done = subprocess.run(
        [PYTHON, "server_entry.py", "admin", "create-user", "--client", str(DEMO_CLIENT_ID),
         "--email", email, "--name", name, "--role", role],
        cwd=ROOT, env=child_environment({"DATABASE_URL": database}, drop=SERVICE_VARIABLES),
        input=password + "\n", capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, output_tail(done)
    return json.loads(done.stdout)["id"]


@pytest.mark.slow
async def test_log_in_see_who_you_are_and_log_out_in_the_browser(tmp_path, database):
    """Screenshots in `…/login-e2e` (see the module's docstring)."""
    email, name, password = f"e2e-{uuid.uuid4().hex[:10]}@demo.example", "Erin Example", f"pw-{uuid.uuid4().hex}"
    outcome = await run_browser_script(
        tmp_path, database, "login.e2e.mjs", "login-e2e", user=(email, name, password),
        env={"E2E_EMAIL": email, "E2E_PASSWORD": password, "E2E_NAME": name, "E2E_CLIENT": "Demo Manufacturer"})
    assert [step["name"] for step in outcome["steps"]] == [
        'anonymous: "Log in" in the header, me is 401',
        "login page: email focused, visible focus ring",
        "wrong password: the API's detail in an alert, focus on the password",
        "log in: back to /saved, the name in the header",
        "reload: still logged in (cookie session)",
        "a fresh page sends its job with the CSRF token at once",
        "save it: the configuration is the user's, listed on /saved",
        "phone width (375 px): the header fits, the menu names the user",
        "user menu: name, client, Log out",
        'log out: "Log in" again, me is 401',
        "logged out: the saved configuration is out of reach",
    ]


@pytest.mark.slow
async def test_an_admin_makes_an_embed_key_and_invites_a_user_in_the_browser(tmp_path, database):
    """Screenshots in `…/admin-e2e` (see the module's docstring)."""
    email, password = f"admin-{uuid.uuid4().hex[:10]}@demo.example", f"pw-{uuid.uuid4().hex}"
    outcome = await run_browser_script(tmp_path, database, "admin.e2e.mjs", "admin-e2e",
                                       user=(email, "Ada Admin", password, "admin"),
                                       env={"E2E_EMAIL": email, "E2E_PASSWORD": password})
    assert [step["name"] for step in outcome["steps"]] == [
        "anonymous: /admin leads to the login page",
        "log in as an admin: back to the admin area, its products",
        "the user menu links to the admin area",
        "create a publishable key: shown once, copy button, embed code",
        "the key is not shown again",
        "its embed page: the configurator alone, framed only by the allowed origin",
        "revoke the key (confirmed): refused from then on",
        "invite a user: listed as invited",
        "change the invited user's role",
        "remove the invited user (confirmed)",
        "the audit log lists the changes",
        "the versions of a product: its first version, nothing to compare",
    ]

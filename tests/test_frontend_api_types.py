"""The web app's API types (frontend/src/types/openapi.ts) are generated from the server's
OpenAPI document: they must match what the server describes today."""
from __future__ import annotations

import json
import os
import sys

from processes import ROOT, run

FRONTEND = os.path.join(ROOT, "frontend")


def test_frontend_api_types_match_the_openapi_document(tmp_path):
    sys.path.insert(0, ROOT)
    from configurator_addon.server.openapi import openapi_document

    assert os.path.isdir(os.path.join(FRONTEND, "node_modules")), "run `cd frontend && npm ci` first"
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(openapi_document(), indent=2))
    done = run(["npm", "run", "--silent", "api-types:check", "--", str(path)], cwd=FRONTEND, timeout=120)
    assert done.returncode == 0, f"api-types:check failed ({done.returncode}):\n{done.stdout}{done.stderr}"

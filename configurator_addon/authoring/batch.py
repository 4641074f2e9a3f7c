"""Publish a folder of templates from a build script, one file after another:

    blender --background --online-mode --python-expr "
    import glob, configurator_addon.authoring.batch as batch
    for line in batch.report(batch.publish_templates(sorted(glob.glob('products/*.blend')))):
        print(line)"

(with the `bpy` module: `python -c` and `bpy.context.preferences.system.use_online_access
= True` first). The server URL and key come from the arguments or CONFIGURATOR_SERVER_URL
and CONFIGURATOR_API_KEY. A file published as a new product is saved afterwards, so it
remembers its product id and the next run publishes a new version of the same product.
"""
from __future__ import annotations

import bpy

from ..errors import ConfiguratorError
from . import publishing
from .publish_client import answered_status


def publish_templates(paths: list[str], server_url: str = "", api_key: str = "", *, save: bool = True) -> list[dict]:
    """Open and publish each file; returns one outcome per file: `{path, status, result |
    error}` with status "published", "unchanged" (already the current version) or
    "refused" (with the server's or the file's error lines)."""
    url, key = publishing.credentials(server_url, api_key)
    outcomes = []
    for path in paths:
        bpy.ops.wm.open_mainfile(filepath=path, load_ui=False, use_scripts=False)
        try:
            result = publishing.publish_open_file(url, key)
        except ConfiguratorError as error:
            status = "unchanged" if answered_status(error) == 409 else "refused"
            outcomes.append({"path": path, "status": status, "error": error.lines()})
            continue
        if save and result["action"] == "created":
            bpy.ops.wm.save_mainfile()  # so the file remembers its new product id
        outcomes.append({"path": path, "status": "published", "result": result})
    return outcomes


def report(outcomes: list[dict]) -> list[str]:
    lines = []
    for outcome in outcomes:
        if outcome["status"] == "published":
            lines.append(f"{outcome['path']}: " + "\n  ".join(publishing.describe(outcome["result"])))
        else:
            lines.append(f"{outcome['path']}: {outcome['status']}: " + "\n  ".join(outcome["error"]))
    return lines

"""Publish the open file to a server: a new product, or a new version of the product the file
was published as before on that server.

What is uploaded is a saved copy of the open file, packed: the artist's own file is neither
saved nor packed. Packing needs the copy open as the main file, so it runs in a child
Blender, and only when the file uses something from outside it (an unpacked image, font,
sound or volume). The product id each server gave the file is remembered on the product
collection (`cfg_published`, JSON: server URL -> product id), so it is saved with the file
and a later publish replaces that product's template; `cfg_` properties are the contract's
own and never parameters.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

import bpy

from ..engine.blender.self_contained import self_contained_errors
from ..errors import ConfiguratorError
from .open_file import the_product_collection
from .publish_client import PublishClient, answered_status, normalized_server_url

PUBLISHED_PROP = "cfg_published"
EXTERNAL_FILE_CODES = {"EXTERNAL_IMAGE", "EXTERNAL_FONT", "EXTERNAL_SOUND", "EXTERNAL_VOLUME"}
PACK_TIMEOUT_SECONDS = 300
_PACK_CODE = """\
import sys
import bpy
path = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.open_mainfile(filepath=path, load_ui=False, use_scripts=False)
bpy.ops.file.pack_all()
bpy.ops.wm.save_mainfile(filepath=path, compress=False)
"""


class OnlineAccessDisabled(ConfiguratorError):
    code = "ONLINE_ACCESS_DISABLED"
    status = 403
    title = "Online access is disabled"


def require_online_access(server_url: str) -> None:
    """Blender's *Allow Online Access*, as the add-on honours it everywhere
    (`ui/online_access.py`): a server on this machine is reachable while it is off, any
    other is not."""
    from ..ui.online_access import refusal_for_url

    refusal = refusal_for_url(server_url)
    if refusal:
        raise OnlineAccessDisabled(f"{refusal} (from a script: bpy.context.preferences.system.use_online_access "
                                   "= True, or start Blender with --online-mode)")


# -- the remembered product ids ----------------------------------------------------------
def published_ids(product) -> dict[str, str]:
    try:
        found = json.loads(product.get(PUBLISHED_PROP, "") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def published_product_id(product, server_url: str) -> str | None:
    return published_ids(product).get(normalized_server_url(server_url))


def remember_product_id(product, server_url: str, product_id: str | None) -> None:
    ids = published_ids(product)
    server = normalized_server_url(server_url)
    if ids.get(server) == product_id:
        return  # unchanged: leave the file untouched
    if product_id is None:
        ids.pop(server, None)
    else:
        ids[server] = product_id
    if ids:
        product[PUBLISHED_PROP] = json.dumps(ids, sort_keys=True)
    elif PUBLISHED_PROP in product:
        del product[PUBLISHED_PROP]


# -- the packed snapshot -----------------------------------------------------------------
def needs_packing() -> list[str]:
    """Locations of files the open file uses from outside itself."""
    local = [db for db in bpy.data.user_map() if db.library is None]
    return [e.location for e in self_contained_errors(local) if e.code in EXTERNAL_FILE_CODES]


@contextlib.contextmanager
def packed_snapshot(product):
    """Path of a saved, packed copy of the open file (removed afterwards). The copy leaves
    out the remembered product ids: the server knows its own, and an unchanged file then
    gives the same bytes again (which the server answers with 409, already current)."""
    with tempfile.TemporaryDirectory(prefix="configurator-publish-") as scratch:
        path = os.path.join(scratch, "template.blend")
        remembered = product.get(PUBLISHED_PROP)
        if remembered is not None:
            del product[PUBLISHED_PROP]
        try:
            # relative_remap keeps `//textures/…` paths pointing at the same files from here.
            bpy.ops.wm.save_as_mainfile(filepath=path, copy=True, compress=False, relative_remap=True)
        finally:
            if remembered is not None:
                product[PUBLISHED_PROP] = remembered
        if needs_packing():
            _pack_in_child(path)
        yield path


def _pack_in_child(path: str) -> None:
    blender = bpy.app.binary_path  # empty with the bpy module: this Python has bpy then
    if blender:
        command = [blender, "--background", "--factory-startup", "--python-exit-code", "1",
                   "--python-expr", _PACK_CODE, "--", path]
    else:
        command = [sys.executable, "-c", _PACK_CODE, "--", path]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=PACK_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise ConfiguratorError(f"packing the copy took longer than {PACK_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        raise ConfiguratorError("packing the copy failed:\n" + (done.stderr or done.stdout)[-2000:].strip())


# -- publishing --------------------------------------------------------------------------
SERVER_URL_VARIABLE = "CONFIGURATOR_SERVER_URL"
API_KEY_VARIABLE = "CONFIGURATOR_API_KEY"


def credentials(server_url: str = "", api_key: str = "", preferences=None) -> tuple[str, str]:
    """Server URL and API key: what the caller gave, else the add-on's preferences, else the
    environment (CONFIGURATOR_SERVER_URL, CONFIGURATOR_API_KEY: for build machines, where
    a key belongs in the environment rather than in a script)."""
    def pick(given: str, name: str, variable: str) -> str:
        return (given or (getattr(preferences, name, "") if preferences is not None else "")
                or os.environ.get(variable, "")).strip()

    url = pick(server_url, "server_url", SERVER_URL_VARIABLE)
    if not url:
        raise ConfiguratorError("no server URL: set one in the add-on's preferences (or CONFIGURATOR_SERVER_URL)")
    return url, pick(api_key, "api_key", API_KEY_VARIABLE)


def publish_open_file(server_url: str, api_key: str, *, name: str = "", description: str = "",
                      as_new: bool = False, timeout: float = 300) -> dict:
    """Upload the open file; returns what happened as JSON-ready data:
    `{action: "created"|"replaced", server, product_id, name, schema_version,
    previous_schema_version, template_version, compatibility | compatibility_error,
    seconds: {snapshot, upload, compatibility, total}}`.

    Raises `ConfiguratorError`: the server's own error for a refusal (`answered_status` 409
    when the template already is the current version, 422 with the contract errors…)."""
    started = time.perf_counter()
    client = PublishClient(server_url, api_key, timeout=timeout)
    require_online_access(client.server_url)
    product = the_product_collection()
    known_id = None if as_new else published_product_id(product, client.server_url)
    with packed_snapshot(product) as path:
        with open(path, "rb") as handle:
            template = handle.read()
        snapshot_done = time.perf_counter()
        if known_id is None:
            row = client.create_product(name or product.name, description, template)
            previous = None
        else:
            try:
                previous = client.get_product(known_id)["schema_version"]
                row = client.replace_template(known_id, template)
            except ConfiguratorError as error:
                if answered_status(error) == 404:
                    raise ConfiguratorError(
                        f"the product {known_id} this file was published as is not on {client.server_url} "
                        "(deleted, or another client's); publish it as a new product") from None
                raise
    uploaded = time.perf_counter()
    remember_product_id(product, client.server_url, row["id"])
    result = {
        "action": "created" if known_id is None else "replaced",
        "server": client.server_url,
        "product_id": row["id"],
        "name": row["name"],
        "schema_version": row["schema_version"],
        "previous_schema_version": previous,
        "template_version": row["template_version"],
        "template_bytes": len(template),
    }
    if known_id is not None:
        try:
            result["compatibility"] = client.compatibility(row["id"], row["schema_version"])
        except ConfiguratorError as error:
            result["compatibility_error"] = _compatibility_unavailable(error)
    finished = time.perf_counter()
    result["seconds"] = {"snapshot": round(snapshot_done - started, 3), "upload": round(uploaded - snapshot_done, 3),
                         "compatibility": round(finished - uploaded, 3), "total": round(finished - started, 3)}
    return result


def _compatibility_unavailable(error: ConfiguratorError) -> str:
    if answered_status(error) == 404:
        return "this server has no compatibility report (GET …/versions/{n}/compatibility answered 404)"
    return f"the compatibility report failed: {error.detail}"


def describe(result: dict) -> list[str]:
    """The outcome for people, first line first (the operator's report, the panel)."""
    lines = []
    if result["action"] == "created":
        lines.append(f"Published '{result['name']}' as a new product (schema version {result['schema_version']}) "
                     f"in {result['seconds']['total']:.1f} s")
    else:
        lines.append(f"Published '{result['name']}' schema version {result['schema_version']} "
                     f"(was {result['previous_schema_version']}) in {result['seconds']['total']:.1f} s")
    report = result.get("compatibility")
    if report:
        lines.extend(describe_compatibility(report))
    elif result.get("compatibility_error"):
        lines.append(result["compatibility_error"])
    return lines


def describe_compatibility(report: dict) -> list[str]:
    changes = report.get("changes") or []
    breaking = [c for c in changes if c.get("breaking")]
    lines = [f"{len(changes)} change(s) from version {report.get('compared_to')}, {len(breaking)} breaking"
             if changes else f"no parameter changes from version {report.get('compared_to')}"]
    for change in changes:
        mark = "BREAKING " if change.get("breaking") else ""
        lines.append(f"  {mark}{change.get('message') or change_words(change)}")
    configurations = report.get("configurations") or {}
    if configurations:
        lines.append(f"{configurations.get('invalid', 0)} of {configurations.get('total', 0)} saved "
                     "configuration(s) would no longer validate")
    return lines


def change_words(change: dict) -> str:
    return f"{change.get('kind')} {change.get('key')}: {change.get('from')!r} -> {change.get('to')!r}"

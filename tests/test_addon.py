"""The Blender add-on: its extension archive passes Blender's validator, registering is exactly
undone by unregistering, and the authoring operators work on the open file in background mode.

Blender work runs in subprocesses: opening files and registering classes change the state of
the process, which other tests share.
"""
from __future__ import annotations

import glob
import os
import textwrap
import zipfile

import pytest

import glb_geometry as glb
from conftest import free_port
from gltf_validation import validate_glb
from processes import ROOT, last_json_line, output_tail, run_python

TESTS = os.path.join(ROOT, "tests")
EXTENSION_ID = "bl_ext.user_default.configurator"
OUR_OPERATORS = ("add_to_material_group", "add_variant_set", "edit_rules", "export_glb", "inspect_template",
                 "live_link_start", "live_link_stop", "mark_product_collection", "open_web_preview",
                 "preview_apply", "preview_reset", "publish", "save_rules", "select_problem", "server_start",
                 "server_stop")
OUR_PANELS = ("CONFIGURATOR_PT_sidebar", "CONFIGURATOR_PT_parameters", "CONFIGURATOR_PT_problems",
              "CONFIGURATOR_PT_contract_helpers", "CONFIGURATOR_PT_publish", "CONFIGURATOR_PT_live_link")
# What registering adds to bpy.types (PropertyGroups, CONFIGURATOR_PG_*, are registered too but
# not listed there).
OUR_TYPES = {*(f"CONFIGURATOR_OT_{name}" for name in OUR_OPERATORS), *OUR_PANELS,
             "CONFIGURATOR_UL_parameters", "CONFIGURATOR_UL_problems"}
OUR_WINDOW_MANAGER_PROPERTIES = {"configurator_inspection", "configurator_session"}


def _bpy_scripts_dir() -> str:
    import importlib.util

    package_dir = importlib.util.find_spec("bpy").submodule_search_locations[0]
    (scripts,) = glob.glob(os.path.join(package_dir, "*", "scripts"))
    return scripts


SCRIPTS = _bpy_scripts_dir()
VALIDATOR = os.path.join(SCRIPTS, "addons_core", "bl_pkg", "cli", "blender_ext.py")
VALID_TAGS = os.path.join(SCRIPTS, "modules", "_bpy_internal", "extensions", "tags.py")

# Helpers every script run by `run_bpy` may use.
PRELUDE = f"import sys\nsys.path[:0] = [{ROOT!r}, {TESTS!r}]\n" + """
import json
import bpy

def result(value):
    print("RESULT " + json.dumps(value), flush=True)

def stored_inspection():
    text = bpy.context.window_manager.configurator_inspection
    return json.loads(text) if text else None

def snapshot():
    # What registering can add: types, window-manager properties, add-on preferences.
    preferences = [c.bl_idname for c in bpy.types.AddonPreferences.__subclasses__() if c.is_registered]
    return {
        "types": sorted(dir(bpy.types)),
        "window_manager": sorted(p.identifier for p in bpy.types.WindowManager.bl_rna.properties),
        "preferences": sorted(preferences),
    }

def activate_collection(name):
    layer = next(c for c in bpy.context.view_layer.layer_collection.children if c.name == name)
    bpy.context.view_layer.active_layer_collection = layer
"""


def run_bpy(script: str, *args: str, env: dict | None = None, timeout: float = 300):
    """Run `script` in a fresh Python with bpy, after PRELUDE; return what it passed to `result()`."""
    finished = run_python("-c", PRELUDE + textwrap.dedent(script), *args, env=env, timeout=timeout, check=True)
    return last_json_line(finished, prefix="RESULT ")


def build_extension(output_dir) -> str:
    """The linux archive (wheels from var/wheels/, downloaded by the first build)."""
    return run_python(os.path.join(ROOT, "tools", "build_extension.py"), "--output-dir", str(output_dir),
                      "--platform", "linux-x64", check=True, timeout=900).stdout.strip()


@pytest.fixture(scope="module")
def extension_zip(tmp_path_factory) -> str:
    return build_extension(tmp_path_factory.mktemp("extension"))


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("addon_templates")
    paths = {name: str(out / f"{name}.blend") for name in ("valid", "no_product", "two_products")}
    run_bpy("""
        from template_fixtures import build_no_product, build_two_products, build_valid
        build_valid(sys.argv[1]); build_no_product(sys.argv[2]); build_two_products(sys.argv[3])
        result("built")
    """, paths["valid"], paths["no_product"], paths["two_products"])
    return paths


# -- the extension archive ----------------------------------------------------------------
def test_extension_archive_passes_blenders_own_validator(extension_zip):
    finished = run_python(VALIDATOR, "validate", "--valid-tags", VALID_TAGS, extension_zip, timeout=120)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output
    assert "Success" in output
    assert "ERROR" not in output.upper()


def test_extension_archive_is_reproducible_and_holds_the_package_at_its_root(extension_zip, tmp_path):
    again = build_extension(tmp_path)
    assert os.path.basename(again) == os.path.basename(extension_zip) == "configurator-0.1.0-linux_x64.zip"
    with open(extension_zip, "rb") as first, open(again, "rb") as second:
        assert first.read() == second.read()

    with zipfile.ZipFile(extension_zip) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert {"blender_manifest.toml", "__init__.py", "ui/__init__.py", "engine/blender/generation.py",
                "child_entry.py", "db/migrations/0001_initial.sql"} <= set(names)
        assert [n for n in names if n.startswith("wheels/aiohttp-")]  # its dependencies, as wheels
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# -- registration --------------------------------------------------------------------------
def test_import_registers_nothing_and_register_unregister_twice_leave_blender_as_it_was():
    rounds = run_bpy("""
        initial = snapshot()
        import configurator_addon, configurator_addon.ui
        imported = snapshot()
        rounds = []
        for _ in range(2):
            configurator_addon.register()
            registered = snapshot()
            configurator_addon.unregister()
            rounds.append({"registered": registered, "after": snapshot()})
        result({"initial": initial, "imported": imported, "rounds": rounds})
    """)
    initial = rounds["initial"]
    assert rounds["imported"] == initial
    for round_ in rounds["rounds"]:
        assert round_["after"] == initial
        registered = round_["registered"]
        assert set(registered["types"]) - set(initial["types"]) == OUR_TYPES
        assert set(registered["window_manager"]) - set(initial["window_manager"]) == OUR_WINDOW_MANAGER_PROPERTIES
        assert set(registered["preferences"]) - set(initial["preferences"]) == {"configurator_addon"}
    assert rounds["rounds"][0]["registered"] == rounds["rounds"][1]["registered"]


def test_reloaded_package_registers_each_class_once():
    counts = run_bpy("""
        initial = snapshot()
        import configurator_addon
        configurator_addon.register()
        configurator_addon.unregister()
        for name in [m for m in sys.modules if m.split(".")[0] == "configurator_addon"]:
            del sys.modules[name]
        import configurator_addon
        configurator_addon.register()
        registered = [c.bl_idname for base in (bpy.types.Operator, bpy.types.Panel, bpy.types.AddonPreferences)
                      for c in base.__subclasses__()
                      if c.is_registered and getattr(c, "bl_idname", "").lower().startswith("configurator")]
        configurator_addon.unregister()
        result({"registered": sorted(registered), "clean": snapshot() == initial})
    """)
    assert counts["registered"] == sorted([*(f"configurator.{name}" for name in OUR_OPERATORS), *OUR_PANELS,
                                           "configurator_addon"])
    assert counts["clean"]


@pytest.mark.slow
def test_installed_extension_registers_under_its_extension_package_name(extension_zip, templates, tmp_path):
    """Installed from the archive, the package is `bl_ext.user_default.configurator`: preferences are
    found under that name and the operators still reach the engine."""
    found = run_bpy("""
        import addon_utils
        initial = snapshot()
        bpy.ops.extensions.package_install_files(filepath=sys.argv[1], repo="user_default", enable_on_install=True)
        preferences = bpy.context.preferences.addons[sys.argv[3]].preferences
        preferences_found = {"class": type(preferences).__name__, "timeout": preferences.timeout_seconds}
        enabled = snapshot()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[2])
        bpy.ops.configurator.inspect_template()
        keys = [p["key"] for p in stored_inspection()["inspection"]["parameters"]]
        addon_utils.disable(sys.argv[3])
        disabled = snapshot()
        result({"preferences": preferences_found, "keys": keys,
                "added": sorted(set(enabled["types"]) - set(initial["types"])),
                "added_preferences": sorted(set(enabled["preferences"]) - set(initial["preferences"])),
                "left_after_disable": disabled == initial})
    """, extension_zip, templates["valid"], EXTENSION_ID, env={"BLENDER_USER_RESOURCES": str(tmp_path)})
    assert found["preferences"] == {"class": "ConfiguratorPreferences", "timeout": 300}
    assert found["added_preferences"] == [EXTENSION_ID]
    assert set(found["added"]) == OUR_TYPES
    assert "width" in found["keys"]
    assert found["left_after_disable"]


# -- operators in background mode ------------------------------------------------------------
def test_inspect_operator_stores_parameters_of_the_open_file_and_leaves_it_untouched(templates):
    found = run_bpy("""
        import configurator_addon
        configurator_addon.register()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        def datablocks():
            return {kind: sorted(d.name for d in getattr(bpy.data, kind))
                    for kind in ("collections", "objects", "materials", "scenes", "node_groups", "texts", "meshes")}
        before = datablocks()
        outcome = bpy.ops.configurator.inspect_template()
        result({"outcome": sorted(outcome), "stored": stored_inspection(), "unchanged": datablocks() == before,
                "scene": bpy.context.scene.name})
    """, templates["valid"])
    assert found["outcome"] == ["FINISHED"]
    inspection = found["stored"]["inspection"]
    assert found["stored"]["file"] == templates["valid"]
    assert inspection["product_name"] == "Test Box"
    keys = [p["key"] for p in inspection["parameters"]]
    assert {"width", "height", "shelf_count", "handle", "body_finish"} <= set(keys)
    # Inspected as the server sees it: names are the authored ones, not renamed copies.
    handle = next(p for p in inspection["parameters"] if p["key"] == "handle")
    assert handle["options"] == ["Bar", "Knob"] and handle["default"] == "Knob"
    assert found["unchanged"] and found["scene"] == "Scene"


@pytest.mark.slow
def test_export_operator_writes_the_default_configuration_as_a_valid_glb(templates, tmp_path):
    output = tmp_path / "exported.glb"
    found = run_bpy("""
        import configurator_addon
        configurator_addon.register()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        result(sorted(bpy.ops.configurator.export_glb(filepath=sys.argv[2])))
    """, templates["valid"], str(output))
    assert found == ["FINISHED"]
    data = output.read_bytes()
    assert data[:4] == b"glTF"
    nodes = glb.names(data, "nodes")
    assert "Knob Handle" in nodes and "Bar Handle" not in nodes  # the default variant only
    issues = validate_glb(data)["issues"]
    assert issues["numErrors"] == 0, issues["messages"]


@pytest.mark.slow
def test_inspect_operator_reports_contract_errors_and_where_they_are(templates):
    found = run_bpy("""
        import configurator_addon
        configurator_addon.register()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        try:
            bpy.ops.configurator.inspect_template()
            message = None
        except RuntimeError as exc:  # background mode turns an ERROR report into an exception
            message = str(exc)
        result({"message": message, "stored": stored_inspection()})
    """, templates["no_product"])
    assert found["message"] and "cfg_product" in found["message"]
    error = found["stored"]["error"]
    assert error["code"] == "TEMPLATE_CONTRACT"
    assert [e["code"] for e in error["errors"]] == ["NO_PRODUCT_COLLECTION"]


@pytest.mark.slow
def test_marking_a_collection_makes_it_the_only_product_collection(templates):
    found = run_bpy("""
        import configurator_addon
        configurator_addon.register()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        bpy.context.view_layer.active_layer_collection = bpy.context.view_layer.layer_collection
        allowed_on_scene_collection = bpy.ops.configurator.mark_product_collection.poll()
        activate_collection("Second")
        bpy.ops.configurator.mark_product_collection()
        flagged = sorted(c.name for c in bpy.data.collections if c.get("cfg_product"))
        bpy.ops.configurator.inspect_template()
        result({"scene_collection": allowed_on_scene_collection, "flagged": flagged,
                "product": stored_inspection()["inspection"]["product_name"]})
    """, templates["two_products"])
    assert found == {"scene_collection": False, "flagged": ["Second"], "product": "Second"}


@pytest.mark.slow
def test_sidebar_shows_the_product_collection_and_the_inspected_parameters(templates):
    shown = run_bpy("""
        import configurator_addon
        from configurator_addon.ui.panel import CONFIGURATOR_PT_sidebar

        class RecordingLayout:
            def __init__(self, lines):
                self.lines, self.alert = lines, False
            def label(self, text="", icon="NONE"):
                self.lines.append(text)
            def operator(self, idname, **_):
                self.lines.append(idname)
            def row(self, **_):
                return self
            column = box = row
            def panel(self, idname, default_closed=False):
                return self, self

        def drawn():
            lines = []
            panel = type("Panel", (), {"layout": RecordingLayout(lines)})()
            CONFIGURATOR_PT_sidebar.draw(panel, bpy.context)
            return lines

        configurator_addon.register()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        before = drawn()
        bpy.ops.configurator.inspect_template()
        after = drawn()
        bpy.ops.wm.read_homefile(use_empty=True)
        other_file = drawn()
        result({"before": before, "after": after, "other_file": other_file})
    """, templates["valid"])
    assert "Product: Test Box" in shown["before"]
    assert {"configurator.mark_product_collection", "configurator.inspect_template",
            "configurator.export_glb"} <= set(shown["before"])
    assert "Not inspected yet" in shown["before"]
    assert "Parameters (11)" in shown["after"]  # the rows are the parameter table's (test_authoring)
    assert "No product collection" in shown["other_file"] and "Not inspected yet" in shown["other_file"]


GUI_SERVER = r'''
import json, os, sys, threading, time, urllib.request
sys.path.insert(0, os.getcwd())
import bpy
import configurator_addon
from configurator_addon.ui import server_control

configurator_addon.register()
template, port = sys.argv[1], sys.argv[2]
bpy.ops.configurator.server_start()
assert server_control.is_running() and bpy.app.timers.is_registered(server_control.drain_queue)
base = f"http://127.0.0.1:{port}"
outcome = {}

def admin_key():
    import asyncio
    from configurator_addon.accounts import api_keys
    from configurator_addon.db.pool import create_pool
    from configurator_addon.services.seeding import DEMO_CLIENT_ID

    async def make():
        pool = await create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=1)
        try:
            return (await api_keys.create_key(pool, DEMO_CLIENT_ID, kind="secret", role="admin"))["key"]
        finally:
            await pool.close()
    return asyncio.run(make())

def client():
    try:
        credential = {"Authorization": f"Bearer {admin_key()}"}
        boundary = "configuratortest"
        with open(template, "rb") as handle:
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nBox\r\n"
                    f"--{boundary}\r\nContent-Disposition: form-data; name=\"template\"; filename=\"t.blend\"\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n").encode() + handle.read()
        body += f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(base + "/api/v1/products", data=body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                  **credential})
        product = json.load(urllib.request.urlopen(request, timeout=60))
        submission = {"product_id": product["id"], "config_data": {"width": 0.9}}
        request = urllib.request.Request(base + "/api/v1/jobs", method="POST", data=json.dumps(submission).encode(),
                                         headers={"Content-Type": "application/json", **credential})
        job = json.load(urllib.request.urlopen(request, timeout=30))
        for _ in range(600):
            request = urllib.request.Request(f"{base}/api/v1/jobs/{job['id']}", headers=credential)
            job = json.load(urllib.request.urlopen(request, timeout=30))
            if job["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                break
            time.sleep(0.05)
        outcome["job"] = job
    except Exception as exc:
        outcome["error"] = repr(exc)

thread = threading.Thread(target=client)
thread.start()
while thread.is_alive():  # what Blender's timer does in the GUI
    server_control.drain_queue()
    time.sleep(0.01)
bpy.ops.configurator.server_stop()
stopped = not server_control.is_running() and not bpy.app.timers.is_registered(server_control.drain_queue)
configurator_addon.unregister()
print(json.dumps({**outcome, "stopped": stopped}))
'''


@pytest.mark.slow
def test_server_runs_inside_blender_driven_by_the_gui_timer(templates, tmp_path, empty_database):
    port = free_port()
    env = {"DATABASE_URL": empty_database, "PORT": str(port), "HOST": "127.0.0.1",
           "CONFIGURATOR_VAR_DIR": str(tmp_path / "var"), "LOG_FORMAT": "text"}
    done = run_python("-c", GUI_SERVER, templates["valid"], str(port), env=env, timeout=300)
    assert done.returncode == 0, output_tail(done)
    result = last_json_line(done)
    assert result.get("job", {}).get("status") == "COMPLETED", result
    assert result["stopped"] is True

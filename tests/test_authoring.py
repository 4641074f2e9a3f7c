"""Authoring in the sidebar, in background mode: the parameter table and the contract's
problems (choosing one selects what is at fault), the helpers that write the contract, the
preview and its reset, and publishing to a real server with a secret API key.

Each Blender scene runs in a child Python (opening files and registering the add-on change
the process, which other tests share). The server is a real `serve` process of its own, so
the operator's blocking HTTP calls (urllib, on Blender's main thread) meet a server that is
not waiting for the same thread.

Preview and reset leave the saved template's bytes as they were: Blender's .blend bytes
carry no timestamps, and two saves of an unchanged file are identical, but they do carry
the depsgraph's bookkeeping of what was re-evaluated (`ID.recalc`,
`recalc_up_to_undo_push`, `recalc_after_undo_push`, reset whenever a file is read). The
comparison masks exactly those fields, found from the file's own DNA; everything else must
be equal byte for byte. The baseline is a file as the GUI holds it: evaluated after a change
(the first such evaluation also gives the scene's sequencer runtime data, whose pointer is
written too).
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import struct
import textwrap
import urllib.request

import pytest

from fixtures_db import _create_database, _drop_database
from fixtures_server import ServerProcess
from processes import ROOT, last_json_line, run_python
from test_addon import OUR_OPERATORS, OUR_TYPES, OUR_WINDOW_MANAGER_PROPERTIES

TESTS = os.path.join(ROOT, "tests")
ADDON = "configurator_addon"

PRELUDE = f"import sys\nsys.path[:0] = [{ROOT!r}, {TESTS!r}]\n" + '''
import json
import bpy
import configurator_addon
from configurator_addon.ui import panel, parameter_table, session_state

def result(value):
    print("RESULT " + json.dumps(value), flush=True)

def session():
    return bpy.context.window_manager.configurator_session

def rows():
    return {row.key: row for row in session().parameters}

def reports_of(operator, **properties):
    """Run an operator; background mode raises an ERROR report as RuntimeError."""
    try:
        return {"outcome": sorted(operator(**properties)), "error": None}
    except RuntimeError as exc:
        return {"outcome": ["CANCELLED"], "error": str(exc)}

class RecordingLayout:
    """Stands in for UILayout: records what would be drawn, one string per item."""
    def __init__(self, lines):
        self.lines, self.alert, self.enabled = lines, False, True
    def label(self, text="", icon="NONE"):
        self.lines.append(text)
    def operator(self, idname, **_):
        self.lines.append(idname)
    def prop(self, data, name, text=None, **_):
        value = getattr(data, name)
        self.lines.append(f"prop {name}=" + str(list(value) if hasattr(value, "__len__") and
                                                not isinstance(value, str) else value))
    def row(self, **_):
        return self
    column = box = row
    def split(self, factor=0.5, **_):
        return self
    def separator(self, **_):
        pass
    def panel(self, idname, default_closed=False):
        return self, self
    def template_list(self, listtype, list_id, data, propname, active_data, active_propname, **_):
        ui_list = getattr(bpy.types, listtype)
        self.lines.append(f"list {listtype}")
        for index, item in enumerate(getattr(data, propname)):
            ui_list.draw_item(None, bpy.context, self, data, item, 0, active_data, active_propname, index)

def drawn(*panel_classes):
    lines = []
    for cls in panel_classes:
        if hasattr(cls, "poll") and not cls.poll(bpy.context):
            continue
        cls.draw(type("Panel", (), {"layout": RecordingLayout(lines)})(), bpy.context)
    return lines

ALL_PANELS = (panel.CONFIGURATOR_PT_sidebar, panel.CONFIGURATOR_PT_parameters, panel.CONFIGURATOR_PT_problems,
              panel.CONFIGURATOR_PT_contract_helpers, panel.CONFIGURATOR_PT_publish)

def evaluated(name):
    obj = bpy.data.objects[name]
    return obj.evaluated_get(bpy.context.evaluated_depsgraph_get())

def as_the_gui_holds_it():
    """Evaluated after a change, as a file open in the GUI is (see the module docstring)."""
    for obj in bpy.data.objects:
        obj.update_tag()
    bpy.context.view_layer.update()

def save_copy(path):
    bpy.ops.wm.save_as_mainfile(filepath=path, copy=True, compress=False)
'''


def run_bpy(script: str, *args: str, env: dict | None = None, timeout: float = 300):
    """`script` (after PRELUDE) in a fresh Python with bpy; returns what it passed to `result()`."""
    done = run_python("-c", PRELUDE + textwrap.dedent(script), *args, env=env, timeout=timeout, check=True)
    return last_json_line(done, prefix="RESULT ")


# -- .blend bytes without Blender's runtime bookkeeping ----------------------------------------
RUNTIME_ID_FIELDS = ("recalc", "recalc_up_to_undo_push", "recalc_after_undo_push")


def _blocks(data: bytes):
    """(code, sdna index, offset of the block's data, length, count) of each block (format v1:
    `BLENDER17-01v0500`, 32-byte block headers)."""
    assert data[:9] == b"BLENDER17" and data[9:12] == b"-01", data[:17]
    offset = 17
    while offset < len(data):
        code = data[offset:offset + 4]
        sdna, _old, length, count = struct.unpack("<iQqq", data[offset + 4:offset + 32])
        yield code, sdna, offset + 32, length, count
        if code == b"ENDB":
            return
        offset += 32 + length


def _dna(data: bytes):
    """(struct names and fields, type lengths) from the file's DNA1 block."""
    block = next(b for b in _blocks(data) if b[0] == b"DNA1")
    dna, position = data[block[2]:block[2] + block[3]], 8

    def strings(count):
        nonlocal position
        found = []
        for _ in range(count):
            end = dna.index(b"\0", position)
            found.append(dna[position:end].decode())
            position = end + 1
        position = (position + 3) & ~3
        return found

    count = struct.unpack_from("<i", dna, position)[0]
    position += 4
    names = strings(count)
    position += 4  # TYPE
    count = struct.unpack_from("<i", dna, position)[0]
    position += 4
    types = strings(count)
    position += 4  # TLEN
    lengths = struct.unpack_from(f"<{count}h", dna, position)
    position = (position + 2 * count + 3 + 4) & ~3  # past TLEN, then STRC
    position = dna.index(b"STRC", position - 4) + 4
    count = struct.unpack_from("<i", dna, position)[0]
    position += 4
    structs = []
    for _ in range(count):
        type_index, field_count = struct.unpack_from("<hh", dna, position)
        position += 4
        fields = []
        for _ in range(field_count):
            field_type, field_name = struct.unpack_from("<hh", dna, position)
            position += 4
            fields.append((types[field_type], names[field_name]))
        structs.append((types[type_index], fields))
    return structs, dict(zip(types, lengths, strict=True))


def _field_offsets(fields, lengths) -> dict[str, tuple[int, int]]:
    offsets, offset = {}, 0
    for field_type, name in fields:
        size = 8 if name.startswith(("*", "(*")) else lengths[field_type]
        for dimension in name.replace("]", "").split("[")[1:]:
            size *= int(dimension)
        offsets[name.split("[")[0].lstrip("*")] = (offset, size)
        offset += size
    return offsets


def blend_bytes_without_runtime_fields(path: str) -> bytes:
    """The file's bytes with the ID recalc fields of every datablock (embedded ones too)
    zeroed: blocks of every struct that begins with an `ID id`."""
    data = bytearray(open(path, "rb").read())
    structs, lengths = _dna(bytes(data))
    id_fields = _field_offsets(next(f for name, f in structs if name == "ID"), lengths)
    masked = [id_fields[name] for name in RUNTIME_ID_FIELDS]
    id_structs = {index: lengths[name] for index, (name, fields) in enumerate(structs)
                  if fields and fields[0] == ("ID", "id")}
    for code, sdna, start, length, count in _blocks(bytes(data)):
        if code in (b"DNA1", b"ENDB") or sdna not in id_structs:
            continue
        for item in range(count):
            for offset, size in masked:
                at = start + item * id_structs[sdna] + offset
                assert at + size <= start + length
                data[at:at + size] = bytes(size)
    return bytes(data)


def assert_same_template(before: str, after: str) -> None:
    expected, found = blend_bytes_without_runtime_fields(before), blend_bytes_without_runtime_fields(after)
    assert len(found) == len(expected), "the preview added or removed data"
    differing = [i for i in range(len(found)) if found[i] != expected[i]]
    assert not differing, f"{len(differing)} bytes differ, first at {differing[:5]}"


# -- the templates ---------------------------------------------------------------------------
BUILD = '''
import os
from template_fixtures import _box_node_group, _mesh_object, _product, _reset, _save, build_valid
out = sys.argv[1]

build_valid(os.path.join(out, "valid.blend"))

# Contract errors: an unsupported socket. The object at fault is not the active one and its
# Geometry Nodes modifier is not the active modifier, so choosing the error must change both.
_reset()
product = _product()
tree, _, _ = _box_node_group(extra_inputs=(("Offset", "NodeSocketVector"),))
body = _mesh_object("Body", product)
body.modifiers.new("Shape", "NODES").node_group = tree
body.modifiers.new("Bevel", "BEVEL").is_active = True
other = _mesh_object("Other", product)
bpy.context.view_layer.objects.active = other
other.select_set(True)
_save(os.path.join(out, "faulty.blend"))

# Not yet in the contract's shape: option collections loose in the product, a collection
# holding options, materials in no group (Walnut used only by a swatch outside the product).
_reset()
product = _product("Cabinet")
body = _mesh_object("Body", product)
body.data.materials.append(bpy.data.materials.new("Oak"))
for name in ("Bar", "Knob"):
    option = bpy.data.collections.new(name)
    product.children.link(option)
    _mesh_object(f"{name} Handle", option)
doors = bpy.data.collections.new("Doors")
product.children.link(doors)
for name in ("Glass Door", "Solid Door"):
    option = bpy.data.collections.new(name)
    doors.children.link(option)
    _mesh_object(name, option)
library = bpy.data.collections.new("Swatches")
bpy.context.scene.collection.children.link(library)
swatch = _mesh_object("Walnut Swatch", library)
swatch.data.materials.append(bpy.data.materials.new("Walnut"))
_save(os.path.join(out, "unstructured.blend"))

# A template that uses an image from a file beside it: publishing must pack a copy.
bpy.ops.wm.open_mainfile(filepath=os.path.join(out, "valid.blend"))
image = bpy.data.images.new("Grain", 4, 4)
image.filepath_raw = os.path.join(out, "grain.png")
image.file_format = "PNG"
image.save()
bpy.data.images.remove(image)
image = bpy.data.images.load(os.path.join(out, "grain.png"))
image.filepath = "//grain.png"
oak = bpy.data.materials["Oak"]
oak.node_tree.nodes.new("ShaderNodeTexImage").image = image
bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out, "textured.blend"), compress=False)
result("built")
'''


@pytest.fixture(scope="module")
def authoring_templates(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("authoring_templates")
    run_bpy(BUILD, str(out))
    return {name: str(out / f"{name}.blend") for name in ("valid", "faulty", "unstructured", "textured")}


def copy_of(path: str, folder, name: str | None = None) -> str:
    """A copy the test may save over (with what sits beside the template)."""
    target = os.path.join(str(folder), name or os.path.basename(path))
    shutil.copyfile(path, target)
    for neighbour in ("grain.png",):
        source = os.path.join(os.path.dirname(path), neighbour)
        if os.path.exists(source) and not os.path.exists(os.path.join(str(folder), neighbour)):
            shutil.copyfile(source, os.path.join(str(folder), neighbour))
    return target


# -- the parameter table and the problems --------------------------------------------------------
def test_inspect_fills_the_parameter_table_with_every_column_and_a_value_per_row(authoring_templates):
    found = run_bpy('''
        configurator_addon.register()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        before = drawn(*ALL_PANELS)
        bpy.ops.configurator.inspect_template()
        table = [{name: getattr(row, name) for name in ("key", "title", "json_type", "range_text", "default_text",
                                                         "unit", "source")} | {"value": session_state.row_value(row)}
                 for row in session().parameters]
        session().show_columns = True
        with_columns = drawn(panel.CONFIGURATOR_PT_parameters)
        session().show_columns = False
        after = drawn(*ALL_PANELS)
        result({"before": before, "after": after, "with_columns": with_columns, "table": table,
                "problems": [(p.severity, p.location, p.message) for p in session().problems]})
    ''', authoring_templates["valid"])
    table = {row["key"]: row for row in found["table"]}
    assert list(table) == ["width", "height", "label", "depth", "shelf_count", "glass", "trim_colour", "style",
                           "handle", "body_finish", "handle_finish"]
    assert table["width"] == {"key": "width", "title": "Width", "json_type": "number", "range_text": "0.3 – 1.2",
                              "default_text": "0.6 m", "unit": "m", "source": "collection property, GN socket",
                              "value": 0.6}
    assert table["shelf_count"] == {"key": "shelf_count", "title": "Shelf Count", "json_type": "integer",
                                         "range_text": "0 – 4", "default_text": "1", "unit": "", "source": "GN socket",
                                         "value": 1}
    assert (table["handle"]["source"], table["handle"]["range_text"], table["handle"]["value"]) == (
        "variant set", "Bar, Knob", "Knob")
    assert (table["body_finish"]["source"], table["body_finish"]["value"]) == ("material group", "Oak")
    assert (table["glass"]["value"], table["trim_colour"]["value"]) == (False, "#ff0000")
    assert table["style"]["value"] == "Modern"

    assert "Not inspected yet" in found["before"] and "Inspect the template to list its parameters" in found["before"]
    after = found["after"]
    assert "Parameters (11)" in after and "list CONFIGURATOR_UL_parameters" in after
    assert "Width" in after and "prop value_length=0.6000000238418579" in after  # title and value, per row
    assert "prop value_choice=Knob" in after
    # The active row's details: every column, and the places it drives.
    assert "Range / options: 0.3 – 1.2" in after and "Source: collection property, GN socket" in after
    assert any("object 'Body' › modifier 'Shape' › input 'Width'" in line for line in after)
    assert {"configurator.preview_reset", "configurator.publish", "configurator.add_variant_set",
            "configurator.add_to_material_group", "configurator.edit_rules", "configurator.save_rules"} <= set(after)
    columns = found["with_columns"]
    assert ["Key", "Title", "Type", "Range / Options", "Default", "Unit", "Source", "Value"] == columns[1:9]
    assert ["width", "Width", "number", "0.3 – 1.2", "0.6 m", "m", "collection property, GN socket"] == \
        columns[columns.index("list CONFIGURATOR_UL_parameters") + 1:][:7]
    assert found["problems"] == []


def test_contract_errors_are_listed_and_choosing_one_selects_the_object_and_modifier_at_fault(authoring_templates):
    found = run_bpy('''
        configurator_addon.register()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        def state():
            body = bpy.data.objects["Body"]
            return {"active": bpy.context.view_layer.objects.active.name,
                    "selected": sorted(o.name for o in bpy.context.selected_objects),
                    "active_modifier": next(m.name for m in body.modifiers if m.is_active),
                    "expanded": body.modifiers["Shape"].show_expanded}
        before = state()
        inspected = reports_of(bpy.ops.configurator.inspect_template)
        problems = [(p.severity, p.code, p.location, p.message) for p in session().problems]
        drawing = drawn(*ALL_PANELS)
        session().problem_index = 0  # what clicking the row does
        chosen = state()
        bpy.context.view_layer.objects.active = bpy.data.objects["Other"]
        bpy.data.objects["Body"].modifiers["Bevel"].is_active = True
        operator = reports_of(bpy.ops.configurator.select_problem, index=0)
        again = state()
        preview = reports_of(bpy.ops.configurator.preview_apply, values='{"width": 0.9}')
        export = reports_of(bpy.ops.configurator.export_glb, filepath=sys.argv[2])
        result({"before": before, "inspected": inspected, "problems": problems, "drawing": drawing,
                "chosen": chosen, "operator": operator, "again": again, "preview": preview, "export": export})
    ''', authoring_templates["faulty"], os.path.join(os.path.dirname(authoring_templates["faulty"]), "x.glb"))
    assert found["before"]["active"] == "Other" and found["before"]["active_modifier"] == "Bevel"
    assert found["inspected"]["outcome"] == ["CANCELLED"] and "input 'Offset'" in found["inspected"]["error"]
    assert found["problems"] == [[
        "ERROR", "UNSUPPORTED_SOCKET_TYPE", "object 'Body' › modifier 'Shape' › input 'Offset' (Socket_4)",
        "socket type NodeSocketVector is not a parameter type; hide it in the modifier or use Float, Int, Bool, "
        "Menu, Color or Material"]]
    assert "list CONFIGURATOR_UL_problems" in found["drawing"] and "configurator.select_problem" in found["drawing"]
    assert "UNSUPPORTED_SOCKET_TYPE" in found["drawing"]
    expected = {"active": "Body", "selected": ["Body"], "active_modifier": "Shape", "expanded": True}
    assert found["chosen"] == expected
    assert found["operator"]["outcome"] == ["FINISHED"] and found["again"] == expected
    # Without a clean contract check there is nothing to preview or export.
    assert found["preview"]["outcome"] == ["CANCELLED"]
    assert found["export"]["outcome"] == ["CANCELLED"] and "Offset" in found["export"]["error"]


# -- the helpers that write the contract -------------------------------------------------------------
def test_helpers_make_variant_sets_and_material_groups_the_contract_check_accepts(authoring_templates, tmp_path):
    path = copy_of(authoring_templates["unstructured"], tmp_path)
    found = run_bpy('''
        configurator_addon.register()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        outcomes = {}
        outcomes["no_collections"] = reports_of(bpy.ops.configurator.add_variant_set, name="Handle",
                                                collections=[])
        # Several collections: a new set gathers them. Scripts name them; the GUI uses the Outliner's selection.
        outcomes["handle"] = reports_of(bpy.ops.configurator.add_variant_set, name="Handle", default="Knob",
                                        collections=[{"name": "Bar"}, {"name": "Knob"}])
        # One collection holding options: it becomes the set, its children the options.
        layer = next(c for c in bpy.context.view_layer.layer_collection.children[0].children if c.name == "Doors")
        bpy.context.view_layer.active_layer_collection = layer
        outcomes["doors"] = reports_of(bpy.ops.configurator.add_variant_set, name="Door Style")
        outcomes["bad_default"] = reports_of(bpy.ops.configurator.add_variant_set, name="Again", default="Nope",
                                             collections=[{"name": "Swatches"}])
        outcomes["unknown"] = reports_of(bpy.ops.configurator.add_variant_set, name="Again",
                                         collections=[{"name": "Walnut Swatch"}])
        for obj in bpy.context.view_layer.objects:
            obj.select_set(obj.name in ("Body", "Walnut Swatch"))
        outcomes["finish"] = reports_of(bpy.ops.configurator.add_to_material_group, group="Body Finish")
        outcomes["no_group_name"] = reports_of(bpy.ops.configurator.add_to_material_group, group="  ")
        bpy.data.objects.remove(bpy.data.objects["Walnut Swatch"])  # Walnut is used by nothing now
        bpy.ops.wm.save_mainfile()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        handle = bpy.data.collections["Handle"]
        structure = {
            "handle": {"parent": next(c.name for c in bpy.data.collections if handle.name in c.children),
                       "cfg_variant": handle.get("cfg_variant"), "cfg_default": handle.get("cfg_default"),
                       "options": [c.name for c in handle.children]},
            "doors": {k: bpy.data.collections["Doors"].get(k) for k in ("cfg_variant", "cfg_default")},
            "swatches_in_scene": "Swatches" in bpy.context.scene.collection.children,
            "sets": sorted(c.name for c in bpy.data.collections if c.get("cfg_variant")),
            "materials": {m.name: (m.get("cfg_group"), m.use_fake_user) for m in bpy.data.materials},
        }
        inspected = reports_of(bpy.ops.configurator.inspect_template)
        parameters = {row.key: (row.source, json.loads(row.options_json), json.loads(row.default_json))
                      for row in session().parameters}
        result({"outcomes": outcomes, "structure": structure, "inspected": inspected, "parameters": parameters})
    ''', path)
    outcomes = found["outcomes"]
    assert outcomes["no_collections"]["outcome"] == ["CANCELLED"]  # nothing selected, no active collection
    assert "select the option collections" in outcomes["no_collections"]["error"]
    assert outcomes["handle"]["outcome"] == outcomes["doors"]["outcome"] == outcomes["finish"]["outcome"] == [
        "FINISHED"]
    assert outcomes["bad_default"]["outcome"] == ["CANCELLED"] and "'Nope' is not one of" in \
        outcomes["bad_default"]["error"]
    assert outcomes["unknown"]["outcome"] == ["CANCELLED"] and "no collection named 'Walnut Swatch'" in \
        outcomes["unknown"]["error"]
    assert outcomes["no_group_name"]["outcome"] == ["CANCELLED"]
    assert found["structure"]["swatches_in_scene"] and found["structure"]["sets"] == ["Doors", "Handle"]
    assert found["structure"]["handle"] == {"parent": "Cabinet", "cfg_variant": "Handle", "cfg_default": "Knob",
                                            "options": ["Bar", "Knob"]}
    assert found["structure"]["doors"] == {"cfg_variant": "Door Style", "cfg_default": "Glass Door"}
    assert found["structure"]["materials"] == {"Oak": ["Body Finish", True], "Walnut": ["Body Finish", True]}
    assert found["inspected"]["outcome"] == ["FINISHED"], found["inspected"]
    assert found["parameters"]["handle"] == ["variant set", ["Bar", "Knob"], "Knob"]
    assert found["parameters"]["door_style"] == ["variant set", ["Glass Door", "Solid Door"], "Glass Door"]
    assert found["parameters"]["body_finish"] == ["material group", ["Oak", "Walnut"], "Oak"]


def test_rules_are_checked_against_the_template_before_they_are_saved(authoring_templates, tmp_path):
    path = copy_of(authoring_templates["valid"], tmp_path)
    found = run_bpy('''
        configurator_addon.register()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        bpy.data.texts.remove(bpy.data.texts["cfg_rules.json"])
        edit = reports_of(bpy.ops.configurator.edit_rules)
        created = bpy.data.texts["cfg_rules.json"].as_string()
        wide = {"if": {"properties": {"width": {"exclusiveMinimum": 1.0}}, "required": ["width"]},
                "then": {"properties": {"shelf_count": {"minimum": 2}}}, "x-message": "wide boxes need 2 shelves"}
        typo = {"if": {"properties": {"widht": {"minimum": 1}}, "required": ["widht"]},
                "then": {"properties": {"glass": {"const": False}}}, "x-message": "no glass on wide boxes"}
        strict = {"properties": {"shelf_count": {"minimum": 3}}, "x-message": "at least three shelves"}
        attempts = {
            "not_json": reports_of(bpy.ops.configurator.save_rules, rules='[{"if": {}'),
            "not_a_list": reports_of(bpy.ops.configurator.save_rules, rules='{"if": {}}'),
            "unknown_key": reports_of(bpy.ops.configurator.save_rules, rules=json.dumps([wide, typo])),
            "defaults_break_it": reports_of(bpy.ops.configurator.save_rules, rules=json.dumps([strict])),
        }
        untouched = bpy.data.texts["cfg_rules.json"].as_string()
        attempts["valid"] = reports_of(bpy.ops.configurator.save_rules, rules=json.dumps([wide]))
        saved = json.loads(bpy.data.texts["cfg_rules.json"].as_string())
        bpy.data.texts["cfg_rules.json"].from_string(json.dumps([wide, {"required": ["width"]}]))
        attempts["text_as_written"] = reports_of(bpy.ops.configurator.save_rules)
        result({"edit": edit, "created": created, "attempts": attempts, "untouched": untouched, "saved": saved})
    ''', path)
    assert found["edit"]["outcome"] == ["FINISHED"] and found["created"] == "[]\n"
    attempts = found["attempts"]
    for name in ("not_json", "not_a_list", "unknown_key", "defaults_break_it"):
        assert attempts[name]["outcome"] == ["CANCELLED"], name
    assert "line 1, column" in attempts["not_json"]["error"]
    assert "JSON array" in attempts["not_a_list"]["error"]
    # The rule is named by its number and its message.
    assert "rule 1 ('no glass on wide boxes')" in attempts["unknown_key"]["error"]
    assert "'widht', which is not a parameter" in attempts["unknown_key"]["error"]
    assert "rule 0" not in attempts["unknown_key"]["error"]
    assert "at least three shelves" in attempts["defaults_break_it"]["error"]
    assert found["untouched"] == "[]\n"  # refused rules are not written
    assert attempts["valid"] == {"outcome": ["FINISHED"], "error": None}
    assert found["saved"] == [{"if": {"properties": {"width": {"exclusiveMinimum": 1.0}}, "required": ["width"]},
                               "then": {"properties": {"shelf_count": {"minimum": 2}}},
                               "x-message": "wide boxes need 2 shelves"}]
    assert attempts["text_as_written"]["outcome"] == ["FINISHED"]  # a rule without x-message: a warning only


# -- the preview --------------------------------------------------------------------------------------
PREVIEW_ROUND_TRIP = '''
configurator_addon.register()
template, folder = sys.argv[1], sys.argv[2]
bpy.ops.wm.open_mainfile(filepath=template)
bpy.ops.configurator.inspect_template()
as_the_gui_holds_it()
save_copy(folder + "/before.blend")
applied, refused = [], []
for row in list(session().parameters):
    options = json.loads(row.options_json)
    default = json.loads(row.default_json)
    if options:
        value = next(o for o in options if o != default)
    elif row.kind == "bool":
        value = not default
    elif row.kind == "color":
        value = "#3366cc"
    elif row.kind == "text":
        value = default + " preview"
    elif row.kind == "int":
        value = default + 1 if not row.has_maximum or default < row.maximum else default - 1
    elif row.has_maximum and default < row.maximum - 0.01:
        value = round(default + (row.maximum - default) / 2, 3)
    else:
        value = round(default - 0.01, 3)
    session_state.set_value(row, value)  # as the artist typing it: the row's update previews
    (applied if not session().preview_message else refused).append(row.key)
    if session().preview_message:
        session_state.set_value(row, default)
previewed = session_state.changed_keys(session())
save_copy(folder + "/during.blend")  # saving while previewing writes the file's own values
still_previewing = session_state.changed_keys(session())
reset = reports_of(bpy.ops.configurator.preview_reset)
save_copy(folder + "/after.blend")
result({"applied": applied, "refused": refused, "previewed": previewed, "still_previewing": still_previewing,
        "reset": reset, "active_after_reset": session().preview_active,
        "values_after_reset": {row.key: session_state.row_value(row) == json.loads(row.default_json)
                               for row in session().parameters}})
'''


@pytest.mark.parametrize("which", ["test template", "sample cabinet"])
def test_preview_then_reset_leaves_the_saved_template_as_it_was(which, authoring_templates, sample_catalog,
                                                                tmp_path):
    if which == "test template":
        template = authoring_templates["valid"]
    else:
        template = next(s["path"] for s in sample_catalog if s["slug"] == "kitchen_base_cabinet")
    found = run_bpy(PREVIEW_ROUND_TRIP, template, str(tmp_path))
    assert len(found["applied"]) >= 5, found
    assert set(found["previewed"]) == set(found["applied"])
    assert found["still_previewing"] == found["previewed"]
    assert found["reset"]["outcome"] == ["FINISHED"] and not found["active_after_reset"]
    assert all(found["values_after_reset"].values())
    assert_same_template(tmp_path / "before.blend", tmp_path / "after.blend")
    assert_same_template(tmp_path / "before.blend", tmp_path / "during.blend")
    raw_before, raw_after = (tmp_path / "before.blend").read_bytes(), (tmp_path / "after.blend").read_bytes()
    assert len(raw_before) == len(raw_after)  # only the masked bookkeeping fields may differ


def test_preview_updates_the_product_in_the_viewport_and_refuses_what_the_server_would(authoring_templates,
                                                                                       tmp_path):
    found = run_bpy('''
        configurator_addon.register()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        nothing_yet = reports_of(bpy.ops.configurator.preview_apply, values='{"width": 0.9}')
        bpy.ops.configurator.inspect_template()
        def seen():
            body = evaluated("Body")
            return {"width": round(body.dimensions.x, 4), "height": round(body.dimensions.z, 4),
                    "bar_shown": not bpy.data.collections["Bar"].hide_viewport,
                    "knob_shown": not bpy.data.collections["Knob"].hide_viewport,
                    "finish": bpy.data.objects["Body"].modifiers["Shape"]["Socket_7"].name,
                    "handle_z": round(evaluated("Knob Handle").matrix_world.translation.z, 4),
                    "handle_material": bpy.data.objects["Bar Handle"].material_slots[0].material.name}
        before = seen()
        table = rows()
        table["width"].value_length = 0.9
        table["height"].value_length = 1.0  # the handles follow through a driver on the collection property
        table["handle"].value_choice = "Bar"
        table["body_finish"].value_choice = "Walnut"
        table["handle_finish"].value_choice = "Brass"
        during = seen()
        table["width"].value_length = 1.1  # wider than 1 m needs two shelves: the rule refuses it
        refused = session().preview_message
        still = seen()
        table["width"].value_length = 5.0  # past the maximum: held at it
        clamped = session_state.row_value(table["width"])
        by_script = reports_of(bpy.ops.configurator.preview_apply, values='{"width": 1.1, "shelf_count": 2}')
        scripted = seen()
        drawing = drawn(panel.CONFIGURATOR_PT_parameters)
        export = reports_of(bpy.ops.configurator.export_glb, filepath=sys.argv[2])
        reset = reports_of(bpy.ops.configurator.preview_reset)
        result({"nothing_yet": nothing_yet, "before": before, "during": during, "refused": refused, "still": still,
                "clamped": clamped, "by_script": by_script, "scripted": scripted, "drawing": drawing,
                "export": export, "reset": reset, "after": seen()})
    ''', authoring_templates["valid"], str(tmp_path / "previewed.glb"))
    assert found["nothing_yet"]["outcome"] == ["CANCELLED"]
    assert found["before"] == {"width": 0.6, "height": 0.8, "bar_shown": True, "knob_shown": True, "finish": "Oak",
                               "handle_z": 0.4, "handle_material": "Steel"}
    assert found["during"] == {"width": 0.9, "height": 1.0, "bar_shown": True, "knob_shown": False,
                               "finish": "Walnut", "handle_z": 0.5, "handle_material": "Brass"}
    assert "boxes wider than 1 m need at least 2 shelves" in found["refused"]
    assert found["still"] == found["during"]
    assert found["clamped"] == 1.2
    assert found["by_script"]["outcome"] == ["FINISHED"] and found["scripted"]["width"] == 1.1
    assert any(line.startswith("Previewing ") and "width" in line for line in found["drawing"])
    # Export gives what is previewed, as the server would generate that configuration.
    assert found["export"]["outcome"] == ["FINISHED"]
    from glb_geometry import names

    nodes = names((tmp_path / "previewed.glb").read_bytes(), "nodes")
    assert "Bar Handle" in nodes and "Knob Handle" not in nodes
    assert found["reset"]["outcome"] == ["FINISHED"] and found["after"] == found["before"]


# -- registration ---------------------------------------------------------------------------------


def test_registering_adds_the_authoring_tool_and_unregistering_removes_all_of_it():
    found = run_bpy('''
        def snapshot():
            handlers = {name: len(getattr(bpy.app.handlers, name)) for name in ("save_pre", "save_post", "load_post")}
            return {"types": sorted(dir(bpy.types)), "handlers": handlers,
                    "window_manager": sorted(p.identifier for p in bpy.types.WindowManager.bl_rna.properties)}
        initial = snapshot()
        configurator_addon.register()
        registered = snapshot()
        operators = sorted(name for name in dir(bpy.ops.configurator))
        configurator_addon.unregister()
        configurator_addon.register()
        configurator_addon.unregister()
        result({"initial": initial, "registered": registered, "after": snapshot(), "operators": operators})
    ''')
    initial, registered = found["initial"], found["registered"]
    assert found["after"] == initial
    assert set(registered["types"]) - set(initial["types"]) == OUR_TYPES
    assert set(registered["window_manager"]) - set(initial["window_manager"]) == OUR_WINDOW_MANAGER_PROPERTIES
    assert {name: count - initial["handlers"][name] for name, count in registered["handlers"].items()} == {
        "save_pre": 1, "save_post": 1, "load_post": 1}
    assert found["operators"] == sorted(OUR_OPERATORS)


# -- publishing to a live server ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def live_server(postgres, tmp_path_factory):
    """A real `serve` (the API, uploads inspected in child processes) on its own database,
    with an admin's secret key of the demo client made by the operator's command line."""
    name = asyncio.run(_create_database(postgres, "template0"))
    server = ServerProcess(str(tmp_path_factory.mktemp("server") / "var"), "--role", "api", "--no-seed",
                           env={"DATABASE_URL": postgres.dsn_for(name)})
    try:
        asyncio.run(server.wait_ready())
        server.secret_key = server.credential["Authorization"].removeprefix("Bearer ")
        yield server
    finally:
        server.stop()
        asyncio.run(_drop_database(postgres, name))


def api(server, method: str, path: str, body: dict | None = None):
    request = urllib.request.Request(server.url + path, method=method, headers={
        **server.credential, "Content-Type": "application/json"},
        data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


PUBLISH_NEW = '''
import addon_utils, time, urllib.request
template, url, key = sys.argv[1:4]
addon_utils.enable("configurator_addon", default_set=True)  # as in Blender: preferences hold server and key
preferences = bpy.context.preferences.addons["configurator_addon"].preferences
preferences.server_url, preferences.api_key = url, key
bpy.ops.wm.open_mainfile(filepath=template)
# The bpy module starts with online access off: a server elsewhere is refused, one on this machine is not.
refused = {"offline": reports_of(bpy.ops.configurator.publish, server_url="https://configurator.example.com")}
refused["publishable_key"] = reports_of(bpy.ops.configurator.publish, api_key="pk_" + "x" * 32)
refused["unreachable"] = reports_of(bpy.ops.configurator.publish, server_url="http://127.0.0.1:9")

def listed(product_id):
    request = urllib.request.Request(url + "/api/v1/products?limit=100", headers={"Authorization": "Bearer " + key})
    return any(p["id"] == product_id for p in json.load(urllib.request.urlopen(request))["items"])

started = time.perf_counter()
published = reports_of(bpy.ops.configurator.publish, description="A box for tests")
returned = time.perf_counter()
stored = session_state.stored_publish(bpy.context)
while not listed(stored["product_id"]) and time.perf_counter() < started + 60:
    time.sleep(0.01)
seen_listed = time.perf_counter()
remembered = json.loads(bpy.data.collections["Test Box"]["cfg_published"])
drawing = drawn(panel.CONFIGURATOR_PT_publish)
bpy.ops.wm.save_mainfile()
result({"refused": refused, "published": published, "stored": stored, "remembered": remembered,
        "drawing": drawing, "seconds_to_return": returned - started, "seconds_to_listed": seen_listed - started})
'''

PUBLISH_BREAKING_VERSION = '''
template = sys.argv[1]
configurator_addon.register()  # no add-on manager: server and key come from the environment
bpy.context.preferences.system.use_online_access = True
bpy.ops.wm.open_mainfile(filepath=template)
# A breaking change: widths up to 1.0 m only (socket and collection property), no Bar handle.
tree = bpy.data.node_groups["Box"]
next(i for i in tree.interface.items_tree if i.name == "Width").max_value = 1.0
bpy.data.collections["Test Box"].id_properties_ui("width").update(max=1.0)
bpy.data.collections["Handle"].children.unlink(bpy.data.collections["Bar"])
replaced = reports_of(bpy.ops.configurator.publish)
stored = session_state.stored_publish(bpy.context)
from configurator_addon.authoring import publishing
replaced_reports = publishing.describe(stored)  # what the operator reported, line by line
drawing = drawn(panel.CONFIGURATOR_PT_publish)
again = reports_of(bpy.ops.configurator.publish)  # nothing changed since
again_stored = session_state.stored_publish(bpy.context)
result({"replaced": replaced, "stored": stored, "drawing": drawing, "again": again, "again_stored": again_stored,
        "replaced_reports": replaced_reports})
'''


def publish_breaking_version(path: str, server) -> dict:
    return run_bpy(PUBLISH_BREAKING_VERSION, path,
                   env={"CONFIGURATOR_SERVER_URL": server.url, "CONFIGURATOR_API_KEY": server.secret_key})


def save_configurations(server, product_id: str) -> None:
    """Saved configurations of version 1: valid now; the first two break with the new version."""
    for name, config in (("wide", {"width": 1.1, "shelf_count": 2}), ("bar handle", {"handle": "Bar"}),
                         ("narrow", {"width": 0.5})):
        api(server, "POST", "/api/v1/configurations", {"product_id": product_id, "name": name, "config_data": config})


def test_publish_makes_a_new_product_then_a_new_version_of_it(authoring_templates, live_server, tmp_path):
    path = copy_of(authoring_templates["valid"], tmp_path, "box.blend")
    first = run_bpy(PUBLISH_NEW, path, live_server.url, live_server.secret_key)
    refused = first["refused"]
    assert refused["offline"]["outcome"] == ["CANCELLED"]
    assert "online access is off, and configurator.example.com is not on this machine" in refused["offline"]["error"]
    assert "publishable key (pk_…)" in refused["publishable_key"]["error"]
    assert "cannot reach http://127.0.0.1:9" in refused["unreachable"]["error"]

    assert first["published"] == {"outcome": ["FINISHED"], "error": None}
    stored = first["stored"]
    assert (stored["action"], stored["name"], stored["schema_version"], stored["server"]) == (
        "created", "Test Box", 1, live_server.url)
    assert first["remembered"] == {live_server.url: stored["product_id"]}
    assert any("Published 'Test Box' as a new product (schema version 1)" in line for line in first["drawing"])
    product = api(live_server, "GET", f"/api/v1/products/{stored['product_id']}")
    assert (product["name"], product["description"], product["schema_version"]) == ("Test Box", "A box for tests", 1)
    print(f"\nPublish to listed: {first['seconds_to_listed']:.2f} s (operator returned after "
          f"{first['seconds_to_return']:.2f} s; snapshot {stored['seconds']['snapshot']:.2f} s, upload and "
          f"inspection {stored['seconds']['upload']:.2f} s, {stored['template_bytes']:,} bytes)")

    save_configurations(live_server, stored["product_id"])
    second = publish_breaking_version(path, live_server)
    assert second["replaced"] == {"outcome": ["FINISHED"], "error": None}
    replaced = second["stored"]
    assert (replaced["action"], replaced["product_id"], replaced["schema_version"],
            replaced["previous_schema_version"]) == ("replaced", stored["product_id"], 2, 1)
    assert replaced["compatibility"]["breaking"] and replaced["compatibility"]["configurations"]["invalid"] == 2
    assert any("Published 'Test Box' schema version 2 (was 1)" in line for line in second["drawing"])
    product = api(live_server, "GET", f"/api/v1/products/{stored['product_id']}")
    assert product["schema_version"] == 2 and product["config_schema"]["properties"]["width"]["maximum"] == 1.0
    assert product["config_schema"]["properties"]["handle"]["enum"] == ["Knob"]
    # The same file again: the server already has it as the current version (409), said plainly.
    assert second["again"] == {"outcome": ["CANCELLED"], "error": None}
    assert second["again_stored"]["status"] == 409
    assert "already the product's current version" in second["again_stored"]["lines"][0]
    listing = api(live_server, "GET", "/api/v1/products?limit=100")["items"]
    assert [p["id"] for p in listing].count(stored["product_id"]) == 1


def test_publish_shows_the_compatibility_report_of_a_breaking_version(authoring_templates, live_server, tmp_path):
    """The server's compatibility report (GET …/versions/{n}/compatibility) after a breaking
    version: the schema diff and the saved configurations it refuses, shown in the panel."""
    path = copy_of(authoring_templates["valid"], tmp_path, "box.blend")
    first = run_bpy(PUBLISH_NEW, path, live_server.url, live_server.secret_key)
    product_id = first["stored"]["product_id"]
    save_configurations(live_server, product_id)
    second = publish_breaking_version(path, live_server)
    report = second["stored"]["compatibility"]
    assert (report["product_id"], report["schema_version"], report["compared_to"], report["breaking"]) == (
        product_id, 2, 1, True)
    changes = {(change["kind"], change["key"]): change for change in report["changes"]}
    assert set(changes) == {("range_narrowed", "width"), ("options_removed", "handle")}
    assert all(change["breaking"] for change in changes.values())
    assert changes[("options_removed", "handle")]["to"] == ["Knob"]
    configurations = report["configurations"]
    assert (configurations["total"], configurations["invalid"]) == (3, 2)
    assert sorted(example["name"] for example in configurations["examples"]) == ["bar handle", "wide"]
    drawing = second["drawing"]
    assert "2 of 3 saved configurations would no longer validate" in drawing
    assert any(changes[("options_removed", "handle")]["message"][:40] in line for line in drawing)
    assert any(line.strip().startswith("wide: ") for line in drawing), drawing  # an example and why
    assert "2 of 3 saved configuration(s) would no longer validate" in second["replaced_reports"]


def test_publish_uploads_a_packed_copy_and_leaves_the_artists_file_unpacked(authoring_templates, live_server,
                                                                             tmp_path):
    path = copy_of(authoring_templates["textured"], tmp_path)
    found = run_bpy('''
        from configurator_addon.authoring import publishing
        configurator_addon.register()
        bpy.context.preferences.system.use_online_access = True
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        image = next(i for i in bpy.data.images if i.filepath == "//grain.png")
        external = publishing.needs_packing()
        published = reports_of(bpy.ops.configurator.publish, server_url=sys.argv[2], api_key=sys.argv[3])
        stored = session_state.stored_publish(bpy.context)
        artist = {"packed": image.packed_file is not None, "filepath": image.filepath}
        publishing.needs_packing = lambda: []  # what the server says of the copy unpacked
        unpacked = reports_of(bpy.ops.configurator.publish, server_url=sys.argv[2], api_key=sys.argv[3], as_new=True)
        problems = [(p.code, p.location) for p in session().problems]
        result({"external": external, "published": published, "stored": stored, "artist": artist,
                "unpacked": unpacked, "problems": problems})
    ''', path, live_server.url, live_server.secret_key)
    assert found["external"] and "grain.png" in found["external"][0]
    assert found["published"] == {"outcome": ["FINISHED"], "error": None}, found
    assert found["stored"]["action"] == "created"
    assert found["artist"] == {"packed": False, "filepath": "//grain.png"}
    assert found["unpacked"]["outcome"] == ["CANCELLED"] and "HTTP 422" in found["unpacked"]["error"]
    assert [code for code, _ in found["problems"]] == ["EXTERNAL_IMAGE"]


def test_contract_errors_from_the_server_are_reported_per_object_and_socket(authoring_templates, live_server,
                                                                            tmp_path):
    path = copy_of(authoring_templates["faulty"], tmp_path)
    found = run_bpy('''
        configurator_addon.register()
        bpy.context.preferences.system.use_online_access = True
        bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
        refused = reports_of(bpy.ops.configurator.publish, server_url=sys.argv[2], api_key=sys.argv[3])
        problems = [(p.code, p.location) for p in session().problems]
        chosen = reports_of(bpy.ops.configurator.select_problem, index=0)
        result({"refused": refused, "problems": problems, "stored": session_state.stored_publish(bpy.context),
                "active": bpy.context.view_layer.objects.active.name, "published": "cfg_published" in
                bpy.data.collections["Test Box"]})
    ''', path, live_server.url, live_server.secret_key)
    error = found["refused"]["error"]
    assert found["refused"]["outcome"] == ["CANCELLED"]
    assert "Not published (HTTP 422): the template breaks the template contract" in error
    assert "object 'Body' › modifier 'Shape' › input 'Offset' (Socket_4): socket type NodeSocketVector" in error
    assert found["problems"] == [["UNSUPPORTED_SOCKET_TYPE",
                                  "object 'Body' › modifier 'Shape' › input 'Offset' (Socket_4)"]]
    assert found["active"] == "Body" and found["stored"]["status"] == 422 and not found["published"]


def test_a_build_script_publishes_a_folder_of_templates(authoring_templates, live_server, tmp_path):
    folder = tmp_path / "products"
    folder.mkdir()
    paths = [copy_of(authoring_templates["valid"], folder, "box.blend"),
             copy_of(authoring_templates["unstructured"], folder, "cabinet.blend")]
    found = run_bpy('''
        import glob
        from configurator_addon.authoring import batch
        configurator_addon.register()
        bpy.context.preferences.system.use_online_access = True
        first = batch.publish_templates(sorted(glob.glob(sys.argv[1] + "/*.blend")))
        lines = batch.report(first)
        again = batch.publish_templates(sorted(glob.glob(sys.argv[1] + "/*.blend")))
        result({"first": first, "lines": lines, "again": again})
    ''', str(folder), env={"CONFIGURATOR_SERVER_URL": live_server.url, "CONFIGURATOR_API_KEY": live_server.secret_key})
    first = {os.path.basename(o["path"]): o for o in found["first"]}
    assert [first[name]["status"] for name in ("box.blend", "cabinet.blend")] == ["published", "published"]
    assert {o["result"]["name"] for o in first.values()} == {"Test Box", "Cabinet"}
    assert any("box.blend: Published 'Test Box' as a new product" in line for line in found["lines"])
    # The files were saved with their product ids: the second run publishes the same products.
    for outcome in found["again"]:
        earlier = first[os.path.basename(outcome["path"])]["result"]["product_id"]
        if outcome["status"] == "published":
            assert (outcome["result"]["action"], outcome["result"]["product_id"]) == ("replaced", earlier)
        else:
            assert outcome["status"] == "unchanged", outcome
    assert all(os.path.getsize(p) > 0 for p in paths)


WORKED_EXAMPLE = '''
import addon_utils, urllib.request
folder, url, key = sys.argv[1:4]
addon_utils.enable("configurator_addon", default_set=True)
preferences = bpy.context.preferences.addons["configurator_addon"].preferences
preferences.server_url, preferences.api_key = url, key
steps = {}

# 1. An empty file; a collection "Wall Shelf", active, marked as the product collection.
bpy.ops.wm.read_homefile(use_empty=True)
shelf = bpy.data.collections.new("Wall Shelf")
bpy.context.scene.collection.children.link(shelf)
bpy.context.view_layer.active_layer_collection = bpy.context.view_layer.layer_collection.children["Wall Shelf"]
steps["mark"] = reports_of(bpy.ops.configurator.mark_product_collection)

# 2. The board: a Geometry Nodes box whose Width is a Distance input, 0.4 - 1.2, default 0.8.
def mesh_object(name, collection):
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 0), (0.05, 0, 0), (0, 0.05, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    return obj
board = mesh_object("Board", shelf)
tree = bpy.data.node_groups.new("Board", "GeometryNodeTree")
tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
width = tree.interface.new_socket("Width", in_out="INPUT", socket_type="NodeSocketFloat")
width.subtype, width.min_value, width.max_value, width.default_value = "DISTANCE", 0.4, 1.2, 0.8
group_in, group_out = tree.nodes.new("NodeGroupInput"), tree.nodes.new("NodeGroupOutput")
size, cube = tree.nodes.new("ShaderNodeCombineXYZ"), tree.nodes.new("GeometryNodeMeshCube")
size.inputs[1].default_value, size.inputs[2].default_value = 0.25, 0.02
tree.links.new(group_in.outputs["Width"], size.inputs[0])
tree.links.new(size.outputs[0], cube.inputs["Size"])
tree.links.new(cube.outputs[0], group_out.inputs["Geometry"])
board.modifiers.new("Shape", "NODES").node_group = tree

# 3. Brackets: two collections in the product, made a variant set "Bracket", default Steel.
for name in ("Steel", "Brass"):
    option = bpy.data.collections.new(name)
    shelf.children.link(option)
    mesh_object(f"{name} Bracket", option)
steps["bracket"] = reports_of(bpy.ops.configurator.add_variant_set, name="Bracket", default="Steel",
                              collections=[{"name": "Steel"}, {"name": "Brass"}])

# 4. Finish: Oak on the board joins the group "Finish"; so does Walnut, then the board is Oak again.
oak, walnut = bpy.data.materials.new("Oak"), bpy.data.materials.new("Walnut")
board.data.materials.append(oak)
for obj in bpy.context.view_layer.objects:
    obj.select_set(obj == board)
bpy.context.view_layer.objects.active = board
steps["oak"] = reports_of(bpy.ops.configurator.add_to_material_group, group="Finish")
board.material_slots[0].material = walnut
steps["walnut"] = reports_of(bpy.ops.configurator.add_to_material_group, group="Finish")
board.material_slots[0].material = oak

# 5. A rule, written in the text Edit Rules opens, then Save Rules.
steps["edit_rules"] = reports_of(bpy.ops.configurator.edit_rules)
bpy.data.texts["cfg_rules.json"].from_string(json.dumps([{
    "if": {"properties": {"width": {"exclusiveMinimum": 1.0}}, "required": ["width"]},
    "then": {"properties": {"bracket": {"const": "Steel"}}},
    "x-message": "shelves wider than 1 m need steel brackets"}]))
steps["save_rules"] = reports_of(bpy.ops.configurator.save_rules)

# 6. Check.
bpy.ops.wm.save_as_mainfile(filepath=folder + "/wall_shelf.blend")
steps["inspect"] = reports_of(bpy.ops.configurator.inspect_template)
table = {row.key: [row.range_text, row.unit, row.source] for row in session().parameters}
problems = [p.name for p in session().problems]

# 7. Preview: Brass at 1.1 m breaks the rule; Steel at 1.1 m shows.
table_rows = rows()
table_rows["bracket"].value_choice = "Brass"
table_rows["width"].value_length = 1.1
refused = session().preview_message
kept_width = round(evaluated("Board").dimensions.x, 3)
table_rows["bracket"].value_choice = "Steel"
shown_width = round(evaluated("Board").dimensions.x, 3)
steps["reset"] = reports_of(bpy.ops.configurator.preview_reset)
reset_width = round(evaluated("Board").dimensions.x, 3)

# 8. Publish, save.
steps["publish"] = reports_of(bpy.ops.configurator.publish)
first = session_state.stored_publish(bpy.context)
bpy.ops.wm.save_mainfile()
# (a customer saves a 1.1 m shelf)
request = urllib.request.Request(url + "/api/v1/configurations", method="POST", data=json.dumps({
    "product_id": first["product_id"], "name": "long shelf", "config_data": {"width": 1.1}}).encode(),
    headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
urllib.request.urlopen(request).read()

# 9. A new version: widths up to 1.0 m.
width.max_value = 1.0
steps["republish"] = reports_of(bpy.ops.configurator.publish)
second = session_state.stored_publish(bpy.context)
result({"steps": steps, "table": table, "problems": problems, "refused": refused, "kept_width": kept_width,
        "shown_width": shown_width, "reset_width": reset_width, "first": first, "second": second,
        "lines": panel.publishing.describe(second), "drawing": drawn(panel.CONFIGURATOR_PT_publish)})
'''


def test_the_worked_example_of_the_authoring_guide(live_server, tmp_path):
    """docs/authoring.md, "From an empty file to a published product", step by step."""
    found = run_bpy(WORKED_EXAMPLE, str(tmp_path), live_server.url, live_server.secret_key)
    assert all(step["outcome"] == ["FINISHED"] for step in found["steps"].values()), found["steps"]
    assert found["table"] == {"width": ["0.4 – 1.2", "m", "GN socket"], "bracket": ["Steel, Brass", "", "variant set"],
                              "finish": ["Oak, Walnut", "", "material group"]}
    assert found["problems"] == []
    assert "shelves wider than 1 m need steel brackets" in found["refused"]
    assert (found["kept_width"], found["shown_width"], found["reset_width"]) == (0.8, 1.1, 0.8)
    assert (found["first"]["action"], found["first"]["name"], found["first"]["schema_version"]) == (
        "created", "Wall Shelf", 1)
    second = found["second"]
    assert (second["action"], second["schema_version"], second["previous_schema_version"]) == ("replaced", 2, 1)
    assert [(c["kind"], c["key"], c["breaking"]) for c in second["compatibility"]["changes"]] == [
        ("range_narrowed", "width", True)]
    assert found["lines"][0].startswith("Published 'Wall Shelf' schema version 2 (was 1)")
    assert "1 of 1 saved configuration(s) would no longer validate" in found["lines"]
    assert "1 of 1 saved configurations would no longer validate" in found["drawing"]
    print("\n" + "\n".join(found["lines"]))

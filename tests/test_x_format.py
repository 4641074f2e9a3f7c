"""Display formats (`cfg_formats` → `x-format`): a template names how a shopper reads a number,
inspection checks the names and puts them in the schema, and a format the app would not know
is an inspection error naming the property, not a number shown wrong.

The templates are built in a process of their own (`python tests/test_x_format.py OUT_DIR`):
building resets Blender's main file, which the engine in the test process must not see.
"""
from __future__ import annotations

import json
import os
import sys

import pytest

FORMATTED = {"handle_height": "percent", "lid_angle": "angle", "inset": "length", "shelf_count": "plain"}

# name -> (cfg_formats as stored on the product collection, expected error code or None)
TEMPLATES = {
    "formatted": (FORMATTED, None),
    "formatted_as_json_text": (json.dumps({"handle_height": "percent"}), None),
    "unformatted": (None, None),
    "unknown_format": ({"handle_height": "percentage"}, "UNKNOWN_FORMAT"),
    "unknown_parameter": ({"handle_hieght": "percent"}, "UNKNOWN_FORMAT_PARAMETER"),
    "kind_mismatch": ({"shelf_count": "percent"}, "FORMAT_KIND_MISMATCH"),
    "not_a_mapping": ("[\"percent\"]", "BAD_FORMATS"),
    "not_json": ("{handle_height: percent}", "BAD_FORMATS"),
}


def _build(path: str, formats) -> str:
    """A box with a 0-1 factor, an angle, a plain float in metres and an int, and `formats`."""
    from template_fixtures import _box_node_group, _mesh_object, _product, _reset, _save

    _reset()
    product = _product("Format Box")
    tree, sockets, _ = _box_node_group(extra_inputs=(
        ("Handle Height", "NodeSocketFloat"), ("Lid Angle", "NodeSocketFloat"),
        ("Inset", "NodeSocketFloat"), ("Shelf Count", "NodeSocketInt")))
    for name, subtype, low, high, default in (("Handle Height", "FACTOR", 0.0, 1.0, 0.5),
                                              ("Lid Angle", "ANGLE", 0.0, 1.5, 0.25),
                                              ("Inset", "NONE", 0.0, 0.05, 0.01)):
        socket = sockets[name]
        socket.subtype = subtype
        socket.min_value, socket.max_value, socket.default_value = low, high, default
    sockets["Shelf Count"].min_value, sockets["Shelf Count"].max_value = 0, 4
    body = _mesh_object("Body", product)
    body.modifiers.new("Shape", "NODES").node_group = tree
    if formats is not None:
        product["cfg_formats"] = formats
    return _save(path)


def _build_all(out_dir: str) -> dict[str, str]:
    os.makedirs(out_dir, exist_ok=True)
    return {name: _build(os.path.join(out_dir, f"{name}.blend"), formats)
            for name, (formats, _) in TEMPLATES.items()}


@pytest.fixture(scope="module")
def format_templates(tmp_path_factory) -> dict[str, str]:
    from processes import last_json_line, run_python

    out = tmp_path_factory.mktemp("format_templates")
    done = run_python(os.path.abspath(__file__), str(out), check=True)
    return last_json_line(done)


def test_formats_named_by_the_template_are_in_the_schema_and_the_parameters(engine, format_templates):
    inspection = engine.inspect(format_templates["formatted"])
    props = inspection.schema["properties"]
    assert {key: props[key].get("x-format") for key in props} == {
        "width": None, "height": None, "depth": None, **FORMATTED}
    # A length is in metres, like a Distance socket, so the app converts it to the shopper's unit.
    assert props["inset"]["x-unit"] == "m"
    assert "x-unit" not in props["handle_height"] and "x-unit" not in props["lid_angle"]
    # The values stay what Blender holds: formats change how they read, not the bounds.
    assert (props["handle_height"]["minimum"], props["handle_height"]["maximum"]) == (0.0, 1.0)
    assert {p.key: p.as_dict().get("format") for p in inspection.parameters}["lid_angle"] == "angle"


def test_a_json_text_property_names_formats_too(engine, format_templates):
    props = engine.inspect(format_templates["formatted_as_json_text"]).schema["properties"]
    assert props["handle_height"]["x-format"] == "percent"
    assert "x-format" not in props["lid_angle"]


def test_without_formats_no_parameter_carries_one(engine, format_templates):
    props = engine.inspect(format_templates["unformatted"]).schema["properties"]
    assert [key for key, prop in props.items() if "x-format" in prop] == []
    assert "x-unit" not in props["inset"]


@pytest.mark.parametrize("name", sorted(n for n, (_, code) in TEMPLATES.items() if code))
def test_a_format_the_app_would_not_understand_is_an_inspection_error(engine, format_templates, name):
    from configurator_addon.errors import TemplateContractError

    with pytest.raises(TemplateContractError) as caught:
        engine.inspect(format_templates[name])
    (error,) = caught.value.errors
    assert error.code == TEMPLATES[name][1]
    assert "collection 'Format Box'" in error.location and "'cfg_formats'" in error.location


def test_errors_say_what_is_wrong_and_what_is_allowed(engine, format_templates):
    from configurator_addon.errors import TemplateContractError

    with pytest.raises(TemplateContractError) as caught:
        engine.inspect(format_templates["unknown_format"])
    (error,) = caught.value.errors
    assert "'percentage'" in error.message and "angle, length, percent, plain" in error.message
    assert "'handle_height'" in error.location

    with pytest.raises(TemplateContractError) as caught:
        engine.inspect(format_templates["kind_mismatch"])
    (error,) = caught.value.errors
    assert "'shelf_count' is int" in error.message and "float" in error.message


def test_a_new_version_that_changes_a_format_says_so_and_breaks_nothing():
    from configurator_addon.services.schema_diff import diff_schemas, is_breaking

    share = {"type": "number", "title": "Handle Height", "minimum": 0.0, "maximum": 1.0, "default": 0.5,
             "x-kind": "float"}
    before = {"type": "object", "properties": {"handle_height": share}}
    after = {"type": "object", "properties": {"handle_height": {**share, "x-format": "percent"}}}
    (change,) = diff_schemas(before, after)
    assert (change["kind"], change["key"], change["from"], change["to"]) == (
        "format_changed", "handle_height", None, "percent")
    assert not is_breaking([change]) and "saved values are kept" in change["message"]
    assert diff_schemas(after, after) == []


@pytest.mark.slow
def test_the_cabinets_handle_position_reads_as_a_percentage(engine, sample_catalog):
    cabinet = next(s for s in sample_catalog if s["slug"] == "kitchen_base_cabinet")
    props = engine.inspect(cabinet["path"]).schema["properties"]
    assert props["handle_position"]["x-format"] == "percent"
    assert [key for key, prop in props.items() if "x-format" in prop] == ["handle_position"]


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    print(json.dumps(_build_all(sys.argv[1])))

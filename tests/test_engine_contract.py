"""Template contract v1: what inspection finds in a template, and what it rejects."""
from __future__ import annotations

import glob
import os

import pytest

from configurator_addon.engine.config_validation import validate_config
from configurator_addon.errors import TemplateContractError, TemplateUnreadableError
from template_fixtures import BAD_TEMPLATES, EVIL_MARKER


def test_valid_template_yields_a_json_schema_with_every_parameter_kind(engine, fixture_templates):
    inspection = engine.inspect(fixture_templates["valid"])
    schema = inspection.schema
    props = schema["properties"]

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert {k: props[k]["x-kind"] for k in props} == {
        "width": "float", "height": "float", "depth": "float", "label": "text", "shelf_count": "int",
        "glass": "bool", "trim_colour": "color", "style": "menu", "handle": "variant",
        "body_finish": "material", "handle_finish": "material",
    }
    assert props["width"] == {"type": "number", "title": "Width", "description": "Overall width", "minimum": 0.3,
                              "maximum": 1.2, "default": 0.6, "x-unit": "m", "x-kind": "float"}
    assert props["shelf_count"]["type"] == "integer"
    assert (props["shelf_count"]["minimum"], props["shelf_count"]["maximum"]) == (0, 4)
    assert props["trim_colour"]["default"] == "#ff0000"
    assert props["style"]["enum"] == ["Modern", "Classic"]
    assert props["handle"] == props["handle"] | {"enum": ["Bar", "Knob"], "default": "Knob"}
    assert sorted(props["body_finish"]["enum"]) == ["Oak", "Walnut"]
    assert props["body_finish"]["default"] == "Oak"
    assert set(props["handle_finish"]["x-swatches"]) == {"Steel", "Brass"}
    assert schema["allOf"][0]["x-message"].startswith("boxes wider than 1 m")
    assert "_internal" not in props and "cfg_product" not in props


def test_a_template_named_by_a_relative_path_is_itself_not_a_linked_library(engine, fixture_templates,
                                                                            monkeypatch):
    folder, name = os.path.split(fixture_templates["valid"])
    monkeypatch.chdir(folder)
    assert engine.inspect(name).schema == engine.inspect(fixture_templates["valid"]).schema


def test_a_key_found_in_two_sources_is_one_parameter(engine, fixture_templates):
    inspection = engine.inspect(fixture_templates["valid"])
    width = next(p for p in inspection.parameters if p.key == "width")
    assert [s.kind for s in width.sources] == ["float", "float"]
    assert any("property 'width'" in s.location for s in width.sources)
    assert any("input 'Width'" in s.location for s in width.sources)


def test_schema_accepts_its_own_defaults(engine, fixture_templates):
    schema = engine.inspect(fixture_templates["valid"]).schema
    filled = validate_config(schema, {})
    assert filled["width"] == 0.6 and filled["handle"] == "Knob"


@pytest.mark.parametrize("name", sorted(BAD_TEMPLATES))
def test_contract_violations_are_reported_with_their_own_error(engine, fixture_templates, name):
    expected_code = BAD_TEMPLATES[name][1]
    with pytest.raises(TemplateContractError) as caught:
        engine.inspect(fixture_templates[name])
    codes = [e.code for e in caught.value.errors]
    assert expected_code in codes, caught.value
    assert all(e.location and e.message for e in caught.value.errors)


def test_errors_name_the_datablock_at_fault(engine, fixture_templates):
    with pytest.raises(TemplateContractError) as caught:
        engine.inspect(fixture_templates["unknown_socket"])
    (error,) = caught.value.errors
    assert "object 'Body'" in error.location and "input 'Offset'" in error.location
    assert "NodeSocketVector" in error.message

    with pytest.raises(TemplateContractError) as caught:
        engine.inspect(fixture_templates["type_conflict"])
    assert "'width'" in caught.value.errors[0].message and "float" in caught.value.errors[0].message

    with pytest.raises(TemplateContractError) as caught:
        engine.inspect(fixture_templates["two_products"])
    assert "'First'" in caught.value.errors[0].message and "'Second'" in caught.value.errors[0].message


@pytest.mark.parametrize("name", ["python_driver", "text_script"])
def test_template_scripts_never_run(engine, fixture_templates, marker_dir, name):
    with pytest.raises(TemplateContractError):
        engine.inspect(fixture_templates[name])
    with pytest.raises(TemplateContractError):
        engine.generate(fixture_templates[name], {})
    assert glob.glob(os.path.join(marker_dir, EVIL_MARKER + "*")) == []


def test_a_file_that_is_not_a_blend_is_rejected_cleanly(engine, tmp_path):
    bogus = tmp_path / "not_a_template.blend"
    bogus.write_bytes(b"BLENDER? no, just text " * 20)
    with pytest.raises(TemplateUnreadableError) as caught:
        engine.inspect(str(bogus))
    assert caught.value.errors[0].code == "TEMPLATE_UNREADABLE"
    with pytest.raises(TemplateUnreadableError):
        engine.inspect(str(tmp_path / "missing.blend"))

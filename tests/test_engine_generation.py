"""Generating GLBs from a template: values applied, variants and materials chosen, invalid
configurations refused, output deterministic, nothing left behind."""
from __future__ import annotations

import json

import pytest

import glb_geometry as glb
from configurator_addon.engine.blender.cache import TemplateCache
from configurator_addon.engine.blender.generation import Engine
from configurator_addon.errors import ConfigValidationError
from datablocks import datablock_counts
from processes import run_python


def test_dimensions_follow_the_configuration(engine, fixture_templates):
    for width, height in ((0.4, 0.6), (1.15, 0.95)):
        result = engine.generate(fixture_templates["valid"], {"width": width, "height": height, "shelf_count": 3})
        w, h, _ = glb.dimensions(result.glb)
        assert w == pytest.approx(width, abs=1e-3)
        assert h == pytest.approx(height, abs=1e-3)


def test_driver_reads_collection_property(engine, fixture_templates):
    """The handle's drivers place it at height/2 from the collection property `height`."""
    result = engine.generate(fixture_templates["valid"], {"height": 0.9, "handle": "Bar"})
    document, _ = glb.split_glb(result.glb)
    handle = next(n for n in document["nodes"] if n["name"] == "Bar Handle")
    assert handle["translation"][1] == pytest.approx(0.45, abs=1e-4)  # glTF Y is Blender Z


def test_chosen_variant_and_materials_are_exported_and_others_are_not(engine, fixture_templates):
    result = engine.generate(fixture_templates["valid"],
                             {"handle": "Bar", "body_finish": "Walnut", "handle_finish": "Brass"})
    nodes, materials = glb.names(result.glb, "nodes"), glb.names(result.glb, "materials")
    assert "Bar Handle" in nodes and "Knob Handle" not in nodes
    assert set(materials) == {"Walnut", "Brass"}

    result = engine.generate(fixture_templates["valid"], {})
    nodes, materials = glb.names(result.glb, "nodes"), glb.names(result.glb, "materials")
    assert "Knob Handle" in nodes and "Bar Handle" not in nodes
    assert set(materials) == {"Oak", "Steel"}


@pytest.mark.parametrize("config, pointer, code", [
    ({"width": "wide"}, "/width", "SCHEMA_TYPE"),
    ({"shelf_count": 1.5}, "/shelf_count", "SCHEMA_TYPE"),
    ({"width": 2.0}, "/width", "SCHEMA_MAXIMUM"),
    ({"style": "Baroque"}, "/style", "SCHEMA_ENUM"),
    ({"trim_colour": "red"}, "/trim_colour", "SCHEMA_PATTERN"),
    ({"colour": "#ffffff"}, "/colour", "UNKNOWN_PARAMETER"),
    ({"width": 1.1, "shelf_count": 1}, "/shelf_count", "RULE_VIOLATED"),
])
def test_invalid_configurations_are_rejected_with_pointers(engine, fixture_templates, config, pointer, code):
    before = engine.generate(fixture_templates["valid"], {"width": 0.5}).glb
    with pytest.raises(ConfigValidationError) as caught:
        engine.generate(fixture_templates["valid"], config)
    assert [(e.pointer, e.code) for e in caught.value.errors] == [(pointer, code)]
    # Nothing of the refused configuration reached the template.
    assert engine.generate(fixture_templates["valid"], {"width": 0.5}).glb == before


def test_rule_violation_uses_the_rule_message(engine, fixture_templates):
    with pytest.raises(ConfigValidationError) as caught:
        engine.generate(fixture_templates["valid"], {"width": 1.1})
    assert "boxes wider than 1 m need at least 2 shelves" in caught.value.errors[0].message


def test_configuration_must_be_an_object(engine, fixture_templates):
    with pytest.raises(ConfigValidationError) as caught:
        engine.generate(fixture_templates["valid"], [1, 2])
    assert caught.value.errors[0].pointer == ""


def test_same_inputs_give_identical_bytes_across_jobs_and_processes(engine, fixture_templates, tmp_path):
    config = {"width": 0.75, "handle": "Bar", "body_finish": "Walnut"}
    first = engine.generate(fixture_templates["valid"], config)
    engine.generate(fixture_templates["valid"], {"width": 1.2, "shelf_count": 4})  # something else between
    again = engine.generate(fixture_templates["valid"], config)
    assert again.glb == first.glb
    assert again.cache_key == first.cache_key

    out = tmp_path / "fresh.glb"
    done = run_python("server_entry.py", "generate", fixture_templates["valid"], "--config", json.dumps(config),
                      "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == first.glb
    assert json.loads(done.stdout)["cache_key"] == first.cache_key


def test_cache_key_ignores_how_defaults_were_given(engine, fixture_templates):
    implicit = engine.generate(fixture_templates["valid"], {"width": 0.7})
    explicit = engine.generate(fixture_templates["valid"], {"width": 0.7, "handle": "Knob", "height": 0.8})
    assert implicit.cache_key == explicit.cache_key
    assert engine.generate(fixture_templates["valid"], {"width": 0.7}, draco=True).cache_key != implicit.cache_key


def test_several_cached_templates_do_not_change_each_others_output(fixture_templates):
    engine = Engine(TemplateCache(max_templates=4))
    alone = engine.generate(fixture_templates["valid"], {"handle": "Bar"}, version="copy-1").glb
    engine.generate(fixture_templates["valid"], {"handle": "Knob", "width": 1.0, "shelf_count": 2},
                    version="copy-2")
    assert len(engine.cache) == 2
    # Same names in the file as the other cached copy, yet the GLB shows the authored names.
    assert engine.generate(fixture_templates["valid"], {"handle": "Bar"}, version="copy-1").glb == alone
    assert "Bar Handle" in glb.names(alone, "nodes")
    engine.cache.clear()


def test_jobs_leave_no_datablocks_behind(engine, fixture_templates):
    engine.generate(fixture_templates["valid"], {})
    baseline = datablock_counts()
    for shelf_count in range(5):
        engine.generate(fixture_templates["valid"], {"shelf_count": shelf_count, "handle": "Bar"}, draco=True)
    with pytest.raises(ConfigValidationError):
        engine.generate(fixture_templates["valid"], {"width": -1})
    assert datablock_counts() == baseline


def test_least_recently_used_template_is_evicted_and_removed(fixture_templates):
    before = datablock_counts()
    engine = Engine(TemplateCache(max_templates=2))
    engine.generate(fixture_templates["valid"], {}, version="a")
    with_one = datablock_counts()
    engine.generate(fixture_templates["valid"], {}, version="b")
    engine.generate(fixture_templates["valid"], {}, version="a")  # a is now most recent
    engine.generate(fixture_templates["valid"], {}, version="c")
    assert "a" in engine.cache and "c" in engine.cache and "b" not in engine.cache
    engine.cache.clear()
    assert datablock_counts() == before
    assert with_one["objects"] > before["objects"]


def test_draco_compresses_and_timings_are_reported(engine, fixture_templates):
    plain = engine.generate(fixture_templates["valid"], {"shelf_count": 2})
    packed = engine.generate(fixture_templates["valid"], {"shelf_count": 2}, draco=True)
    document, _ = glb.split_glb(packed.glb)
    assert "KHR_draco_mesh_compression" in document.get("extensionsRequired", [])
    assert glb.dimensions(packed.glb) == pytest.approx(glb.dimensions(plain.glb), abs=1e-3)
    assert set(plain.timings) == {"load_ms", "apply_ms", "export_ms", "total_ms"}
    assert plain.timings["export_ms"] > 0 and plain.timings["total_ms"] >= plain.timings["export_ms"]


def test_cancellation_between_stages_stops_the_job(engine, fixture_templates):
    class Cancelled(Exception):
        pass

    def cancel_before_export(stage):
        if stage == "export":
            raise Cancelled

    expected = engine.generate(fixture_templates["valid"], {"width": 0.55}).glb
    baseline = datablock_counts()
    with pytest.raises(Cancelled):
        engine.generate(fixture_templates["valid"], {"width": 0.9}, before_stage=cancel_before_export)
    assert datablock_counts() == baseline
    assert engine.generate(fixture_templates["valid"], {"width": 0.55}).glb == expected


CLASHING_SESSION = r'''
import json, shutil, sys
sys.path[:0] = [".", "tests"]
import bpy
template, copy = sys.argv[1], sys.argv[2]
shutil.copy(template, copy)
bpy.ops.wm.open_mainfile(filepath=template)  # a session already holding every name the template uses
import glb_geometry as glb
from configurator_addon.engine.blender.generation import Engine
engine = Engine()
schema = engine.inspect(copy).schema
result = engine.generate(copy, {"handle": "Bar", "body_finish": "Walnut"})
print(json.dumps({"handles": schema["properties"]["handle"]["enum"], "nodes": glb.names(result.glb, "nodes"),
                  "materials": glb.names(result.glb, "materials")}))
'''


def test_authored_names_survive_a_session_that_already_uses_them(fixture_templates, tmp_path):
    done = run_python("-c", CLASHING_SESSION, fixture_templates["valid"], str(tmp_path / "copy.blend"))
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"handles": ["Bar", "Knob"], "nodes": ["Body", "Bar Handle"], "materials": ["Walnut", "Steel"]}


def test_inputs_that_did_not_change_are_not_re_evaluated(engine, fixture_templates):
    import bpy

    updated: list[str] = []

    def record(scene, depsgraph):
        updated.extend(u.id.name for u in depsgraph.updates if u.is_updated_geometry)

    config = {"width": 0.7, "height": 0.9, "depth": 0.45}
    engine.generate(fixture_templates["valid"], config)
    bpy.app.handlers.depsgraph_update_post.append(record)
    try:
        engine.generate(fixture_templates["valid"], {**config, "handle_finish": "Brass"})
        assert not any(name.endswith("Body") for name in updated), updated  # floats equal at 32-bit precision
        engine.generate(fixture_templates["valid"], {**config, "width": 0.8, "handle_finish": "Brass"})
        assert any(name.endswith("Body") for name in updated), updated
    finally:
        bpy.app.handlers.depsgraph_update_post.remove(record)


def test_one_and_one_point_zero_are_the_same_configuration(engine, fixture_templates):
    as_int = engine.generate(fixture_templates["valid"], {"height": 1, "shelf_count": 2.0})
    as_float = engine.generate(fixture_templates["valid"], {"height": 1.0, "shelf_count": 2})
    assert as_int.cache_key == as_float.cache_key
    assert as_int.config["height"] == 1.0 and isinstance(as_int.config["height"], float)
    assert as_int.config["shelf_count"] == 2 and isinstance(as_int.config["shelf_count"], int)

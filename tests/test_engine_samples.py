"""The sample products in `templates/`: valid templates, exact GLBs, valid glTF."""
from __future__ import annotations

import pytest

import glb_geometry as glb
from configurator_addon.engine.config_validation import validate_config
from configurator_addon.errors import ConfigValidationError
from gltf_validation import validate_glbs


def test_every_sample_inspects_cleanly_and_accepts_its_defaults(engine, sample_catalog):
    assert len(sample_catalog) >= 3
    kinds = set()
    for sample in sample_catalog:
        inspection = engine.inspect(sample["path"])
        defaults = validate_config(inspection.schema, {})
        assert defaults == {p.key: p.default for p in inspection.parameters}
        kinds |= {p.kind for p in inspection.parameters}
        assert inspection.schema["title"]
    # Together the samples use every parameter source of the contract.
    assert kinds >= {"float", "int", "bool", "menu", "color", "material", "variant"}
    assert any("allOf" in engine.inspect(s["path"]).schema for s in sample_catalog)


def _examples(catalog):
    return [(s["slug"], index) for s in catalog for index in range(len(s["examples"]))]


@pytest.fixture(scope="module")
def generated(engine, sample_catalog):
    """Every catalog example generated once, with and without Draco."""
    out = {}
    for sample in sample_catalog:
        for index, example in enumerate(sample["examples"]):
            for draco in (False, True):
                out[sample["slug"], index, draco] = engine.generate(sample["path"], example["config"], draco=draco)
    return out


def test_samples_have_at_least_three_examples(sample_catalog):
    for sample in sample_catalog:
        assert len(sample["examples"]) >= 3, sample["slug"]


def test_generated_glbs_pass_the_khronos_validator(sample_catalog, generated):
    reports = validate_glbs([result.glb for result in generated.values()])  # one validator run for all
    assert len(reports) == len(generated)
    for key, report in zip(generated, reports, strict=True):
        assert report["issues"]["numErrors"] == 0, (key, report["issues"]["messages"][:5])


def test_bounding_box_matches_the_configuration(sample_catalog, generated):
    for sample in sample_catalog:
        for index, example in enumerate(sample["examples"]):
            for draco in (False, True):
                measured = glb.dimensions(generated[sample["slug"], index, draco].glb)
                assert measured == pytest.approx(example["bbox_m"], abs=1e-3), (sample["slug"], example["config"])


def test_chosen_variants_and_materials_are_exported_and_others_are_not(sample_catalog, generated):
    for sample in sample_catalog:
        for index, example in enumerate(sample["examples"]):
            data = generated[sample["slug"], index, False].glb
            exported = set(glb.names(data, "nodes")) | set(glb.names(data, "materials"))
            missing = [n for n in example["present"] if n not in exported]
            unwanted = [n for n in example["absent"] if n in exported]
            assert not missing and not unwanted, (sample["slug"], example["config"], missing, unwanted)


def test_cabinet_rule_rejects_a_wide_single_door(engine, sample_catalog):
    cabinet = next(s for s in sample_catalog if s["slug"] == "kitchen_base_cabinet")
    with pytest.raises(ConfigValidationError) as caught:
        engine.generate(cabinet["path"], {"width": 1.0, "door_count": 1})
    assert [e.pointer for e in caught.value.errors] == ["/door_count"]
    assert caught.value.errors[0].code == "RULE_VIOLATED"

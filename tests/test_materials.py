"""Materials (contract v1.1, docs/template-contract.md): packed image textures reach the GLB
in the format they were packed in, unpacked ones are refused, v1 templates export as before."""
from __future__ import annotations

import os

import pytest

import glb_geometry
from configurator_addon.engine import glb
from configurator_addon.errors import TemplateContractError
from gltf_validation import validate_glbs
from processes import ROOT, last_json_line, run_python


@pytest.fixture(scope="module")
def material_templates(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("material_templates")
    done = run_python(os.path.join(ROOT, "tests", "material_templates.py"), str(out), check=True)
    return last_json_line(done)


def _document(data: bytes) -> dict:
    document, _ = glb.split_glb(data)
    return document


def _attributes(document: dict) -> set[str]:
    return {name for mesh in document["meshes"] for primitive in mesh["primitives"] for name in primitive["attributes"]}


def test_packed_images_reach_the_glb_in_their_own_format_and_validate(engine, material_templates):
    png = engine.generate(material_templates["packed_png"], {})
    webp = engine.generate(material_templates["packed_webp"], {"width": 1.1})
    for result, mime in ((png, "image/png"), (webp, "image/webp")):
        document = _document(result.glb)
        (image,) = document["images"]
        assert image["mimeType"] == mime
        (material,) = document["materials"]
        assert "baseColorTexture" in material["pbrMetallicRoughness"]
        assert "TEXCOORD_0" in _attributes(document)
    assert _document(webp.glb)["extensionsRequired"] == ["EXT_texture_webp"]
    reports = validate_glbs([png.glb, webp.glb])
    assert [r["issues"]["numErrors"] for r in reports] == [0, 0], [r["issues"]["messages"][:5] for r in reports]


def test_an_unpacked_image_is_refused_naming_it(engine, material_templates):
    with pytest.raises(TemplateContractError) as refused:
        engine.inspect(material_templates["unpacked"])
    (error,) = refused.value.errors
    assert error.code == "EXTERNAL_IMAGE" and "outside.png" in error.message


def test_a_v1_template_without_textures_exports_as_before(engine, fixture_templates):
    document = _document(engine.generate(fixture_templates["valid"], {}).glb)
    assert "images" not in document and "textures" not in document
    assert "TEXCOORD_0" not in _attributes(document)
    assert glb_geometry.dimensions(engine.generate(fixture_templates["valid"], {}).glb)

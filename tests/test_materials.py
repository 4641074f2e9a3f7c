"""Materials (contract v1.1, docs/template-contract.md): packed image textures reach the GLB
in the format they were packed in, unpacked ones are refused, v1 templates export as before;
procedural materials are baked once per template version at publish, and jobs load the bake."""
from __future__ import annotations

import hashlib
import json
import os
import urllib.parse

import pytest

import glb_geometry
from configurator_addon.engine import glb
from configurator_addon.errors import TemplateContractError
from configurator_addon.jobs.template_files import bake_blob_path, bake_record_path
from configurator_addon.server import keys
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_api import run_queued_jobs, upload_product
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


def _served_path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _job_glb(api, worker, product_id: str, config: dict) -> bytes:
    job = await (await api.post("/api/v1/jobs", json={"product_id": product_id, "config_data": config})).json()
    await run_queued_jobs(worker)
    done = await (await api.get(f"/api/v1/jobs/{job['id']}")).json()
    assert done["status"] == "COMPLETED", done
    response = await api.get(_served_path(done["result_url"]))
    assert response.status == 200
    return await response.read()


@pytest.mark.slow
@pytest.mark.real_inspector
async def test_a_procedural_template_is_baked_once_at_publish_and_jobs_load_the_bake(api, worker,
                                                                                       material_templates):
    resources = api.server.app[keys.RESOURCES]
    bakes, store = resources.products.bakes, resources.store
    first = await upload_product(api, material_templates["procedural"], "Grain box")
    version = first["template_version"]
    assert bakes.bakes_run == 1
    record_bytes = await store.get(bake_record_path(DEMO_CLIENT_ID, version))
    record = json.loads(record_bytes)
    assert [(b["material"], b["resolution"], sorted(b["images"])) for b in record["baked"]] == [
        ("Grain", 64, ["base_color", "metallic_roughness", "normal"])]
    baked = await store.get(bake_blob_path(DEMO_CLIENT_ID, version))
    assert hashlib.sha256(baked).hexdigest() == record["sha256"] != version

    # The same bytes published again (another product) bake nothing: the record is the cache.
    second = await upload_product(api, material_templates["procedural"], "Grain box again")
    assert second["template_version"] == version
    assert bakes.bakes_run == 1
    assert await store.get(bake_record_path(DEMO_CLIENT_ID, version)) == record_bytes

    # Jobs load the baked template: the textured finish has its images, the flat one none.
    grain = _document(await _job_glb(api, worker, second["id"], {"finish": "Grain", "width": 1.2}))
    flat = _document(await _job_glb(api, worker, second["id"], {"finish": "Flat"}))
    (material,) = grain["materials"]
    assert {"baseColorTexture", "metallicRoughnessTexture"} <= set(material["pbrMetallicRoughness"])
    assert "normalTexture" in material and len(grain["images"]) == 3
    assert "TEXCOORD_0" in _attributes(grain)
    assert "images" not in flat and "baseColorTexture" not in flat["materials"][0]["pbrMetallicRoughness"]

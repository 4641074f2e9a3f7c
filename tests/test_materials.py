"""Materials (contract v1.1, docs/template-contract.md): packed image textures reach the GLB
in the format they were packed in, unpacked ones are refused, v1 templates export as before;
procedural materials are baked once per template version at publish, and jobs load the bake."""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import urllib.parse
import zipfile

import numpy as np
import pytest

import glb_geometry
from configurator_addon.engine import glb
from configurator_addon.errors import TemplateContractError
from configurator_addon.server import keys
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from configurator_addon.storage.bakes import bake_blob_path, bake_record_path
from fixtures_api import new_client, run_queued_jobs, upload_product
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


# -- the samples, baked as a publish bakes them ------------------------------------------
TEXTURED = {  # finish -> the textures its baked material carries
    "Oak": {"baseColorTexture", "metallicRoughnessTexture", "normalTexture"},
    "Walnut": {"baseColorTexture", "metallicRoughnessTexture", "normalTexture"},
    "Brushed Steel": {"metallicRoughnessTexture"},
    "Brass": {"metallicRoughnessTexture"},
    "Limestone": {"baseColorTexture", "metallicRoughnessTexture", "normalTexture"},
    "Honed Slate": {"baseColorTexture", "metallicRoughnessTexture", "normalTexture"},
    "Glazed Tile": {"metallicRoughnessTexture", "normalTexture"},  # its colour stays the tiles' parameter
    "Stainless Steel": {"metallicRoughnessTexture"},
    "Copper": {"metallicRoughnessTexture"},
}
FLAT = {"White Matte", "Sage Green", "Navy Blue", "Red Lacquer", "Matte Black", "Painted White", "Charcoal",
        "Cast Iron", "Gloss White", "Baffle Filter", "LED Light"}
# Configurations that show every finish of the samples at least once.
FINISH_CONFIGS = {
    "kitchen_base_cabinet": [{"carcass_finish": c, "handle_finish": h} for c, h in (
        ("Oak", "Brass"), ("Walnut", "Brushed Steel"), ("White Matte", "Matte Black"), ("Sage Green", "Brass"),
        ("Navy Blue", "Matte Black"), ("Red Lacquer", "Brushed Steel"))],
    "fireplace_surround": [{"surround_finish": f, "hearth": True} for f in ("Oak", "Limestone", "Painted White",
                                                                          "Charcoal")],
    "range_hood": [{"hood_finish": f} for f in ("Stainless Steel", "Copper", "Matte Black", "Gloss White")],
}
TEXTURE_KEYS = {"baseColorTexture", "metallicRoughnessTexture", "normalTexture", "occlusionTexture",
                "emissiveTexture"}


def _textures_of(material: dict) -> set[str]:
    found = {key for key in TEXTURE_KEYS if key in material}
    return found | {key for key in TEXTURE_KEYS if key in material.get("pbrMetallicRoughness", {})}


@pytest.mark.slow
def test_every_sample_finish_validates_with_textures_where_it_has_grain_and_none_where_flat(engine, sample_catalog,
                                                                                            baked_samples):
    results = []
    for sample in sample_catalog:
        for config in FINISH_CONFIGS[sample["slug"]] + [e["config"] for e in sample["examples"]]:
            results.append((sample["slug"], config, engine.generate(baked_samples[sample["slug"]], config).glb))
    seen = set()
    for slug, config, data in results:
        document = _document(data)
        for material in document["materials"]:
            name = material["name"]
            seen.add(name)
            assert name in TEXTURED or name in FLAT, (slug, name)
            assert _textures_of(material) == TEXTURED.get(name, set()), (slug, config, name)
        if not {m["name"] for m in document["materials"]} & set(TEXTURED):
            assert "images" not in document, (slug, config)  # flat finishes carry no image
    assert seen == set(TEXTURED) | FLAT  # every finish was tried
    lacquer = next(_document(d) for s, c, d in results if c.get("carcass_finish") == "Red Lacquer")
    (coat,) = [m for m in lacquer["materials"] if m["name"] == "Red Lacquer"]
    assert coat["extensions"]["KHR_materials_clearcoat"]["clearcoatFactor"] == 1
    reports = validate_glbs([data for _, _, data in results])
    for (slug, config, _), report in zip(results, reports, strict=True):
        assert report["issues"]["numErrors"] == 0, (slug, config, report["issues"]["messages"][:5])


def _array(document: dict, binary: bytes, index: int) -> np.ndarray:
    accessor = document["accessors"][index]
    view = document["bufferViews"][accessor["bufferView"]]
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[accessor["type"]]
    kind = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}[accessor["componentType"]]
    values = np.frombuffer(binary, dtype=kind, count=accessor["count"] * width,
                           offset=view.get("byteOffset", 0) + accessor.get("byteOffset", 0))
    return values.reshape(accessor["count"], width)


def _triangles(data: bytes, node_prefix: str) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """(positions of each triangle's corners, their UVs or None) per primitive of the nodes
    whose name starts with `node_prefix`."""
    document, binary = glb.split_glb(data)
    found = []
    for node in document["nodes"]:
        if "mesh" not in node or not node.get("name", "").startswith(node_prefix):
            continue
        for primitive in document["meshes"][node["mesh"]]["primitives"]:
            corners = _array(document, binary, primitive["indices"]).reshape(-1)
            positions = _array(document, binary, primitive["attributes"]["POSITION"])[corners].reshape(-1, 3, 3)
            uv = primitive["attributes"].get("TEXCOORD_0")
            uvs = _array(document, binary, uv)[corners].reshape(-1, 3, 2) if uv is not None else None
            found.append((positions.astype(np.float64), None if uvs is None else uvs.astype(np.float64)))
    return found


def _texel_density(data: bytes, node_prefix: str) -> float:
    """UV units per metre over a part's surface: sqrt(UV area / surface area)."""
    uv_area = surface = 0.0
    for positions, uvs in _triangles(data, node_prefix):
        assert uvs is not None, node_prefix
        surface += np.linalg.norm(np.cross(positions[:, 1] - positions[:, 0], positions[:, 2] - positions[:, 0]),
                                  axis=1).sum() / 2
        edges_u, edges_v = uvs[:, 1] - uvs[:, 0], uvs[:, 2] - uvs[:, 0]
        uv_area += np.abs(edges_u[:, 0] * edges_v[:, 1] - edges_u[:, 1] * edges_v[:, 0]).sum() / 2
    return math.sqrt(uv_area / surface)


@pytest.mark.slow
def test_texel_density_of_the_cabinets_doors_and_carcass_holds_from_width_0_3_to_1_2(engine, baked_samples):
    cabinet = baked_samples["kitchen_base_cabinet"]
    densities = {}
    for width, doors in ((0.3, 1), (0.6, 1), (1.2, 2)):
        data = engine.generate(cabinet, {"width": width, "door_count": doors, "carcass_finish": "Oak"}).glb
        densities[width] = {part: _texel_density(data, part) for part in ("Carcass", "Doors")}
    for part in ("Carcass", "Doors"):
        values = [densities[width][part] for width in densities]
        assert max(values) <= 1.1 * min(values), (part, densities)
        assert 0.8 < values[0] < 1.2, (part, densities)  # UVs in metres: a tile is cfg_bake_size of them


def _coincident_faces(data: bytes, node_prefix: str) -> list:
    """Pairs of non-degenerate triangles of a part that lie in one plane facing each other and
    overlap: two boards butting, where a renderer that draws both makes them z-fight (the seams
    issue 13 saw). Faces in one plane facing the same way (boards overlapping by a hair) draw
    alike — same part, material, normal and world-projected UVs — and are not counted."""
    pairs = []
    for positions, _ in _triangles(data, node_prefix):
        normals = np.cross(positions[:, 1] - positions[:, 0], positions[:, 2] - positions[:, 0])
        areas = np.linalg.norm(normals, axis=1)
        keep = areas > 1e-9
        positions, normals = positions[keep], normals[keep] / areas[keep, None]
        offsets = np.einsum("ij,ij->i", normals, positions[:, 0])
        for i in range(len(positions)):
            dots = normals[i + 1:] @ normals[i]
            in_plane = np.abs(offsets[i + 1:] - np.sign(dots) * offsets[i]) < 1e-5
            same_plane = (np.abs(dots + 1) < 1e-4) & in_plane
            for j in np.nonzero(same_plane)[0] + i + 1:
                if _overlap(positions[i], positions[j], int(np.argmax(np.abs(normals[i])))):
                    pairs.append((positions[i].round(4).tolist(), positions[j].round(4).tolist()))
    return pairs


def _overlap(a: np.ndarray, b: np.ndarray, axis: int) -> bool:
    """Whether points well inside triangle `b` fall strictly inside `a` (both projected along `axis`)."""
    keep = [k for k in range(3) if k != axis]
    a, b = a[:, keep], b[:, keep]
    probes = [b.mean(0)] + [0.6 * b[k] + 0.2 * b[(k + 1) % 3] + 0.2 * b[(k + 2) % 3] for k in range(3)]

    def side(p, q, r):
        return (p[0] - r[0]) * (q[1] - r[1]) - (q[0] - r[0]) * (p[1] - r[1])

    for point in probes:
        signs = [side(point, a[k], a[(k + 1) % 3]) for k in range(3)]
        if all(s > 1e-12 for s in signs) or all(s < -1e-12 for s in signs):
            return True
    return False


def test_the_cabinets_carcass_has_no_coincident_faces_at_its_joints(engine, sample_catalog):
    """Issue 13's dotted seams: the carcass's boards butted exactly, so every joint held two
    faces in one plane (24 pairs at the defaults), and the bevel grooved each board's own edges
    there. Boards reaching 0.1 mm into the ones they meet, with square edges, leave none at any
    width (and no slit: a gap instead shows as a dotted line in a Workbench render)."""
    cabinet = next(s["path"] for s in sample_catalog if s["slug"] == "kitchen_base_cabinet")
    for width, doors in ((0.3, 1), (0.6, 1), (1.2, 2)):
        data = engine.generate(cabinet, {"width": width, "door_count": doors}).glb
        assert _coincident_faces(data, "Carcass") == [], width


@pytest.mark.slow
def test_ar_and_morph_exports_of_a_baked_finish_carry_its_textures(engine, baked_samples):
    """Thumbnails, USDZ and morph GLBs load the same baked template as jobs; AR Quick Look
    reads PNG and JPEG only, so the USDZ's textures are PNGs of the packed WebPs."""
    cabinet = baked_samples["kitchen_base_cabinet"]
    usdz = engine.generate(cabinet, {"carcass_finish": "Oak"}, file_format="usdz").glb
    with zipfile.ZipFile(io.BytesIO(usdz)) as package:
        textures = {name: package.read(name)[:8] for name in package.namelist() if name.startswith("textures/")}
    assert {"textures/Oak_base_colour.png", "textures/Oak_metallic_roughness.png", "textures/Oak_normal.png"} <= set(
        textures)
    assert all(head == b"\x89PNG\r\n\x1a\n" for head in textures.values()), textures
    morph = _document(engine.generate(cabinet, {"carcass_finish": "Walnut"}, morph=True).glb)
    (walnut,) = [m for m in morph["materials"] if m["name"] == "Walnut"]
    assert _textures_of(walnut) == TEXTURED["Walnut"]


@pytest.mark.slow
@pytest.mark.real_inspector
async def test_seeding_takes_the_samples_bakes_from_their_build_and_bakes_nothing(api):
    """The samples' build bakes them (templates/build_templates.py); seeding hands those bakes
    to the cache, so a fresh server's publish of its samples runs no bake, and jobs get the
    baked bytes. A bake made at another resolution than the server's is not taken."""
    from configurator_addon.engine.result_keys import template_version
    from configurator_addon.services.seeding import TEMPLATES_DIR, seed_samples

    resources = api.server.app[keys.RESOURCES]
    assert len(await seed_samples(resources, DEMO_CLIENT_ID)) == 3
    assert resources.products.bakes.bakes_run == 0
    with open(os.path.join(TEMPLATES_DIR, "kitchen_base_cabinet.blend"), "rb") as handle:
        cabinet = handle.read()
    with open(os.path.join(TEMPLATES_DIR, "kitchen_base_cabinet.baked.blend"), "rb") as handle:
        built = handle.read()
    version = template_version(cabinet)
    assert await resources.products.bakes.template_for(DEMO_CLIENT_ID, version, cabinet) == built

    other = await new_client(api)
    record = {"template_version": version, "resolution": 1024, "baked": [{"material": "Oak"}], "bake_ms": 1}
    assert await resources.products.bakes.adopt(other, version, built, record) is False
    assert await resources.products.bakes.template_for(other, version, cabinet) is None

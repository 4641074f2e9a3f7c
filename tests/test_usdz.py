"""USDZ for AR (iOS AR Quick Look): every sample's USDZ passes Pixar's ARKit compliance
checker and reads back as the exact configuration — Y up, metres, only the chosen variant's
prims under their authored names, each mesh bound to the chosen finish with its colour, the
configuration's dimensions — made by the engine, the CLI and a job, and served whole with
its own content type."""
from __future__ import annotations

import io
import json
import shutil
import warnings
import zipfile

import pytest
from pxr import Gf, Usd, UsdGeom, UsdShade, UsdUtils

from configurator_addon.engine.blender.usd_export import usd_identifier
from configurator_addon.engine.glb import split_glb
from configurator_addon.engine.result_keys import export_options, result_cache_key, template_version
from configurator_addon.errors import ConfigValidationError
from fixtures_api import run_queued_jobs, upload_product
from processes import output_tail, run_python

USDZ_CONTENT_TYPE = "model/vnd.usdz+zip"
COLOUR_TOLERANCE = 1e-4


# -- reading a USDZ back --------------------------------------------------------------------
def _write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def compliance(path: str) -> tuple[list[str], list[str], list[str]]:
    """(errors, failed checks, warnings) of Pixar's checker with its ARKit rules."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 26.5 still ships it, deprecated
        checker = UsdUtils.ComplianceChecker(arkit=True, skipARKitRootLayerCheck=False, rootPackageOnly=False,
                                             skipVariants=False)
    checker.CheckCompliance(path)
    return checker.GetErrors(), checker.GetFailedChecks(), checker.GetWarnings()


class Read:
    """What a USDZ holds, read with pxr."""

    def __init__(self, path: str):
        self.stage = Usd.Stage.Open(path)
        self.up_axis = UsdGeom.GetStageUpAxis(self.stage)
        self.meters_per_unit = UsdGeom.GetStageMetersPerUnit(self.stage)
        self.prims = list(self.stage.Traverse())
        root = self.stage.GetDefaultPrim()
        # The objects: the Xforms under the root prim (materials live in its _materials scope).
        self.objects = {p.GetName() for p in root.GetChildren() if p.IsA(UsdGeom.Xform)}
        self.meshes = [p for p in self.prims if p.IsA(UsdGeom.Mesh)]
        bounds = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.default_, UsdGeom.Tokens.render])
        self.size = list(bounds.ComputeWorldBound(self.stage.GetPseudoRoot()).ComputeAlignedRange().GetSize())

    def names(self) -> set[str]:
        return {p.GetName() for p in self.prims}

    def bound_materials(self, mesh) -> list:
        """The materials a mesh's faces are bound to: its own binding and its subsets'."""
        found = []
        for prim in [mesh, *(s.GetPrim() for s in UsdGeom.Subset.GetAllGeomSubsets(UsdGeom.Mesh(mesh)))]:
            material, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()
            if material:
                found.append(material)
        return found

    @staticmethod
    def surface(material) -> tuple[str, Gf.Vec3f]:
        """The name of the material's surface shader prim and its diffuse colour."""
        shader = material.ComputeSurfaceSource()[0]
        assert shader and shader.GetIdAttr().Get() == "UsdPreviewSurface", material.GetPath()
        source = shader.GetInput("diffuseColor")
        assert not source.HasConnectedSource(), f"{material.GetPath()}: a textured colour, not a plain finish"
        return shader.GetPrim().GetName(), source.Get()


def blender_base_colours(engine, path: str) -> dict[str, tuple[str, tuple[float, float, float]]]:
    """Authored material name -> (its Principled BSDF node's name, the node's base colour
    (linear)) in the cached template."""
    with open(path, "rb") as handle:
        entry, _ = engine.cache.get(template_version(handle.read()), path)
    colours = {}
    for material in entry.loaded.materials:
        node = next((n for n in material.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
        if node is not None:
            colours[entry.loaded.original_name(material)] = (node.name,
                                                             tuple(node.inputs["Base Color"].default_value)[:3])
    return colours


def chosen_finishes(engine, path: str, config: dict) -> set[str]:
    """The material names the configuration chooses (its material group parameters)."""
    inspection = engine.inspect(path)
    full = {p.key: p.default for p in inspection.parameters} | config
    return {full[p.key] for p in inspection.parameters if p.kind == "material"}


def check_usdz(engine, sample: dict, example: dict, data: bytes, tmp_path, name: str) -> Read:
    """Every property a USDZ of `example` must have; returns what was read."""
    path = _write(tmp_path, name, data)
    errors, failed, warned = compliance(path)
    assert (errors, failed) == ([], []), (name, errors, failed)
    if warned:
        print(f"{name}: compliance warnings: {warned}")
    with zipfile.ZipFile(io.BytesIO(data)) as package:  # AR Quick Look reads only stored entries
        assert package.namelist()[0].endswith(".usdc")
        assert all(info.compress_type == zipfile.ZIP_STORED for info in package.infolist())

    read = Read(path)
    assert read.up_axis == UsdGeom.Tokens.y and read.meters_per_unit == 1.0, name
    names = read.names()
    assert not any(n.startswith("_") and n[1:2].isdigit() for n in names), sorted(names)  # no "~3~" prefix
    present = {usd_identifier(n) for n in example["present"]}
    absent = {usd_identifier(n) for n in example["absent"]}
    assert present <= names, (name, sorted(present - names))
    assert not absent & names, (name, sorted(absent & names))

    colours = blender_base_colours(engine, sample["path"])
    finishes = {usd_identifier(f) for f in chosen_finishes(engine, sample["path"], example["config"])}
    bound_names = set()
    assert read.meshes, name
    for mesh in read.meshes:
        materials = read.bound_materials(mesh)
        assert materials, f"{name}: {mesh.GetPath()} has no bound material"
        for material in materials:
            authored = next(n for n in colours if usd_identifier(n) == material.GetPrim().GetName())
            node, colour = colours[authored]
            # The shader is the Principled BSDF converted (not a stand-in from the viewport colour).
            shader, diffuse = read.surface(material)
            assert shader == usd_identifier(node), (name, str(material.GetPath()), shader)
            assert diffuse == pytest.approx(colour, abs=COLOUR_TOLERANCE), (name, str(material.GetPath()))
            bound_names.add(material.GetPrim().GetName())
    assert finishes <= bound_names, (name, sorted(finishes - bound_names))
    assert read.size == pytest.approx(example["bbox_m"], abs=1e-3), (name, read.size)
    return read


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def made(engine, sample_catalog):
    """Every catalog example as a USDZ and as a GLB, from the warm engine."""
    out = {}
    for sample in sample_catalog:
        for index, example in enumerate(sample["examples"]):
            out[sample["slug"], index] = (engine.generate(sample["path"], example["config"], file_format="usdz"),
                                          engine.generate(sample["path"], example["config"]))
    return out


# -- the engine -----------------------------------------------------------------------------
def test_every_example_is_an_arkit_compliant_usdz_of_its_configuration(engine, sample_catalog, made, tmp_path):
    for sample in sample_catalog:
        for index, example in enumerate(sample["examples"]):
            usdz, exact = made[sample["slug"], index]
            read = check_usdz(engine, sample, example, usdz.glb, tmp_path, f"{sample['slug']}-{index}.usdz")
            # The objects are the meshes the GLB of the same configuration has, under the same names.
            document, _ = split_glb(exact.glb)
            glb_objects = {usd_identifier(n["name"]) for n in document["nodes"] if "mesh" in n}
            assert read.objects == glb_objects, (sample["slug"], index, read.objects ^ glb_objects)


def test_changing_a_choice_changes_the_prims(engine, sample_catalog, tmp_path):
    cabinet = next(s for s in sample_catalog if s["slug"] == "kitchen_base_cabinet")
    shaker = Read(_write(tmp_path, "shaker.usdz", engine.generate(cabinet["path"], {}, file_format="usdz").glb))
    slab = Read(_write(tmp_path, "slab.usdz", engine.generate(
        cabinet["path"], {"door_style": "Slab", "handle_style": "Knob"}, file_format="usdz").glb))
    assert {"Doors__Shaker_", "Handles__Bar_Pull_"} <= shaker.objects
    assert not {"Doors__Slab_", "Handles__Knob_"} & shaker.objects
    assert {"Doors__Slab_", "Handles__Knob_"} <= slab.objects
    assert not {"Doors__Shaker_", "Handles__Bar_Pull_"} & slab.objects


def test_a_usdz_leaves_the_template_as_it_found_it(engine, sample_catalog):
    """Names, render visibility and material slots are put back: the GLB after a USDZ is the
    same bytes as before it."""
    for sample in sample_catalog:
        config = sample["examples"][-1]["config"]
        before = engine.generate(sample["path"], config)
        engine.generate(sample["path"], config, file_format="usdz")
        assert engine.generate(sample["path"], config).glb == before.glb, sample["slug"]


def test_usdz_results_have_their_own_cache_key_and_glb_keys_stay_as_they_were():
    assert export_options(False) == {"draco": False, "format": 1}  # the key every stored GLB has
    assert export_options(True) == {"draco": True, "format": 1}
    assert export_options(False, file_format="usdz") == {"draco": False, "file_format": "usdz", "format": 1}
    assert result_cache_key("v", {}, export_options(False, file_format="usdz")) != \
        result_cache_key("v", {}, export_options(False))


def test_usdz_with_draco_or_morph_is_refused(engine, sample_catalog):
    path = sample_catalog[0]["path"]
    for options in ({"draco": True}, {"morph": True}):
        with pytest.raises(ConfigValidationError, match="USDZ has neither"):
            engine.generate(path, {}, file_format="usdz", **options)


# -- the CLI --------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_cli_writes_a_usdz_for_every_sample(engine, sample_catalog, tmp_path):
    for sample in sample_catalog:
        example = sample["examples"][1]
        out = tmp_path / f"{sample['slug']}.usdz"
        done = run_python("server_entry.py", "generate", sample["path"], "--config", json.dumps(example["config"]),
                          "--format", "usdz", "-o", str(out))
        assert done.returncode == 0, output_tail(done)
        answer = json.loads(done.stdout)
        assert answer["format"] == "usdz" and answer["bytes"] == out.stat().st_size
        check_usdz(engine, sample, example, out.read_bytes(), tmp_path, f"cli-{sample['slug']}.usdz")


# -- through the API ------------------------------------------------------------------------
@pytest.mark.slow
async def test_a_usdz_job_is_served_whole_with_its_content_type(api, worker, engine, sample_catalog, tmp_path):
    for sample in sample_catalog:
        example = sample["examples"][0]
        product = await upload_product(api, sample["path"], name=sample["name"])
        body = {"product_id": product["id"], "config_data": example["config"]}
        exact = await (await api.post("/api/v1/jobs", json=body)).json()
        job = await (await api.post("/api/v1/jobs", json={**body, "options": {"format": "usdz"}})).json()
        assert job["id"] != exact["id"] and job["cache_key"] != exact["cache_key"]
        await run_queued_jobs(worker)
        done = await (await api.get(f"/api/v1/jobs/{job['id']}")).json()
        assert done["status"] == "COMPLETED", done
        assert done["result_url"].split("?")[0].endswith(".usdz")

        response = await api.get(done["result_url"], headers={"Accept-Encoding": "gzip, br"})
        assert response.status == 200
        assert response.headers["Content-Type"] == USDZ_CONTENT_TYPE
        assert "Content-Encoding" not in response.headers
        data = await response.read()
        assert int(response.headers["Content-Length"]) == len(data)
        check_usdz(engine, sample, example, data, tmp_path, f"api-{sample['slug']}.usdz")

        part = await api.get(done["result_url"], headers={"Range": "bytes=0-99", "Accept-Encoding": "gzip"})
        assert part.status == 206 and part.headers["Content-Type"] == USDZ_CONTENT_TYPE
        assert "Content-Encoding" not in part.headers
        assert await part.read() == data[:100]

        again = await api.post("/api/v1/jobs", json={**body, "options": {"format": "usdz"}})
        assert again.status == 200 and (await again.json())["cache_key"] == job["cache_key"]


async def test_usdz_with_morph_or_draco_is_a_422_problem(api, sample_catalog):
    product = await upload_product(api, sample_catalog[2]["path"], name="Hood")
    for options in ({"format": "usdz", "morph": True}, {"format": "usdz", "draco": True}, {"format": "obj"}):
        response = await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {},
                                                        "options": options})
        assert response.status == 422, options
        assert response.content_type == "application/problem+json"
        if "morph" in options or "draco" in options:
            assert "format usdz cannot be combined with draco or morph" in await response.text()



# -- the confined engine process ------------------------------------------------------------
@pytest.mark.slow
async def test_the_confined_engine_process_makes_the_usdz(engine, sample_catalog, tmp_path):
    """Landlock lets the engine process write only its scratch folder: the exporter's
    temporary folder and the package are made there."""
    from configurator_addon.sandbox.sandboxed_engine import SandboxedEngine
    from configurator_addon.settings import Settings

    sample = next(s for s in sample_catalog if s["slug"] == "range_hood")
    folder = tmp_path / "templates"
    folder.mkdir()
    path = shutil.copy(sample["path"], folder / sample["blend"])
    confined = SandboxedEngine(Settings(var_dir=str(tmp_path / "var"), engine_sandbox=True), str(folder))
    try:
        example = sample["examples"][3]
        result = await confined.generate(str(path), example["config"], file_format="usdz")
    finally:
        await confined.close()
    assert result.cache_key == engine.generate(sample["path"], example["config"], file_format="usdz").cache_key
    check_usdz(engine, sample, example, result.glb, tmp_path, "confined.usdz")


@pytest.mark.slow
@pytest.mark.azure_storage
async def test_with_azure_storage_a_usdz_result_is_a_signed_blob_of_its_content_type(api, worker, engine,
                                                                                        sample_catalog, tmp_path):
    """Browsers fetch results from Azure itself: the blob is stored with the USDZ type."""
    import aiohttp

    sample = next(s for s in sample_catalog if s["slug"] == "range_hood")
    example = sample["examples"][0]
    product = await upload_product(api, sample["path"], name=sample["name"])
    job = await (await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": example["config"],
                                                     "options": {"format": "usdz"}})).json()
    await run_queued_jobs(worker)
    done = await (await api.get(f"/api/v1/jobs/{job['id']}")).json()
    assert done["status"] == "COMPLETED", done
    assert done["result_url"].split("?")[0].endswith(".usdz") and "sig=" in done["result_url"]
    async with aiohttp.ClientSession(auto_decompress=False) as session, \
            session.get(done["result_url"], headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == USDZ_CONTENT_TYPE
        assert "Content-Encoding" not in response.headers
        data = await response.read()
    check_usdz(engine, sample, example, data, tmp_path, "azure.usdz")

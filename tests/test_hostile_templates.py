"""Hostile templates: a template is self-contained or it is refused.

Each template here is valid but for one way of reaching outside its `.blend` (a node that
reads a file, an unpacked image or font, a linked library, a driver that needs Python…).
Inspection must refuse it with that rule's own code and name the datablock and node at
fault; the upload endpoint must answer 422 and store nothing. One template packs or embeds
everything and must stay accepted.

The templates are built in a process of their own (`python tests/test_hostile_templates.py
OUT_DIR MARKER_DIR`): building resets Blender's main file, which the engine must not see.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import sys
import wave

import bpy
import pytest

from configurator_addon.engine.blender.loading import _ID_COLLECTIONS
from configurator_addon.engine.blender.self_contained import self_contained_errors
from configurator_addon.errors import TemplateContractError
from configurator_addon.server import keys
from fixtures_api import upload_product
from processes import ROOT, last_json_line, run_python
from template_fixtures import EVIL_MARKER, _box_node_group, _material, _mesh_object, _product, _reset, _save

PROBLEM = "application/problem+json"
SECRET_FILE = "/etc/passwd"


# -- builders (run in the child process) -------------------------------------------------
def _python_expression(marker_dir: str, name: str) -> str:
    """A driver expression that would write a marker file if Python ever ran it."""
    marker = os.path.join(marker_dir, f"{EVIL_MARKER}_{name}")
    return f"len(open({marker!r}, 'w').write('ran')) * 0"


def _body(product):
    return _mesh_object("Body", product, size=0.5)


def build_import_text(path, out_dir, marker_dir):
    """A Geometry Nodes group whose Import Text node reads /etc/passwd."""
    _reset()
    body = _body(_product())
    tree = bpy.data.node_groups.new("Reader", "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    reader = tree.nodes.new("GeometryNodeImportText")
    reader.name = "Read Secrets"
    reader.inputs["Path"].default_value = SECRET_FILE
    length = tree.nodes.new("FunctionNodeStringLength")
    line = tree.nodes.new("GeometryNodeMeshLine")
    tree.links.new(reader.outputs[0], length.inputs["String"])
    tree.links.new(length.outputs[0], line.inputs["Count"])
    tree.links.new(line.outputs[0], tree.nodes.new("NodeGroupOutput").inputs["Geometry"])
    body.modifiers.new("Shape", "NODES").node_group = tree
    return _save(path)


def build_external_osl(path, out_dir, marker_dir):
    """A material whose Script node runs an OSL file from disk."""
    _reset()
    body = _body(_product())
    material = _material("Shader Trick", (0.5, 0.5, 0.5, 1))
    script = material.node_tree.nodes.new("ShaderNodeScript")
    script.name = "Outside Script"
    script.mode = "EXTERNAL"
    script.filepath = "/srv/shared/trick.osl"
    body.data.materials.append(material)
    return _save(path)


def _image_on_disk(out_dir, name):
    """A real PNG next to the template, loaded as an image datablock (source FILE)."""
    generated = bpy.data.images.new(f"{name}-pixels", 4, 4)
    generated.filepath_raw = os.path.join(out_dir, f"{name}.png")
    generated.file_format = "PNG"
    generated.save()
    image = bpy.data.images.load(generated.filepath_raw)
    image.name = name
    bpy.data.images.remove(generated)
    return image


def build_external_image(path, out_dir, marker_dir):
    """An Image Texture in a material's node tree with an absolute, unpacked file path."""
    _reset()
    body = _body(_product())
    material = _material("Photo Finish", (0.5, 0.5, 0.5, 1))
    image = bpy.data.images.new("photo.png", 4, 4)
    image.source = "FILE"
    image.filepath = "/srv/other-client/photo.png"
    texture = material.node_tree.nodes.new("ShaderNodeTexImage")
    texture.name = "Wood Photo"
    texture.image = image
    bsdf = material.node_tree.nodes["Principled BSDF"]
    material.node_tree.links.new(texture.outputs["Color"], bsdf.inputs["Base Color"])
    body.data.materials.append(material)
    return _save(path)


def build_external_font(path, out_dir, marker_dir):
    """A text object whose font is a file on disk, not packed."""
    _reset()
    product = _product()
    _body(product)
    source = sorted(glob.glob(os.path.join(bpy.utils.resource_path("LOCAL"), "datafiles", "fonts", "*.woff2")))[0]
    font_file = shutil.copy(source, os.path.join(out_dir, "outside-font.woff2"))
    curve = bpy.data.curves.new("Label", "FONT")
    curve.body = "Oak"
    curve.font = curve.font_bold = curve.font_italic = curve.font_bold_italic = bpy.data.fonts.load(font_file)
    product.objects.link(bpy.data.objects.new("Label", curve))
    return _save(path)


def _wav(out_dir, name):
    """A tenth of a second of silence, as a WAV file next to the template."""
    path = os.path.join(out_dir, name)
    with wave.open(path, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(b"\0\0" * 800)
    return path


def build_external_sound(path, out_dir, marker_dir):
    """A speaker playing a sound file from disk."""
    _reset()
    product = _product()
    _body(product)
    speaker = bpy.data.speakers.new("Chime Speaker")
    speaker.sound = bpy.data.sounds.load(_wav(out_dir, "chime.wav"))
    product.objects.link(bpy.data.objects.new("Chime", speaker))
    return _save(path)


def build_external_volume(path, out_dir, marker_dir):
    """A volume object whose grids come from a .vdb file."""
    _reset()
    product = _product()
    _body(product)
    volume = bpy.data.volumes.new("Smoke Grid")
    volume.filepath = "/srv/other-client/smoke.vdb"
    product.objects.link(bpy.data.objects.new("Smoke", volume))
    return _save(path)


def build_external_cache_file(path, out_dir, marker_dir):
    """A Mesh Sequence Cache modifier reading an Alembic file."""
    _reset()
    product = _product()
    body = _body(product)
    alembic = os.path.join(out_dir, "motion.abc")
    bpy.ops.wm.alembic_export(filepath=alembic)
    bpy.ops.cachefile.open(filepath=alembic)
    body.modifiers.new("Motion", "MESH_SEQUENCE_CACHE").cache_file = bpy.data.cache_files[0]
    return _save(path)


def build_external_movie_clip(path, out_dir, marker_dir):
    """A Follow Track constraint on a movie clip loaded from disk."""
    _reset()
    body = _body(_product())
    frames = _image_on_disk(out_dir, "footage")
    clip = bpy.data.movieclips.load(frames.filepath)
    clip.name = "Footage"
    body.constraints.new("FOLLOW_TRACK").clip = clip
    return _save(path)


def build_library(path, out_dir, marker_dir):
    """The library the linked template links from: one mesh with a fake user."""
    _reset()
    mesh = bpy.data.meshes.new("Shared Mesh")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    mesh.use_fake_user = True
    return _save(path)


def build_linked_library(path, out_dir, marker_dir):
    """A product object whose mesh is linked from another file."""
    library = build_library(os.path.join(out_dir, "library.blend"), out_dir, marker_dir)
    _reset()
    with bpy.data.libraries.load(library, link=True) as (_, linked):
        linked.meshes = ["Shared Mesh"]
    _product().objects.link(bpy.data.objects.new("Shared", linked.meshes[0]))
    return _save(path)


def build_material_driver(path, out_dir, marker_dir):
    """A Python driver inside a material's node tree."""
    _reset()
    body = _body(_product())
    material = _material("Lacquer", (0.8, 0.1, 0.1, 1))
    curve = material.node_tree.driver_add('nodes["Principled BSDF"].inputs["Roughness"].default_value')
    curve.driver.type = "SCRIPTED"
    curve.driver.expression = _python_expression(marker_dir, "material_driver")
    body.data.materials.append(material)
    return _save(path)


def build_shape_key_driver(path, out_dir, marker_dir):
    """A Python driver on a shape key (the mesh's Key datablock)."""
    _reset()
    body = _body(_product())
    body.shape_key_add(name="Basis")
    body.shape_key_add(name="Open")
    curve = body.data.shape_keys.driver_add('key_blocks["Open"].value')
    curve.driver.type = "SCRIPTED"
    curve.driver.expression = _python_expression(marker_dir, "shape_key_driver")
    return _save(path)


def build_registered_text(path, out_dir, marker_dir):
    """A text registered to run on load."""
    _reset()
    _body(_product())
    marker = os.path.join(marker_dir, f"{EVIL_MARKER}_registered_text")
    text = bpy.data.texts.new("autorun.py")
    text.write(f"open({marker!r}, 'w').write('ran')\n")
    text.use_module = True
    return _save(path)


def build_mesh_cache(path, out_dir, marker_dir):
    """A Mesh Cache modifier reading vertex positions from a file."""
    _reset()
    modifier = _body(_product()).modifiers.new("Positions", "MESH_CACHE")
    modifier.cache_format = "PC2"
    modifier.filepath = "/srv/other-client/positions.pc2"
    return _save(path)


def build_disk_bake(path, out_dir, marker_dir):
    """A Geometry Nodes bake stored on disk, read back when the modifier evaluates."""
    _reset()
    body = _body(_product())
    tree, _, set_material = _box_node_group()
    bake = tree.nodes.new("GeometryNodeBake")
    bake.name = "Baked Box"
    group_out = next(n for n in tree.nodes if n.type == "GROUP_OUTPUT")
    tree.links.new(set_material.outputs[0], bake.inputs[0])
    tree.links.new(bake.outputs[0], group_out.inputs["Geometry"])
    modifier = body.modifiers.new("Shape", "NODES")
    modifier.node_group = tree
    modifier.bake_target = "DISK"
    modifier.bake_directory = "/srv/other-client/bakes"
    return _save(path)


def build_disk_point_cache(path, out_dir, marker_dir):
    """A cloth simulation whose point cache lives on disk (Blender keeps that setting only
    in a saved file)."""
    _reset()
    cloth = _body(_product()).modifiers.new("Cloth", "CLOTH")
    _save(path)
    cloth.point_cache.use_disk_cache = True
    assert cloth.point_cache.use_disk_cache
    return _save(path)


def build_external_point_cache(path, out_dir, marker_dir):
    """A soft body reading an external point cache."""
    _reset()
    soft_body = _body(_product()).modifiers.new("Jelly", "SOFT_BODY")
    soft_body.point_cache.use_external = True
    soft_body.point_cache.filepath = "/srv/other-client/cache"
    return _save(path)


def build_external_particle_cache(path, out_dir, marker_dir):
    """A particle system reading an external point cache."""
    _reset()
    body = _body(_product())
    body.modifiers.new("Sparks", "PARTICLE_SYSTEM")
    cache = body.particle_systems[0].point_cache
    cache.use_external = True
    cache.filepath = "/srv/other-client/sparks"
    body.particle_systems[0].name = "Sparks"
    return _save(path)


def build_fluid_domain(path, out_dir, marker_dir):
    """A fluid domain, which reads its simulation from a cache directory."""
    _reset()
    fluid = _body(_product()).modifiers.new("Fluid", "FLUID")
    fluid.fluid_type = "DOMAIN"
    fluid.domain_settings.cache_directory = "/srv/other-client/fluid"
    return _save(path)


def build_several(path, out_dir, marker_dir):
    """Three different violations in one file: all are reported together."""
    build_import_text(path, out_dir, marker_dir)
    body = bpy.data.objects["Body"]
    body.shape_key_add(name="Basis")
    body.shape_key_add(name="Open")
    curve = body.data.shape_keys.driver_add('key_blocks["Open"].value')
    curve.driver.expression = _python_expression(marker_dir, "several")
    volume = bpy.data.volumes.new("Smoke Grid")
    volume.filepath = "/srv/other-client/smoke.vdb"
    bpy.data.collections["Test Box"].objects.link(bpy.data.objects.new("Smoke", volume))
    return _save(path)


def build_self_contained(path, out_dir, marker_dir):
    """Everything packed or embedded: a packed image file and a packed sound, a generated
    image that still carries a path, an empty volume, an internal OSL script that keeps an old file path, a
    simple-expression driver. Must be accepted."""
    _reset()
    product = _product()
    body = _body(product)
    material = _material("Packed Finish", (0.5, 0.5, 0.5, 1))
    packed = _image_on_disk(out_dir, "packed")
    packed.pack()
    os.remove(packed.filepath)  # the template holds the only copy
    generated = bpy.data.images.new("Generated Grid", 8, 8)
    generated.generated_type = "UV_GRID"
    generated.filepath_raw = "/srv/never-read/grid.png"
    nodes, links = material.node_tree.nodes, material.node_tree.links
    for name, image in (("Packed Photo", packed), ("Grid", generated)):
        texture = nodes.new("ShaderNodeTexImage")
        texture.name, texture.image = name, image
    links.new(nodes["Packed Photo"].outputs["Color"], nodes["Principled BSDF"].inputs["Base Color"])
    script = nodes.new("ShaderNodeScript")
    script.mode = "INTERNAL"
    script.filepath = "/srv/old/shader.osl"
    script.script = bpy.data.texts.new("shader.osl")
    body.data.materials.append(material)
    product.objects.link(bpy.data.objects.new("Mist", bpy.data.volumes.new("Mist Grid")))
    speaker = bpy.data.speakers.new("Packed Speaker")
    speaker.sound = bpy.data.sounds.load(_wav(out_dir, "packed.wav"))
    speaker.sound.pack()
    os.remove(speaker.sound.filepath)
    product.objects.link(bpy.data.objects.new("Chime", speaker))
    # A driver Blender evaluates without Python, inside the material's node tree.
    driver = material.node_tree.driver_add('nodes["Principled BSDF"].inputs["Roughness"].default_value').driver
    driver.type = "SCRIPTED"
    driver.expression = "0.25 + 0.5"
    return _save(path)


def build_builtin_font_text(path, out_dir, marker_dir):
    """A text object in Blender's built-in font: nothing outside the file."""
    _reset()
    product = _product()
    _body(product)
    curve = bpy.data.curves.new("Label", "FONT")
    curve.body = "Oak"
    product.objects.link(bpy.data.objects.new("Label", curve))
    return _save(path)


HOSTILE = {
    # name: (builder, code, what the location must name)
    "import_text": (build_import_text, "FILE_READING_NODE", ("node group 'Reader'", "node 'Read Secrets'")),
    "external_osl": (build_external_osl, "FILE_READING_NODE", ("material 'Shader Trick'", "node 'Outside Script'")),
    "external_image": (build_external_image, "EXTERNAL_IMAGE",
                       ("material 'Photo Finish'", "node 'Wood Photo'", "image 'photo.png'")),
    "external_font": (build_external_font, "EXTERNAL_FONT", ("curve 'Label'", "font '")),
    "external_sound": (build_external_sound, "EXTERNAL_SOUND", ("speaker 'Chime Speaker'", "sound 'chime.wav'")),
    "external_volume": (build_external_volume, "EXTERNAL_VOLUME", ("object 'Smoke'", "volume 'Smoke Grid'")),
    "external_cache_file": (build_external_cache_file, "EXTERNAL_CACHE_FILE",
                            ("object 'Body'", "cache file 'motion.abc'")),
    "external_movie_clip": (build_external_movie_clip, "EXTERNAL_MOVIE_CLIP",
                            ("object 'Body'", "movie clip 'Footage'")),
    "material_driver": (build_material_driver, "PYTHON_DRIVER",
                        ("material 'Lacquer' › node tree", 'nodes["Principled BSDF"]')),
    "shape_key_driver": (build_shape_key_driver, "PYTHON_DRIVER",
                         ("mesh 'Body' › shape keys", 'key_blocks["Open"].value')),
    "registered_text": (build_registered_text, "TEXT_SCRIPT", ("text 'autorun.py'",)),
    "mesh_cache": (build_mesh_cache, "FILE_READING_MODIFIER", ("object 'Body'", "modifier 'Positions'")),
    "disk_bake": (build_disk_bake, "FILE_READING_MODIFIER", ("object 'Body'", "modifier 'Shape'")),
    "disk_point_cache": (build_disk_point_cache, "FILE_READING_MODIFIER", ("object 'Body'", "modifier 'Cloth'")),
    "external_point_cache": (build_external_point_cache, "FILE_READING_MODIFIER",
                             ("object 'Body'", "modifier 'Jelly'")),
    "external_particle_cache": (build_external_particle_cache, "FILE_READING_MODIFIER",
                                ("object 'Body'", "particle system 'Sparks'")),
    "fluid_domain": (build_fluid_domain, "FILE_READING_MODIFIER", ("object 'Body'", "modifier 'Fluid'")),
}
OTHERS = {"linked_library": build_linked_library, "several": build_several, "self_contained": build_self_contained,
          "builtin_font_text": build_builtin_font_text}


def build_all(out_dir: str, marker_dir: str) -> dict[str, str]:
    os.makedirs(out_dir, exist_ok=True)
    builders = {name: entry[0] for name, entry in HOSTILE.items()} | OTHERS
    paths = {name: builder(os.path.join(out_dir, f"{name}.blend"), out_dir, marker_dir)
             for name, builder in builders.items()}
    paths["library"] = os.path.join(out_dir, "library.blend")
    return paths


# -- tests -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile(tmp_path_factory, marker_dir) -> dict[str, str]:
    out = tmp_path_factory.mktemp("hostile_templates")
    done = run_python(os.path.join(ROOT, "tests", "test_hostile_templates.py"), str(out), marker_dir, check=True)
    return last_json_line(done)


def _refusal(engine, path) -> TemplateContractError:
    with pytest.raises(TemplateContractError) as caught:
        engine.inspect(path)
    return caught.value


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_template_reaching_outside_its_file_is_refused_naming_the_culprit(engine, hostile, name):
    _, code, names = HOSTILE[name]
    refusal = _refusal(engine, hostile[name])
    assert refusal.status == 422
    (error,) = [e for e in refusal.errors if e.code == code] or [None]
    assert error is not None, refusal.errors
    for part in names:
        assert part in error.location, (error.location, part)
    assert error.message
    assert all(e.code == code for e in refusal.errors), refusal  # nothing else is wrong with the template


def test_the_file_reading_node_is_refused_as_an_import(engine, hostile):
    (error,) = _refusal(engine, hostile["import_text"]).errors
    assert "imports a file" in error.message


def test_several_violations_are_reported_together(engine, hostile):
    codes = sorted(e.code for e in _refusal(engine, hostile["several"]).errors)
    assert codes == ["EXTERNAL_VOLUME", "FILE_READING_NODE", "PYTHON_DRIVER"]


def test_hostile_templates_never_run_python_or_read_the_file(engine, hostile, marker_dir):
    for name in ("material_driver", "shape_key_driver", "registered_text", "several"):
        _refusal(engine, hostile[name])
        with pytest.raises(TemplateContractError):
            engine.generate(hostile[name], {})
    assert glob.glob(os.path.join(marker_dir, EVIL_MARKER + "*")) == []


def test_a_template_that_packs_or_embeds_everything_is_accepted(engine, hostile):
    inspection = engine.inspect(hostile["self_contained"])
    assert inspection.schema["title"] == "Test Box"
    result = engine.generate(hostile["self_contained"], {})
    assert result.glb[:4] == b"glTF"


def test_the_built_in_font_is_accepted_and_a_font_file_is_not(hostile):
    """The font rule itself, on fonts made in this process (a load of a template with the
    built-in font does not yet reach inspection: see the next test)."""
    fonts_before = {font.as_pointer() for font in bpy.data.fonts}
    curve = bpy.data.curves.new("Label", "FONT")
    outside = bpy.data.fonts.load(os.path.join(os.path.dirname(hostile["external_font"]), "outside-font.woff2"))
    try:
        assert curve.font.filepath == "<builtin>"
        assert self_contained_errors([curve, curve.font]) == []
        curve.font = outside
        (error,) = self_contained_errors([curve, outside])
        assert error.code == "EXTERNAL_FONT" and error.location.startswith("curve 'Label' › font '")
    finally:
        bpy.data.curves.remove(curve)
        for font in [f for f in bpy.data.fonts if f.as_pointer() not in fonts_before]:
            bpy.data.fonts.remove(font)


def test_a_text_in_the_built_in_font_is_accepted(engine, hostile, leftovers_removed):
    assert engine.inspect(hostile["builtin_font_text"]).schema["title"] == "Test Box"


def test_data_linked_from_another_file_is_refused(hostile):
    """The rule itself, on data linked into this process (a load of a template with a link
    is refused before inspection: see the next test)."""
    before = {library.as_pointer() for library in bpy.data.libraries}
    with bpy.data.libraries.load(hostile["library"], link=True) as (_, linked):
        linked.meshes = ["Shared Mesh"]
    library = next(lib for lib in bpy.data.libraries if lib.as_pointer() not in before)
    try:
        (error,) = self_contained_errors(linked.meshes)
        assert error.code == "LINKED_LIBRARY"
        assert error.location == "mesh 'Shared Mesh'" and "'library.blend'" in error.message
    finally:
        bpy.data.batch_remove([library, *linked.meshes])


@pytest.fixture
def leftovers_removed():
    """Removes whatever datablocks a test leaves behind (a load that fails half-way does)."""
    def current():
        return [db for name in _ID_COLLECTIONS for db in getattr(bpy.data, name)]
    before = {db.as_pointer() for db in current()}
    yield
    bpy.data.batch_remove([db for db in current() if db.as_pointer() not in before])


def test_a_template_linking_another_file_is_refused(engine, hostile, leftovers_removed):
    refusal = _refusal(engine, hostile["linked_library"])
    assert {e.code for e in refusal.errors} == {"LINKED_LIBRARY"}
    assert [e.location for e in refusal.errors] == ["library 'library.blend'"]


# -- through the API ---------------------------------------------------------------------
def _blobs(api) -> set[str]:
    root = api.server.app[keys.SETTINGS].blob_dir
    return {os.path.relpath(os.path.join(folder, name), root)
            for folder, _, names in os.walk(root) for name in names}


async def _problem(response, status: int) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    return await response.json()


async def test_a_hostile_upload_is_422_and_stores_nothing(api, hostile, fixture_templates):
    with open(hostile["import_text"], "rb") as handle:
        body = await _problem(await api.post("/api/v1/products", data={"name": "Reader", "template": handle}), 422)
    assert body["code"] == "TEMPLATE_CONTRACT" and body["status"] == 422
    (error,) = body["errors"]
    assert error["code"] == "FILE_READING_NODE" and "node 'Read Secrets'" in error["location"]
    listing = await (await api.get("/api/v1/products")).json()
    assert listing["page"]["total"] == 0
    assert _blobs(api) == set()

    # Replacing a product's template with a hostile one leaves the product as it was.
    product = await upload_product(api, fixture_templates["valid"])
    stored = _blobs(api)
    with open(hostile["external_image"], "rb") as handle:
        body = await _problem(await api.put(f"/api/v1/products/{product['id']}/template",
                                            data={"template": handle}), 422)
    assert [e["code"] for e in body["errors"]] == ["EXTERNAL_IMAGE"]
    after = await (await api.get(f"/api/v1/products/{product['id']}")).json()
    assert (after["template_version"], after["schema_version"]) == (product["template_version"],
                                                                    product["schema_version"])
    assert _blobs(api) == stored
    pool = api.server.app[keys.RESOURCES].pool
    assert await pool.fetchval("SELECT count(*) FROM products") == 1


if __name__ == "__main__":
    print(json.dumps(build_all(sys.argv[1], sys.argv[2])))


_FREED_BEHIND_THE_CACHE = """
import json, sys
import bpy
from configurator_addon.engine.blender.generation import Engine
from configurator_addon.engine.blender.loading import _ID_COLLECTIONS

def present():
    return [db for name in _ID_COLLECTIONS for db in getattr(bpy.data, name)]

engine = Engine()
before = {db.as_pointer() for db in present()}
engine.inspect(sys.argv[1])
added = [db for db in present() if db.as_pointer() not in before]
bpy.data.batch_remove(added)  # the cached template's datablocks, freed behind the cache
engine.cache.clear()          # unloading it must not touch what is gone
print("FREED " + json.dumps({"freed": len(added), "warm": len(engine.cache)}))
"""


def test_unloading_a_template_whose_datablocks_were_freed_meanwhile_does_not_crash(hostile):
    """A warm template whose datablocks Blender (or a clean-up) freed is unloaded without
    touching them: bpy.data.batch_remove on a freed datablock crashes the whole process (a
    segfault, after leftovers_removed had freed this template's datablocks while the engine
    kept it warm). In a child, as a crash would take this process with it."""
    done = run_python("-c", _FREED_BEHIND_THE_CACHE, hostile["builtin_font_text"])
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    outcome = last_json_line(done, "FREED ")
    assert outcome["freed"] > 0 and outcome["warm"] == 0

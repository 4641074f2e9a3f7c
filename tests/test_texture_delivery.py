"""Textures delivered once and shared (issue 14, delivery): a generated GLB names its images by
URI, each a content-addressed immutable blob of its client; *Download GLB* is self-contained.

Through the real API, worker and engine, with a small template whose finish carries packed
images (`texture_templates.py`); the Khronos validator checks both forms of the GLB.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import time
import uuid
import zipfile
from urllib.parse import urljoin

import pytest

from configurator_addon.engine.glb import split_glb
from configurator_addon.engine.glb_textures import embed, embedded_textures, externalize
from configurator_addon.server import keys
from configurator_addon.services.retention import MIN_BLOB_GRACE_HOURS, RetentionSweep
from configurator_addon.storage.textures import RECENT_WRITE_SECONDS
from fixtures_api import new_client, run_queued_jobs, tenant, upload_product
from gltf_validation import NODE_DIR, validate_glb
from processes import ROOT, last_json_line, run, run_python

pytestmark = pytest.mark.slow  # each test generates through Blender and runs Node


@pytest.fixture(scope="session")
def textured_template(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("texture_templates")
    done = run_python(os.path.join(ROOT, "tests", "texture_templates.py"), str(out), check=True)
    return last_json_line(done)["textured_panel"]


async def generate(api, worker, product, config: dict, client=None, options=None) -> dict:
    body = {"product_id": product["id"], "config_data": config, **({"options": options} if options else {})}
    response = await api.post("/api/v1/jobs", json=body, headers=tenant(client))
    assert response.status in (200, 201, 202), await response.text()
    job = await response.json()
    await run_queued_jobs(worker)
    done = await (await api.get(f"/api/v1/jobs/{job['id']}", headers=tenant(client))).json()
    assert done["status"] == "COMPLETED", done
    return done


async def fetch(api, url: str, **headers):
    response = await api.get(url, headers={"Accept-Encoding": "identity", **headers})
    return response, await response.read()


def images_of(glb: bytes) -> list[dict]:
    return split_glb(glb)[0].get("images", [])


def validate_with_resources(glb: bytes, resources: dict[str, bytes], scratch) -> dict:
    """The validator's report on a GLB whose images it reads from `resources` (by file name)."""
    folder = scratch / "resources"
    folder.mkdir(exist_ok=True)
    for name, data in resources.items():
        (folder / name).write_bytes(data)
    (scratch / "split.glb").write_bytes(glb)
    done = run([shutil.which("node"), os.path.join(NODE_DIR, "validate_gltf_resources.mjs"),
                str(scratch / "split.glb"), str(folder)], cwd=NODE_DIR)
    return json.loads(done.stdout.strip().splitlines()[-1])


async def test_textures_are_immutable_blobs_shared_by_the_next_configuration(api, worker, textured_template,
                                                                            engine, tmp_path):
    product = await upload_product(api, textured_template, name="Textured panel")
    first = await generate(api, worker, product, {"width": 0.6, "finish": "Oak"})
    response, glb = await fetch(api, first["result_url"])
    assert response.status == 200
    (image,) = images_of(glb)
    assert "bufferView" not in image and image["uri"].startswith("../textures/")

    texture_url = urljoin(first["result_url"], image["uri"])
    texture_response, texture = await fetch(api, texture_url, **{"Accept-Encoding": "gzip, br"})
    assert texture_response.status == 200
    assert texture_response.headers["Content-Type"] == "image/png"
    assert texture_response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Encoding" not in texture_response.headers  # a PNG is never gzipped again
    assert texture.startswith(b"\x89PNG")
    name = texture_url.split("?")[0].rsplit("/", 1)[1]
    assert name == f"{hashlib.sha256(texture).hexdigest()}.png"
    assert (await api.get(texture_url, headers={"If-None-Match": texture_response.headers["ETag"]})).status == 304

    # The engine's own GLB of the same configuration embeds the very bytes the blob holds.
    exported = engine.generate(textured_template, {"width": 0.6, "finish": "Oak"}).glb
    assert [t.data for t in embedded_textures(exported)] == [texture]
    assert len(glb) <= len(exported) - len(texture) + len(image["uri"]) + 32  # the bytes left are geometry

    second = await generate(api, worker, product, {"width": 1.1, "finish": "Oak"})
    assert second["cache_key"] != first["cache_key"]
    _, second_glb = await fetch(api, second["result_url"])
    assert second_glb != glb
    assert [i["uri"] for i in images_of(second_glb)] == [image["uri"]]

    walnut = await generate(api, worker, product, {"width": 1.1, "finish": "Walnut"})
    _, walnut_glb = await fetch(api, walnut["result_url"])
    assert [i["uri"] for i in images_of(walnut_glb)] != [image["uri"]]

    flat = await generate(api, worker, product, {"width": 1.1, "finish": "White"})
    _, flat_glb = await fetch(api, flat["result_url"])
    assert images_of(flat_glb) == []

    report = validate_with_resources(glb, {name: texture}, tmp_path)
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]
    # The validator read the image through its URI: external, with the size it has.
    (resource,) = [r for r in report["info"]["resources"] if r.get("uri") == image["uri"]]
    assert resource["storage"] == "external", resource
    assert resource["image"]["width"] == 64


async def test_download_glb_is_self_contained_and_valid(api, worker, textured_template):
    product = await upload_product(api, textured_template, name="Textured panel")
    done = await generate(api, worker, product, {"width": 0.8, "finish": "Walnut"})
    _, split = await fetch(api, done["result_url"])
    (image,) = images_of(split)
    _, texture = await fetch(api, urljoin(done["result_url"], image["uri"]))

    response, embedded = await fetch(api, done["result_url"] + "&embedded=1")
    assert response.status == 200
    assert response.headers["Content-Type"] == "model/gltf-binary"
    assert response.headers["Content-Disposition"].startswith("attachment")
    (embedded_image,) = images_of(embedded)
    assert "uri" not in embedded_image and embedded_image["mimeType"] == "image/png"
    assert [t.data for t in embedded_textures(embedded)] == [texture]
    report = validate_glb(embedded)
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]
    assert (await api.get(done["result_url"] + "&embedded=1",
                          headers={"If-None-Match": response.headers["ETag"]})).status == 304
    # Without the signature the embedded form is refused like the GLB itself.
    unsigned = done["result_url"].split("?")[0] + "?embedded=1"
    assert (await api.get(unsigned)).status == 403


async def test_a_morph_glb_names_its_textures_like_an_exact_one(api, worker, textured_template):
    product = await upload_product(api, textured_template, name="Textured panel")
    exact = await generate(api, worker, product, {"width": 0.7, "finish": "Oak"})
    morph = await generate(api, worker, product, {"width": 0.7, "finish": "Oak"}, options={"morph": True})
    assert morph["cache_key"] != exact["cache_key"]
    _, exact_glb = await fetch(api, exact["result_url"])
    _, morph_glb = await fetch(api, morph["result_url"])
    assert [i["uri"] for i in images_of(morph_glb)] == [i["uri"] for i in images_of(exact_glb)]


async def test_another_client_cannot_read_the_textures(api, worker, textured_template):
    product = await upload_product(api, textured_template, name="Textured panel")
    ours = await generate(api, worker, product, {"width": 0.6, "finish": "Oak"})
    other = await new_client(api)
    their_product = await upload_product(api, textured_template, name="Their panel", client_id=other)
    theirs = await generate(api, worker, their_product, {"width": 0.6, "finish": "Oak"}, client=other)

    _, our_glb = await fetch(api, ours["result_url"])
    _, their_glb = await fetch(api, theirs["result_url"])
    our_url = urljoin(ours["result_url"], images_of(our_glb)[0]["uri"])
    their_url = urljoin(theirs["result_url"], images_of(their_glb)[0]["uri"])
    # The same image, stored once per client, each under its own client's folder.
    assert our_url.split("?")[0] != their_url.split("?")[0]
    assert f"/blobs/{other}/textures/" in their_url
    assert (await api.get(our_url)).status == 200 and (await api.get(their_url)).status == 200

    our_path, _, our_query = our_url.partition("?")
    their_path, _, their_query = their_url.partition("?")
    # Their signature does not open our texture of the same bytes, nor does none at all: 404.
    for url in (f"{our_path}?{their_query}", our_path, f"{our_path}?signature=x"):
        response = await api.get(url, headers=tenant(other))
        assert response.status == 404, url
        assert response.headers["Content-Type"].startswith("application/problem+json")
    # A GLB's expiring signature is no texture signature either.
    glb_query = ours["result_url"].partition("?")[2]
    assert (await api.get(f"{our_path}?{glb_query}")).status == 404


async def test_retention_keeps_textures_a_kept_glb_uses_and_collects_the_rest(api, worker, textured_template):
    app = api.server.app
    store, settings = app[keys.RESOURCES].store, app[keys.SETTINGS]
    product = await upload_product(api, textured_template, name="Textured panel")
    kept = await generate(api, worker, product, {"width": 0.6, "finish": "Oak"})
    dropped = await generate(api, worker, product, {"width": 0.6, "finish": "Walnut"})
    _, kept_glb = await fetch(api, kept["result_url"])
    _, dropped_glb = await fetch(api, dropped["result_url"])
    client = kept["result_url"].split("/blobs/")[1].split("/")[0]
    oak = f"{client}/textures/{images_of(kept_glb)[0]['uri'].split('/')[-1].split('?')[0]}"
    walnut = f"{client}/textures/{images_of(dropped_glb)[0]['uri'].split('/')[-1].split('?')[0]}"
    # The walnut GLB is gone (as retention removes an unreferenced one); every blob is old.
    await store.delete(dropped["result_url"].split("/blobs/")[1].split("?")[0])
    old = time.time() - 48 * 3600
    for path in (oak, walnut):
        os.utime(store.local_file_path(path), (old, old))

    sweep = RetentionSweep(settings.database_url, store, job_retention_days=30, blob_grace_hours=24)
    report = await sweep.run()
    assert report.textures == 1
    assert await store.exists(oak)
    assert not await store.exists(walnut)
    assert (await api.get(urljoin(kept["result_url"], images_of(kept_glb)[0]["uri"]))).status == 200

    # A texture written within the grace period stays though nothing refers to it yet.
    await store.put(walnut, b"\x89PNG fresh", "image/png")
    assert (await sweep.run()).textures == 0 and await store.exists(walnut)

    # A GLB of the client that cannot be read (not one this service wrote) keeps all its
    # client's textures: what it names cannot be known.
    os.utime(store.local_file_path(walnut), (old, old))
    await store.put(f"{client}/glb/{'0' * 64}.glb", b"not a GLB", "model/gltf-binary")
    assert (await sweep.run()).textures == 0 and await store.exists(walnut)


async def _oak_written_two_hours_ago(api, worker, textured_template):
    """A product whose first GLB (oak) has been stored, its texture made to look written two
    hours ago (to tell a write since): (the store, the product, the texture's path, that time)."""
    store = api.server.app[keys.RESOURCES].store
    product = await upload_product(api, textured_template, name="Textured panel")
    first = await generate(api, worker, product, {"width": 0.6, "finish": "Oak"})
    oak = _texture_of(first["result_url"], (await fetch(api, first["result_url"]))[1])
    old = time.time() - 2 * 3600
    os.utime(store.local_file_path(oak), (old, old))
    return store, product, oak, old


def _texture_of(result_url: str, glb: bytes) -> str:
    client = result_url.split("/blobs/")[1].split("/")[0]
    return f"{client}/textures/{images_of(glb)[0]['uri'].split('/')[-1].split('?')[0]}"


async def test_a_texture_the_worker_wrote_lately_is_not_written_again(api, worker, textured_template):
    store, product, oak, old = await _oak_written_two_hours_ago(api, worker, textured_template)

    # The next GLB with the same texture, within the window: the texture is not written.
    second = await generate(api, worker, product, {"width": 1.1, "finish": "Oak"})
    assert os.path.getmtime(store.local_file_path(oak)) == pytest.approx(old)
    assert _texture_of(second["result_url"], (await fetch(api, second["result_url"]))[1]) == oak

    # Once the window has passed, it is written again with the next GLB that uses it.
    worker.recent_textures.clock = lambda: time.monotonic() + worker.recent_textures.window
    await generate(api, worker, product, {"width": 0.9, "finish": "Oak"})
    assert os.path.getmtime(store.local_file_path(oak)) > old + 3600


class _SlowGlbWrites:
    """The worker's store, with each GLB write taking longer than the recent-writes window
    (what a long storage outage between the textures and the GLB does)."""

    def __init__(self, store, recent):
        self._store, self._recent, self._offset = store, recent, 0.0
        recent.clock = lambda: time.monotonic() + self._offset

    def __getattr__(self, name):
        return getattr(self._store, name)

    async def put(self, path, data, content_type):
        if path.endswith(".glb"):
            self._offset += self._recent.window
        return await self._store.put(path, data, content_type)


async def test_a_glb_stored_long_after_its_textures_writes_them_again(api, worker, textured_template):
    store, product, oak, old = await _oak_written_two_hours_ago(api, worker, textured_template)
    worker.store = _SlowGlbWrites(worker.store, worker.recent_textures)
    await generate(api, worker, product, {"width": 1.1, "finish": "Oak"})
    assert os.path.getmtime(store.local_file_path(oak)) > old + 3600


def test_no_host_sweeps_with_a_grace_shorter_than_the_recent_writes_window(api):
    app = api.server.app
    settings, store = app[keys.SETTINGS], app[keys.RESOURCES].store
    with pytest.raises(ValueError, match="BLOB_GRACE_HOURS"):
        RetentionSweep.from_settings(dataclasses.replace(settings, blob_grace_hours=0.1), store)
    sweep = RetentionSweep.from_settings(dataclasses.replace(settings, blob_grace_hours=MIN_BLOB_GRACE_HOURS), store)
    assert sweep.grace.total_seconds() > RECENT_WRITE_SECONDS


def test_splitting_and_embedding_again_round_trips(engine, textured_template):
    exported = engine.generate(textured_template, {"width": 0.9, "finish": "Walnut"}).glb
    (texture,) = embedded_textures(exported)
    split, textures = externalize(exported, lambda t: f"../textures/{t.digest}.{t.extension}")
    assert textures == [texture]
    document, binary = split_glb(split)
    assert document["buffers"][0]["byteLength"] == len(binary) < len(split_glb(exported)[1])
    assert all(view["byteLength"] != len(texture.data) for view in document["bufferViews"])
    again = embed(split, lambda uri: texture.data)
    assert [t.data for t in embedded_textures(again)] == [texture.data]
    assert validate_glb(again)["issues"]["numErrors"] == 0
    # Geometry is untouched: every accessor reads the bytes it read before.
    before, before_bin = split_glb(exported)
    after, after_bin = split_glb(again)
    for accessor_before, accessor_after in zip(before["accessors"], after["accessors"], strict=True):
        view_b, view_a = (before["bufferViews"][accessor_before["bufferView"]],
                          after["bufferViews"][accessor_after["bufferView"]])
        assert (before_bin[view_b.get("byteOffset", 0):][:view_b["byteLength"]]
                == after_bin[view_a.get("byteOffset", 0):][:view_a["byteLength"]])


@pytest.mark.slow
async def test_the_configurator_draws_a_textured_finish_and_fetches_its_texture_once(tmp_path, database,
                                                                                   textured_template):
    from test_webapp_e2e import run_browser_script

    email, password = f"textures-{uuid.uuid4().hex[:10]}@demo.example", f"pw-{uuid.uuid4().hex}"
    outcome = await run_browser_script(tmp_path, database, "textures.e2e.mjs", "textures-e2e",
                                       user=(email, "Tex Admin", password, "admin"), timeout=600,
                                       env={"E2E_EMAIL": email, "E2E_PASSWORD": password,
                                            "TEXTURE_TEMPLATE": textured_template})
    assert outcome["texture_fetches"] == 1
    assert outcome["textured_stddev"] > 3 * outcome["flat_stddev"]


async def test_a_usdz_keeps_its_textures_inside(api, worker, textured_template):
    store = api.server.app[keys.RESOURCES].store
    product = await upload_product(api, textured_template, name="Textured panel")
    done = await generate(api, worker, product, {"width": 0.6, "finish": "Oak"}, options={"format": "usdz"})
    response, usdz = await fetch(api, done["result_url"])
    assert response.status == 200 and usdz[:2] == b"PK"
    with zipfile.ZipFile(io.BytesIO(usdz)) as archive:
        assert any(name.endswith(".png") for name in archive.namelist()), archive.namelist()
    client = done["result_url"].split("/blobs/")[1].split("/")[0]
    assert [info.path async for info in store.list_blobs(f"{client}/textures/")] == []


@pytest.mark.azure_storage
async def test_with_azure_storage_textures_resolve_beside_the_glb_on_azure(api, worker, textured_template):
    """Browsers read Azure's blobs from Azure: the texture URI, relative to the GLB's Azure
    URL, carries a read-only SAS of its own and the blob its type and immutable caching."""
    import aiohttp

    product = await upload_product(api, textured_template, name="Textured panel")
    first = await generate(api, worker, product, {"width": 0.6, "finish": "Oak"})
    second = await generate(api, worker, product, {"width": 0.9, "finish": "Oak"})
    assert "sig=" in first["result_url"]
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async def get(url):
            async with session.get(url) as response:
                return response.status, response.headers, await response.read()

        _, _, glb = await get(first["result_url"])
        _, _, second_glb = await get(second["result_url"])
        (image,) = images_of(glb)
        assert [i["uri"] for i in images_of(second_glb)] == [image["uri"]]
        assert image["uri"].startswith("../textures/") and "sig=" in image["uri"]
        status, headers, texture = await get(urljoin(first["result_url"], image["uri"]))
        assert status == 200 and texture.startswith(b"\x89PNG")
        assert headers["Content-Type"] == "image/png"
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert image["uri"].split("?")[0].endswith(f"{hashlib.sha256(texture).hexdigest()}.png")
        # Without its SAS Azure refuses it: the container stays private.
        status, _, _ = await get(urljoin(first["result_url"], image["uri"].split("?")[0]))
        assert status in (403, 404)


def test_a_sample_finish_split_and_embedded_again_passes_the_validator(engine, baked_samples, tmp_path):
    """The cabinet in oak: WebP (EXT_texture_webp) and PNG textures with texture transforms."""
    oak = {"carcass_finish": "Oak", "width": 0.9, "door_count": 2}
    exported = engine.generate(baked_samples["kitchen_base_cabinet"], oak).glb
    textures = embedded_textures(exported)
    assert {t.mime_type for t in textures} >= {"image/webp"}
    split, taken = externalize(exported, lambda t: f"../textures/{t.digest}.{t.extension}?signature=s")
    assert taken == textures and all("bufferView" not in image for image in images_of(split))
    assert len(split) < len(exported) - sum(len(t.data) for t in textures) + 100 * len(textures)

    report = validate_with_resources(split, {f"{t.digest}.{t.extension}": t.data for t in textures}, tmp_path)
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]
    external = [r for r in report["info"]["resources"] if r.get("storage") == "external"]
    assert len(external) == len({i["uri"] for i in images_of(split)}) and all("image" in r for r in external)

    by_uri = {f"../textures/{t.digest}.{t.extension}?signature=s": t.data for t in textures}
    embedded = embed(split, by_uri.__getitem__)
    assert validate_glb(embedded)["issues"]["numErrors"] == 0
    assert [t.data for t in embedded_textures(embedded)] == [t.data for t in textures]


def test_splitting_keeps_every_other_view_aligned_and_renumbered():
    """An odd-sized view before the image and a float view after it: the float view keeps its
    offset modulo 4 (its accessor stays aligned) and every index that named it follows."""
    from configurator_addon.engine.glb import join_glb

    indices, image, floats = b"\x00\x01\x02", b"\x89PNG\x07", bytes(range(12))
    binary = indices + b"\0" + image + b"\0" * 3 + floats
    document = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": 3},
                        {"buffer": 0, "byteOffset": 4, "byteLength": 5},
                        {"buffer": 0, "byteOffset": 12, "byteLength": 12}],
        "accessors": [{"bufferView": 0, "componentType": 5121, "count": 3, "type": "SCALAR"},
                      {"bufferView": 2, "componentType": 5126, "count": 1, "type": "VEC3"},
                      {"sparse": {"count": 1, "indices": {"bufferView": 0, "componentType": 5121},
                                  "values": {"bufferView": 2}}, "componentType": 5126, "count": 1, "type": "VEC3"}],
        "images": [{"bufferView": 1, "mimeType": "image/png"}],
    }
    split, (texture,) = externalize(join_glb(document, binary), lambda t: "../textures/x.png")
    assert texture.data == image
    after, packed = split_glb(split)
    views = after["bufferViews"]
    assert len(views) == 2 and views[1]["byteOffset"] % 4 == 0
    assert packed[views[0]["byteOffset"]:][:3] == indices and packed[views[1]["byteOffset"]:][:12] == floats
    assert [a.get("bufferView") for a in after["accessors"]] == [0, 1, None]
    assert after["accessors"][2]["sparse"]["values"]["bufferView"] == 1
    assert after["accessors"][2]["sparse"]["indices"]["bufferView"] == 0
    assert after["images"] == [{"mimeType": "image/png", "uri": "../textures/x.png"}]
    assert after["buffers"][0]["byteLength"] == len(packed)

"""Catalogue thumbnails made on the server (services/products.py, engine/blender/thumbnails.py):
a sample published through the API gets WebP images of its default configuration at 256 and
512 px, rendered in a confined child Blender after the upload answered; they decode (read back
with Blender's own image loader) at those sizes, show a drawn model (not one flat colour: some
pixels transparent background, others opaque and of several shades) and are served at their
signed URLs; replacing the template renders new ones. Seeded samples are stored without a render,
and the API processes' catch-up renders what any client's versions lack, one process at a time.
And the catalogue in Chromium shows them and loads no three.js and no GLB
(frontend/e2e/catalogue.e2e.mjs)."""
from __future__ import annotations

import json
import shutil
import struct

import asyncpg
import pytest

from configurator_addon.server import keys
from configurator_addon.services.products import CATCH_UP_LOCK_KEY
from configurator_addon.services.seeding import DEMO_CLIENT_ID, seed_samples
from fixtures_api import new_client, upload_product
from test_webapp_e2e import run_browser_script

WIDTHS = [256, 512]


def webp_size(data: bytes) -> tuple[int, int]:
    """Width and height from a WebP file's header (RIFF, then a VP8/VP8L/VP8X chunk)."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", data[:16]
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    assert chunk == b"VP8 ", chunk
    width, height = struct.unpack("<HH", data[26:30])
    return width & 0x3FFF, height & 0x3FFF


def decoded_pixels(data: bytes, tmp_path) -> tuple[tuple[int, int], list[tuple[float, ...]]]:
    """Size and RGBA pixels of an image, decoded by Blender (this process's bpy)."""
    import bpy

    path = tmp_path / f"decoded-{len(data)}.webp"
    path.write_bytes(data)
    image = bpy.data.images.load(str(path))
    try:
        size = tuple(image.size)
        flat = list(image.pixels)
    finally:
        bpy.data.images.remove(image)
    return size, [tuple(flat[i:i + 4]) for i in range(0, len(flat), 4)]


async def product_thumbnails(api, product_id: str) -> list[dict]:
    await api.server.app[keys.RESOURCES].products.thumbnails_rendered()
    response = await api.get(f"/api/v1/products/{product_id}")
    assert response.status == 200
    return (await response.json())["thumbnails"]


async def fetched(api, url: str) -> bytes:
    response = await api.get(url)
    assert response.status == 200, await response.text()
    assert response.content_type == "image/webp"
    assert "immutable" in response.headers["Cache-Control"]
    return await response.read()


def assert_a_model_is_drawn(pixels: list[tuple[float, ...]]) -> None:
    opaque = [p for p in pixels if p[3] > 0.99]
    clear = [p for p in pixels if p[3] < 0.01]
    assert len(clear) > len(pixels) / 10, "no background around the model"
    assert len(opaque) > len(pixels) / 10, "hardly anything drawn"
    shades = {round(0.2126 * r + 0.7152 * g + 0.0722 * b, 2) for r, g, b, _ in opaque}
    assert len(shades) > 10, f"the model is drawn in {len(shades)} shades only"


@pytest.mark.slow
@pytest.mark.real_inspector
async def test_a_published_sample_gets_thumbnails_and_a_new_template_new_ones(api, sample_catalog, tmp_path):
    cabinet = next(s for s in sample_catalog if s["slug"] == "kitchen_base_cabinet")
    hood = next(s for s in sample_catalog if s["slug"] == "range_hood")
    product = await upload_product(api, cabinet["path"], "Cabinet")
    assert product["thumbnails"] is None  # the upload answers before the render

    thumbnails = await product_thumbnails(api, product["id"])
    assert [(t["width"], t["height"], t["content_type"]) for t in thumbnails] == [
        (w, w, "image/webp") for w in WIDTHS]
    listed = await (await api.get("/api/v1/products")).json()
    assert next(p for p in listed["items"] if p["id"] == product["id"])["thumbnails"] == thumbnails
    first = {}
    for thumbnail in thumbnails:
        data = first[thumbnail["width"]] = await fetched(api, thumbnail["url"])
        assert webp_size(data) == (thumbnail["width"], thumbnail["width"])
        size, pixels = decoded_pixels(data, tmp_path)
        assert size == (thumbnail["width"], thumbnail["width"])
        assert_a_model_is_drawn(pixels)

    with open(hood["path"], "rb") as handle:
        response = await api.put(f"/api/v1/products/{product['id']}/template", data={"template": handle})
    assert response.status == 200, await response.text()
    assert (await response.json())["thumbnails"] is None
    replaced = await product_thumbnails(api, product["id"])
    assert [t["width"] for t in replaced] == WIDTHS
    for thumbnail in replaced:
        data = await fetched(api, thumbnail["url"])
        assert data != first[thumbnail["width"]]
        assert thumbnail["url"].split("?")[0] not in {t["url"].split("?")[0] for t in thumbnails}


async def listed_thumbnails(api, client_id=None) -> dict[str, list | None]:
    pool = api.server.app[keys.RESOURCES].pool
    rows = await pool.fetch("SELECT p.name, v.thumbnails FROM products p JOIN product_versions v ON "
                            "v.product_id = p.id AND v.schema_version = p.schema_version WHERE p.client_id = $1",
                            client_id or DEMO_CLIENT_ID)
    return {row["name"]: row["thumbnails"] for row in rows}


@pytest.fixture
def box_samples(fixture_templates, tmp_path):
    samples = tmp_path / "samples"
    samples.mkdir()
    shutil.copy(fixture_templates["valid"], samples / "box.blend")
    (samples / "catalog.json").write_text(json.dumps([{"slug": "box", "blend": "box.blend", "name": "Box"}]))
    return str(samples)


@pytest.mark.slow
@pytest.mark.real_inspector
async def test_seeding_renders_nothing_and_the_catch_up_renders_every_clients_versions(api, box_samples):
    products = api.server.app[keys.RESOURCES].products
    await products.catch_up_thumbnails_later()  # the app's own, at start: nothing to do yet
    other = await new_client(api)
    assert await seed_samples(api.server.app[keys.RESOURCES], DEMO_CLIENT_ID, box_samples) == ["Box"]
    assert await seed_samples(api.server.app[keys.RESOURCES], other, box_samples) == ["Box"]
    await products.thumbnails_rendered()
    assert await listed_thumbnails(api) == {"Box": None}  # seeding started no render
    assert await listed_thumbnails(api, other) == {"Box": None}

    assert await products.catch_up_thumbnails() == 2
    for client in (DEMO_CLIENT_ID, other):
        thumbnails = (await listed_thumbnails(api, client))["Box"]
        assert [t["width"] for t in thumbnails] == WIDTHS
        assert all(t["blob_path"].startswith(f"{client}/") for t in thumbnails)
    assert await products.catch_up_thumbnails() == 0  # nothing left


@pytest.mark.real_inspector
async def test_the_catch_up_leaves_the_work_to_the_process_holding_its_lock(api, box_samples, database):
    products = api.server.app[keys.RESOURCES].products
    await products.catch_up_thumbnails_later()
    await seed_samples(api.server.app[keys.RESOURCES], DEMO_CLIENT_ID, box_samples)
    holder = await asyncpg.connect(database)
    try:
        assert await holder.fetchval("SELECT pg_try_advisory_lock($1)", CATCH_UP_LOCK_KEY)
        assert await products.catch_up_thumbnails() is None
        assert await listed_thumbnails(api) == {"Box": None}
    finally:
        await holder.close()


@pytest.mark.slow
async def test_the_catalogue_shows_thumbnails_and_loads_no_three_js_in_the_browser(tmp_path, database):
    """The seeded samples are stored at seeding; their thumbnails are rendered by the server's
    catch-up after it listens (the catalogue asks again until every card has one)."""
    outcome = await run_browser_script(tmp_path, database, "catalogue.e2e.mjs", "catalogue-e2e", timeout=420)
    assert [step["name"] for step in outcome["steps"]] == [
        "catalogue with thumbnails", "no three.js and no GLB on the catalogue", "scripts and styles compressed",
        "the configurator loads three.js and its model"]
    assert outcome["steps"][0]["images"] == 3

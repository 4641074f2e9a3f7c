"""Catalogue thumbnails made on the server (services/products.py, engine/blender/thumbnails.py):
a sample published through the API gets WebP images of its default configuration at 256 and
512 px, rendered in a confined child Blender after the upload answered; they decode (read back
with Blender's own image loader) at those sizes, show a drawn model (not one flat colour: some
pixels transparent background, others opaque and of several shades) and are served at their
signed URLs; replacing the template renders new ones. And the catalogue in Chromium shows them
and loads no three.js and no GLB (frontend/e2e/catalogue.e2e.mjs)."""
from __future__ import annotations

import struct

import pytest

from configurator_addon.server import keys
from fixtures_api import upload_product
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


@pytest.mark.slow
async def test_the_catalogue_shows_thumbnails_and_loads_no_three_js_in_the_browser(tmp_path, database):
    """The seeded samples' thumbnails are made at seeding, before the server is ready."""
    outcome = await run_browser_script(tmp_path, database, "catalogue.e2e.mjs", "catalogue-e2e", timeout=420)
    assert [step["name"] for step in outcome["steps"]] == [
        "catalogue with thumbnails", "no three.js and no GLB on the catalogue", "scripts and styles compressed",
        "the configurator loads three.js and its model"]
    assert outcome["steps"][0]["images"] == 3

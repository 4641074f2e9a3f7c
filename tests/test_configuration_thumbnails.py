"""Saved configurations' own thumbnails (services/configurations.py, the engine's `thumbnail`
command with `--config`): two cabinets saved through the API with different values answer
`thumbnails: null` at once (the save never waits for Blender), then get WebP images at 256 and
512 px rendered in a confined child Blender, which decode to a drawn model and differ from each
other and from the product's default picture; another client gets 404 for the configuration
and the list never shows it. New values drop the old images and new ones follow, and a render
that finishes after the values changed again is not recorded over them."""
from __future__ import annotations

import pytest

from configurator_addon.server import keys
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_api import new_client, tenant, upload_product
from test_thumbnails import assert_a_model_is_drawn, decoded_pixels, fetched, product_thumbnails, webp_size

WIDTHS = [256, 512]
WIDE_NAVY = {"width": 1.1, "door_count": 2, "carcass_finish": "Navy Blue", "shelf_count": 3}


def services(api):
    return api.server.app[keys.RESOURCES]


async def saved(api, product_id: str, name: str, config_data: dict) -> dict:
    response = await api.post("/api/v1/configurations",
                              json={"product_id": product_id, "name": name, "config_data": config_data})
    assert response.status == 201, await response.text()
    return await response.json()


async def configuration_thumbnails(api, configuration_id: str) -> list[dict] | None:
    await services(api).configurations.thumbnails_rendered()
    response = await api.get(f"/api/v1/configurations/{configuration_id}")
    assert response.status == 200, await response.text()
    return (await response.json())["thumbnails"]


async def images(api, thumbnails: list[dict], tmp_path) -> dict[int, bytes]:
    assert [(t["width"], t["height"], t["content_type"]) for t in thumbnails] == [
        (w, w, "image/webp") for w in WIDTHS]
    found = {}
    for thumbnail in thumbnails:
        data = found[thumbnail["width"]] = await fetched(api, thumbnail["url"])
        assert webp_size(data) == (thumbnail["width"], thumbnail["width"])
        size, pixels = decoded_pixels(data, tmp_path)
        assert size == (thumbnail["width"], thumbnail["width"])
        assert_a_model_is_drawn(pixels)
    return found


@pytest.mark.slow
@pytest.mark.real_inspector
async def test_saved_configurations_get_thumbnails_of_their_own_values(api, sample_catalog, tmp_path):
    cabinet = next(s for s in sample_catalog if s["slug"] == "kitchen_base_cabinet")
    product = await upload_product(api, cabinet["path"], "Cabinet")
    default_picture = await images(api, await product_thumbnails(api, product["id"]), tmp_path)

    standard = await saved(api, product["id"], "Standard", {})
    wide = await saved(api, product["id"], "Wide navy", WIDE_NAVY)
    assert standard["thumbnails"] is None and wide["thumbnails"] is None  # answered before any render

    standard_images = await images(api, await configuration_thumbnails(api, standard["id"]), tmp_path)
    wide_images = await images(api, await configuration_thumbnails(api, wide["id"]), tmp_path)
    for width in WIDTHS:
        assert wide_images[width] != standard_images[width]
        assert wide_images[width] != default_picture[width]
    listed = await (await api.get("/api/v1/configurations")).json()
    by_id = {item["id"]: item for item in listed["items"]}
    assert [t["width"] for t in by_id[wide["id"]]["thumbnails"]] == WIDTHS

    other = await new_client(api)
    response = await api.get(f"/api/v1/configurations/{wide['id']}", headers=tenant(other))
    assert response.status == 404 and response.content_type == "application/problem+json"
    theirs = await (await api.get("/api/v1/configurations", headers=tenant(other))).json()
    assert theirs["items"] == []

    # New values: the old pictures go at once, pictures of the new values follow.
    response = await api.patch(f"/api/v1/configurations/{wide['id']}", json={"config_data": {"width": 0.4}})
    assert response.status == 200, await response.text()
    changed = await response.json()
    assert changed["config_data"]["width"] == 0.4 and changed["thumbnails"] is None
    narrow_images = await images(api, await configuration_thumbnails(api, wide["id"]), tmp_path)
    for width in WIDTHS:
        assert narrow_images[width] not in (wide_images[width], standard_images[width])

    # A rename keeps them.
    response = await api.patch(f"/api/v1/configurations/{wide['id']}", json={"name": "Narrow"})
    assert [t["width"] for t in (await response.json())["thumbnails"]] == WIDTHS


class ValuesChangeMidRender:
    """Renders with the real inspector, but the first time changes the configuration's values
    through the API while the render is under way (after it started, before it is recorded)."""

    def __init__(self, inspector, change):
        self.inspector = inspector
        self.change = change

    async def render_thumbnails(self, template, widths, config=None):
        rendered = await self.inspector.render_thumbnails(template, widths, config)
        change, self.change = self.change, None
        if change is not None:
            await change()
        return rendered


@pytest.mark.slow
@pytest.mark.real_inspector
async def test_a_render_of_values_that_changed_meanwhile_is_not_recorded(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])  # a width of 0.3-1.2, nothing to bake
    await services(api).products.thumbnails_rendered()
    configurations = services(api).configurations
    real = configurations.products.inspector
    first = await saved(api, product["id"], "Changing", {"width": 0.5})
    await configurations.thumbnails_rendered()

    async def change():
        response = await api.patch(f"/api/v1/configurations/{first['id']}", json={"config_data": {"width": 0.7}})
        assert response.status == 200

    configurations.products.inspector = ValuesChangeMidRender(real, change)
    try:
        assert await configurations.render_thumbnails(DEMO_CLIENT_ID, first["id"]) is None
    finally:
        configurations.products.inspector = real
    # The change's own render (of 0.7) is what ends up recorded.
    await configurations.thumbnails_rendered()
    row = await services(api).pool.fetchrow("SELECT config_data, thumbnails FROM configurations WHERE id = $1",
                                            first["id"])
    assert row["config_data"]["width"] == 0.7 and row["thumbnails"] is not None


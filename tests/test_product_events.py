"""Following a product's versions over a WebSocket (`/api/v1/products/{id}/events`), on a
real PostgreSQL: the current version at once, the next one as soon as the template is
replaced (the database announces it, whichever process replaced it), for the storefront's
key too; another client's product is refused before the upgrade."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from configurator_addon.accounts import api_keys
from configurator_addon.server import keys
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_api import ANONYMOUS, new_client, tenant, upload_product

SHOP = "https://shop.example"
WAIT_SECONDS = 10  # far below the socket's own 30 s poll: only the notification can be this quick


async def next_version(socket) -> dict:
    message = await asyncio.wait_for(socket.receive(), WAIT_SECONDS)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)


async def test_an_open_socket_hears_of_a_new_template_version_at_once(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    shop = await api_keys.create_key(api.server.app[keys.RESOURCES].pool, DEMO_CLIENT_ID, kind="publishable",
                                     origins=[SHOP])
    path = f"/api/v1/products/{product['id']}/events"
    admin_socket = await api.ws_connect(path)
    shopper_socket = await api.ws_connect(f"{path}?access_key={shop['key']}", headers={**ANONYMOUS, "Origin": SHOP})
    for socket in (admin_socket, shopper_socket):
        first = await next_version(socket)
        assert (first["id"], first["schema_version"]) == (product["id"], 1)
    with open(fixture_templates["valid_revised"], "rb") as handle:
        replaced = await api.put(f"/api/v1/products/{product['id']}/template", data={"template": handle})
    assert replaced.status == 200, await replaced.text()
    for socket in (admin_socket, shopper_socket):
        update = await next_version(socket)
        assert update["schema_version"] == 2
        assert update["template_version"] == (await replaced.json())["template_version"]
        await socket.close()


async def test_another_clients_product_and_no_credential_are_refused_before_the_upgrade(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    other = await new_client(api)
    path = f"/api/v1/products/{product['id']}/events"
    for headers, status in ((tenant(other), 404), (ANONYMOUS, 401), ({"Origin": "https://evil.example"}, 403)):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await api.ws_connect(path, headers=headers)
        assert refused.value.status == status, headers

"""A user's saved configurations have unique names (migration 0013, services/configurations.py),
on the real database: a name equal to one of theirs ignoring case and runs of spaces is a 409
problem naming the field, with a free name that is then accepted; the same on rename; saves
racing each other with one name end with exactly one; the scope is the user (a colleague,
another client's user and an API key's configurations are not narrowed); and a database that
already holds duplicates is migrated (the newest keeps its name)."""
from __future__ import annotations

import asyncio
import os
import shutil

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from configurator_addon.db import migrate
from configurator_addon.db.migrator import DEFAULT_DIRECTORY
from configurator_addon.server.app import create_app
from configurator_addon.services.configurations import name_key
from fixtures_api import api_settings
from test_auth import (
    logged_in,
    new_client,
    new_key,
    new_product,
    new_user,
    pool_of,
    problem,
    session_header,
)


class NoInspector:
    """Nothing here uploads a template or renders a picture: names are what is tested."""


@pytest.fixture
async def app(database, tmp_path):
    """The app, and a client that keeps no cookies: each request carries the credential it means to."""
    application = create_app(api_settings(database, str(tmp_path / "var")), role="all", inspector=NoInspector())
    async with TestClient(TestServer(application), cookie_jar=aiohttp.DummyCookieJar()) as client:
        yield client


async def save(app, headers: dict, product_id, name: str):
    return await app.post("/api/v1/configurations", headers=headers,
                           json={"product_id": str(product_id), "name": name, "config_data": {}})


async def as_user(app, client_id, role: str = "viewer") -> dict:
    return session_header(await logged_in(app, await new_user(app, client_id, role=role)))


async def taken(response) -> dict:
    """The 409's one error: at /name, with a free name."""
    body = await problem(response, 409)
    assert body["code"] == "DUPLICATE_NAME"
    [error] = body["errors"]
    assert error["pointer"] == "/name" and error["code"] == "NAME_TAKEN"
    return error


async def names_of(app, user_headers: dict) -> list[str]:
    listed = await (await app.get("/api/v1/configurations", headers=user_headers)).json()
    return sorted(item["name"] for item in listed["items"])


async def test_a_taken_name_is_refused_at_the_field_with_a_free_one_offered(app):
    client_id = await new_client(app)
    product = await new_product(app, client_id)
    ada = await as_user(app, client_id)
    assert (await save(app, ada, product, "Kitchen plan")).status == 201

    error = await taken(await save(app, ada, product, "  kitchen   PLAN "))
    assert error["suggestion"] == "kitchen PLAN (2)"
    assert (await save(app, ada, product, error["suggestion"])).status == 201
    error = await taken(await save(app, ada, product, "Kitchen plan"))
    assert error["suggestion"] == "Kitchen plan (3)"
    # A name that is itself numbered counts on from its stem.
    assert (await taken(await save(app, ada, product, "KITCHEN PLAN (2)")))["suggestion"] == "KITCHEN PLAN (3)"
    assert await names_of(app, ada) == ["Kitchen plan", "kitchen PLAN (2)"]

    # Rename: onto another of hers is refused and changes nothing; onto itself (another case) is fine.
    other = await (await save(app, ada, product, "Utility room")).json()
    error = await taken(await app.patch(f"/api/v1/configurations/{other['id']}", headers=ada,
                                         json={"name": "KITCHEN plan"}))
    assert error["suggestion"] == "KITCHEN plan (3)"
    assert await names_of(app, ada) == ["Kitchen plan", "Utility room", "kitchen PLAN (2)"]
    response = await app.patch(f"/api/v1/configurations/{other['id']}", headers=ada, json={"name": "UTILITY  room"})
    assert response.status == 200 and (await response.json())["name"] == "UTILITY  room"


async def test_saves_racing_with_one_name_leave_exactly_one(app):
    client_id = await new_client(app)
    product = await new_product(app, client_id)
    ada = await as_user(app, client_id)
    answers = await asyncio.gather(*(save(app, ada, product, f"Race{' ' * n}") for n in range(6)))
    assert sorted(answer.status for answer in answers) == [201] + [409] * 5
    [winner] = await names_of(app, ada)
    assert winner.strip() == "Race"


async def test_the_scope_is_the_user(app):
    client_id, elsewhere = await new_client(app), await new_client(app, "Other Kitchens")
    product, their_product = await new_product(app, client_id), await new_product(app, elsewhere)
    ada, colleague = await as_user(app, client_id), await as_user(app, client_id, role="member")
    stranger = await as_user(app, elsewhere)
    key = {"Authorization": f"Bearer {await new_key(app, client_id)}"}
    assert (await save(app, ada, product, "Kitchen")).status == 201
    assert (await save(app, colleague, product, "kitchen")).status == 201
    assert (await save(app, stranger, their_product, "KITCHEN")).status == 201
    # Made with an API key (an integration; a storefront's shoppers share theirs): not narrowed.
    assert (await save(app, key, product, "Kitchen")).status == 201
    assert (await save(app, key, product, "Kitchen")).status == 201
    # The owner's names count, whoever renames: a member renaming Ada's "Kitchen" onto her
    # "Hall" is refused.
    assert (await save(app, ada, product, "Hall")).status == 201
    adas = next(item for item in (await (await app.get("/api/v1/configurations", headers=ada)).json())["items"]
                if item["name"] == "Kitchen")
    error = await taken(await app.patch(f"/api/v1/configurations/{adas['id']}", headers=colleague,
                                         json={"name": "hall"}))
    assert error["suggestion"] == "hall (2)"
    count = await pool_of(app).fetchval(
        "SELECT count(*) FROM configurations WHERE lower(name) = 'kitchen'")
    assert count == 5


async def test_existing_duplicates_are_renamed_by_the_migration(empty_database, tmp_path):
    before = tmp_path / "before"
    before.mkdir()
    for name in os.listdir(DEFAULT_DIRECTORY):
        if name.endswith(".sql") and name < "0013":
            shutil.copy(DEFAULT_DIRECTORY / name, before / name)
    await migrate(empty_database, before)
    connection = await asyncpg.connect(empty_database)
    try:
        client_id = await connection.fetchval("INSERT INTO clients (name) VALUES ('Acme') RETURNING id")
        user_id = await connection.fetchval(
            "INSERT INTO users (client_id, email, name, role, password_hash) "
            "VALUES ($1, 'a@example.com', 'Ada', 'viewer', 'x') RETURNING id", client_id)
        product_id = await connection.fetchval(
            "INSERT INTO products (client_id, name, template_blob_path, template_version, config_schema) "
            "VALUES ($1, 'Cabinet', 'templates/x.blend', $2, '{}'::json) RETURNING id", client_id, "0" * 64)
        names = ["Kitchen", "kitchen ", "KITCHEN", "Hall"]
        for age, name in enumerate(names):
            await connection.execute(
                "INSERT INTO configurations (client_id, user_id, product_id, name, config_data, "
                "product_schema_version, created_at) VALUES ($1, $2, $3, $4, '{}', 1, now() - $5 * interval '1 day')",
                client_id, user_id, product_id, name, len(names) - age)
    finally:
        await connection.close()

    await migrate(empty_database, DEFAULT_DIRECTORY)
    connection = await asyncpg.connect(empty_database)
    try:
        rows = await connection.fetch("SELECT id, name FROM configurations ORDER BY created_at")
    finally:
        await connection.close()
    renamed = {row["name"] for row in rows}
    assert "KITCHEN" in renamed and "Hall" in renamed  # the newest of the duplicates keeps its name
    assert {f"{name.strip()} ({str(row['id'])[:8]})" for name, row in zip(names[:2], rows[:2], strict=True)} \
        <= renamed
    assert len({name_key(name) for name in renamed}) == 4

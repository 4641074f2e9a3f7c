"""A product's versions and their compatibility report (`/api/v1/products/{id}/versions`,
`…/versions/{n}/compatibility`), on a real PostgreSQL and the real engine: the schema diff of
a breaking revision of the "valid" fixture template, and exactly which saved configurations it
refuses; admins only; another client's product is 404."""
from __future__ import annotations

import json
import uuid

import pytest

from configurator_addon.schemas.api import ProductVersionList, VersionCompatibility
from configurator_addon.server import keys
from configurator_addon.services.product_versions import ProductVersionService
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_api import ANONYMOUS, bearer, new_admin_key, new_client, tenant, upload_product
from processes import last_json_line, run_python
from test_auth import PASSWORD, SESSION, cookie_header, cookies_of, new_key, new_user

PROBLEM = "application/problem+json"
SHOP = "https://shop.example"
BUILD = """
import json, sys
sys.path.insert(0, "tests")
import template_fixtures as t
out = sys.argv[1]
print(json.dumps({"narrowed": t.build_valid_narrowed(out + "/narrowed.blend"),
                  "renamed": t.build_valid_narrowed(out + "/renamed.blend", rename_depth=True)}))
"""
# valid → narrowed (template_fixtures.build_valid_narrowed), in the newer version's order.
NARROWED_CHANGES = [("range_narrowed", "width", True), ("default_changed", "height", False),
                    ("added", "plinth_height", False), ("range_widened", "depth", False),
                    ("options_removed", "handle", True)]


@pytest.fixture(scope="module")
def revisions(tmp_path_factory) -> dict[str, str]:
    """Revisions of the "valid" fixture template: "narrowed" (breaking) and "renamed" (the
    narrowed one with `depth` renamed `carcass_depth`)."""
    out = tmp_path_factory.mktemp("revisions")
    return last_json_line(run_python("-c", BUILD, str(out), check=True))


async def problem(response, status: int) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    return await response.json()


async def ok(response) -> dict:
    assert response.status == 200, await response.text()
    return await response.json()


async def replace(api, product_id, path: str) -> dict:
    with open(path, "rb") as handle:
        return await ok(await api.put(f"/api/v1/products/{product_id}/template", data={"template": handle}))


async def save(api, product_id, name: str, config_data: dict) -> dict:
    response = await api.post("/api/v1/configurations",
                              json={"product_id": str(product_id), "name": name, "config_data": config_data})
    assert response.status == 201, await response.text()
    return await response.json()


async def versions(api, product_id, **request) -> dict:
    body = await ok(await api.get(f"/api/v1/products/{product_id}/versions", **request))
    ProductVersionList.model_validate(body)
    return body


async def compatibility(api, product_id, n, query: str = "", **request) -> dict:
    body = await ok(await api.get(f"/api/v1/products/{product_id}/versions/{n}/compatibility{query}", **request))
    VersionCompatibility.model_validate(body)  # the documented shape
    for change in body["changes"]:
        assert set(change) == {"kind", "key", "from", "to", "message", "breaking"}, change
    return body


async def session_of(api, user) -> dict:
    """Headers with `user`'s session cookie alone (a GET needs no CSRF token)."""
    response = await api.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD},
                              headers=ANONYMOUS)
    assert response.status == 200, await response.text()
    return {"Authorization": None, **cookie_header(**{SESSION: cookies_of(response)[SESSION]})}


def kinds(report: dict) -> list[tuple]:
    return [(c["kind"], c["key"], c["breaking"]) for c in report["changes"]]


def refusals(report: dict) -> list[tuple]:
    """(name, [(pointer, code), …]) of each example."""
    return [(e["name"], [(x["pointer"], x["code"]) for x in e["errors"]]) for e in report["configurations"]["examples"]]


async def test_a_breaking_revision_reports_its_diff_and_exactly_the_configurations_it_refuses(
        api, fixture_templates, revisions):
    product = await upload_product(api, fixture_templates["valid"])
    pid = product["id"]
    fits = await save(api, pid, "Fits", {"width": 0.9})
    too_wide = await save(api, pid, "Too wide", {"width": 1.1, "shelf_count": 2})
    bar = await save(api, pid, "Bar handle", {"handle": "Bar"})
    both = await save(api, pid, "Both", {"width": 1.15, "handle": "Bar", "shelf_count": 3})
    # Another product's configuration that the revision would refuse: not this product's.
    elsewhere = await upload_product(api, fixture_templates["valid"], "Another box")
    await save(api, elsewhere["id"], "Elsewhere", {"handle": "Bar"})

    listing = await versions(api, pid)
    assert [(v["schema_version"], v["template_version"], v["parameter_count"]) for v in listing["items"]] == [
        (1, product["template_version"], 11)]
    first = await compatibility(api, pid, 1)
    assert first == {"product_id": pid, "schema_version": 1, "compared_to": None, "changes": [], "breaking": False,
                     "configurations": {"total": 4, "invalid": 0, "examples": []}}

    revised = await replace(api, pid, revisions["narrowed"])
    assert revised["schema_version"] == 2
    listing = await versions(api, pid)
    assert [(v["schema_version"], v["template_version"], v["parameter_count"]) for v in listing["items"]] == [
        (2, revised["template_version"], 12), (1, product["template_version"], 11)]
    assert listing["items"][0]["created_at"] >= listing["items"][1]["created_at"]

    report = await compatibility(api, pid, 2)
    assert (report["product_id"], report["schema_version"], report["compared_to"]) == (pid, 2, 1)
    assert kinds(report) == NARROWED_CHANGES and report["breaking"] is True
    changes = {c["key"]: c for c in report["changes"]}
    assert (changes["width"]["from"], changes["width"]["to"]) == ({"minimum": 0.3, "maximum": 1.2},
                                                                  {"minimum": 0.3, "maximum": 1.0})
    assert (changes["handle"]["from"], changes["handle"]["to"]) == (["Bar", "Knob"], ["Knob"])
    assert (changes["height"]["from"], changes["height"]["to"]) == (0.8, 0.9)
    assert changes["plinth_height"]["from"] is None and changes["plinth_height"]["to"]["default"] == 0.1
    assert report["configurations"]["total"] == 4 and report["configurations"]["invalid"] == 3
    assert [e["id"] for e in report["configurations"]["examples"]] == [both["id"], bar["id"], too_wide["id"]]
    assert refusals(report) == [("Both", [("/handle", "SCHEMA_ENUM"), ("/width", "SCHEMA_MAXIMUM")]),
                                ("Bar handle", [("/handle", "SCHEMA_ENUM")]),
                                ("Too wide", [("/width", "SCHEMA_MAXIMUM")])]
    assert "1.1 is greater than the maximum of 1.0" in report["configurations"]["examples"][2]["errors"][0]["message"]
    assert fits["id"] not in {e["id"] for e in report["configurations"]["examples"]}

    # A configuration saved with version 2 carries its new parameter, which version 1 refuses:
    # every saved configuration is checked against the version asked about, whatever its own.
    newer = await save(api, pid, "Newer", {"width": 0.95})
    assert newer["product_schema_version"] == 2 and "plinth_height" in newer["config_data"]
    report = await compatibility(api, pid, 1)
    assert (report["compared_to"], report["changes"]) == (None, [])  # nothing before version 1
    assert report["configurations"]["total"] == 5 and report["configurations"]["invalid"] == 1
    assert refusals(report) == [("Newer", [("/plinth_height", "UNKNOWN_PARAMETER")])]
    report = await compatibility(api, pid, 2)
    assert (report["configurations"]["total"], report["configurations"]["invalid"]) == (5, 3)

    # A rename: every saved configuration carries the old key.
    await replace(api, pid, revisions["renamed"])
    report = await compatibility(api, pid, 3)
    assert report["compared_to"] == 2 and kinds(report) == [("renamed", "carcass_depth", True)]
    assert (report["changes"][0]["from"], report["changes"][0]["to"]) == ("depth", "carcass_depth")
    assert (report["configurations"]["total"], report["configurations"]["invalid"]) == (5, 5)
    assert all(("/depth", "UNKNOWN_PARAMETER") in errors for _, errors in refusals(report))
    assert refusals(report)[0] == ("Newer", [("/depth", "UNKNOWN_PARAMETER")])

    # ?against= compares with another version; the configurations are checked against n's schema.
    against = await compatibility(api, pid, 3, "?against=1")
    assert against["compared_to"] == 1
    assert kinds(against) == [*NARROWED_CHANGES[:3], ("added", "carcass_depth", False),
                              NARROWED_CHANGES[4], ("removed", "depth", True)]
    assert against["configurations"] == report["configurations"]
    assert kinds(await compatibility(api, pid, 1, "?against=3"))[:1] == [("range_widened", "width", False)]
    assert (await compatibility(api, pid, 2, "?against=2"))["changes"] == []

    # Version 2 gone (the retention sweep deletes such versions): 3 is compared with 1.
    pool = api.server.app[keys.RESOURCES].pool
    await pool.execute("DELETE FROM product_versions WHERE product_id = $1 AND schema_version = 2", uuid.UUID(pid))
    assert [v["schema_version"] for v in (await versions(api, pid))["items"]] == [3, 1]
    assert (await compatibility(api, pid, 3))["compared_to"] == 1
    await problem(await api.get(f"/api/v1/products/{pid}/versions/2/compatibility"), 404)


async def test_a_compatible_revision_is_not_breaking(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    await save(api, product["id"], "Wide", {"width": 1.1, "shelf_count": 2})
    await replace(api, product["id"], fixture_templates["valid_without_rules"])
    report = await compatibility(api, product["id"], 2)
    assert kinds(report) == [("rules_changed", None, False)] and report["breaking"] is False
    assert report["changes"][0]["to"] == [] and len(report["changes"][0]["from"]) == 1
    assert report["configurations"] == {"total": 1, "invalid": 0, "examples": []}
    await replace(api, product["id"], fixture_templates["valid_revised"])  # same parameters, the rule back
    report = await compatibility(api, product["id"], 3)
    assert kinds(report) == [("rules_changed", None, True)] and report["breaking"] is True


async def test_at_most_ten_examples_newest_first_and_every_configuration_counted(api, fixture_templates, revisions):
    product = await upload_product(api, fixture_templates["valid"])
    saved = [await save(api, product["id"], f"Bar {i}", {"handle": "Bar"}) for i in range(12)]
    await save(api, product["id"], "Knob", {"handle": "Knob"})
    await replace(api, product["id"], revisions["narrowed"])
    report = await compatibility(api, product["id"], 2)
    assert (report["configurations"]["total"], report["configurations"]["invalid"]) == (13, 12)
    assert [e["id"] for e in report["configurations"]["examples"]] == [s["id"] for s in reversed(saved)][:10]
    # Read a page at a time: pages that end exactly at the last row, or in the middle, count the same.
    pool = api.server.app[keys.RESOURCES].pool
    for batch in (1, 5, 13, 14):
        report = await ProductVersionService(pool, batch=batch).compatibility(DEMO_CLIENT_ID,
                                                                              uuid.UUID(product["id"]), 2)
        assert (report["configurations"]["total"], report["configurations"]["invalid"]) == (13, 12), batch
        assert [str(e["id"]) for e in report["configurations"]["examples"]] == \
            [s["id"] for s in reversed(saved)][:10], batch


async def test_unknown_products_versions_and_malformed_numbers(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    base = f"/api/v1/products/{product['id']}/versions"
    for path in (f"/api/v1/products/{uuid.uuid4()}/versions", "/api/v1/products/not-an-id/versions",
                 f"/api/v1/products/{uuid.uuid4()}/versions/1/compatibility",
                 "/api/v1/products/not-an-id/versions/1/compatibility",
                 f"{base}/2/compatibility", f"{base}/0/compatibility", f"{base}/-1/compatibility",
                 f"{base}/1.5/compatibility", f"{base}/abc/compatibility", f"{base}/2147483648/compatibility",
                 f"{base}/99999999999999999999999/compatibility", f"{base}/2147483647/compatibility",
                 f"{base}/1/compatibility?against=2", f"{base}/1/compatibility?against=2147483647"):
        await problem(await api.get(path), 404)
    for against in ("abc", "0", "-1", "1.0", "", "2147483648", "99999999999999999999999"):
        body = await problem(await api.get(f"{base}/1/compatibility?against={against}"), 400)
        assert "against" in body["detail"]
    assert (await compatibility(api, product["id"], "01"))["schema_version"] == 1


async def test_another_clients_product_is_404_and_its_versions_are_its_own(api, fixture_templates, revisions):
    other = await new_client(api)
    theirs = await upload_product(api, fixture_templates["valid"], client_id=other)
    response = await api.post("/api/v1/configurations", headers=tenant(other), json={
        "product_id": theirs["id"], "name": "Theirs", "config_data": {"handle": "Bar"}})
    assert response.status == 201, await response.text()
    with open(revisions["narrowed"], "rb") as handle:
        response = await api.put(f"/api/v1/products/{theirs['id']}/template", data={"template": handle},
                                 headers=tenant(other))
    assert response.status == 200, await response.text()
    for path in (f"/api/v1/products/{theirs['id']}/versions",
                 f"/api/v1/products/{theirs['id']}/versions/1/compatibility",
                 f"/api/v1/products/{theirs['id']}/versions/2/compatibility"):
        await problem(await api.get(path), 404)  # the demo client's admin
    ours = await upload_product(api, fixture_templates["valid"])
    await problem(await api.get(f"/api/v1/products/{ours['id']}/versions", headers=tenant(other)), 404)
    await problem(await api.get(f"/api/v1/products/{ours['id']}/versions/1/compatibility", headers=tenant(other)),
                  404)
    # Their own admin sees their versions and their configuration.
    listing = await versions(api, theirs["id"], headers=tenant(other))
    assert [v["schema_version"] for v in listing["items"]] == [2, 1]
    report = await compatibility(api, theirs["id"], 2, headers=tenant(other))
    assert (report["configurations"]["total"], report["configurations"]["invalid"]) == (1, 1)


async def test_only_admins_may_read_versions_and_compatibility(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    await save(api, product["id"], "Saved", {})
    pool = api.server.app[keys.RESOURCES].pool
    storefront = await new_key(api, DEMO_CLIENT_ID, "publishable", origins=[SHOP])
    viewer = await new_user(api, DEMO_CLIENT_ID, role="viewer")
    admin = await new_user(api, DEMO_CLIENT_ID, role="admin")
    sessions = {"viewer session": await session_of(api, viewer), "admin session": await session_of(api, admin)}
    api.session.cookie_jar.clear()  # each request below carries exactly its own credential
    refused = {"viewer key": bearer(await new_admin_key(pool, DEMO_CLIENT_ID, "viewer")),
               "member key": bearer(await new_admin_key(pool, DEMO_CLIENT_ID, "member")),
               "storefront key": {**bearer(storefront), "Origin": SHOP},
               "viewer session": sessions["viewer session"]}
    paths = (f"/api/v1/products/{product['id']}/versions", f"/api/v1/products/{product['id']}/versions/1/compatibility")
    for path in paths:
        for name, headers in refused.items():
            body = await problem(await api.get(path, headers=headers), 403)
            assert "admin" in body["detail"], (name, body)
        await problem(await api.get(path, headers=ANONYMOUS), 401)
        # Refused before the product is looked up: an unknown one is 401/403 too.
        unknown = path.replace(product["id"], str(uuid.uuid4()))
        await problem(await api.get(unknown, headers=refused["member key"]), 403)
        await problem(await api.get(unknown, headers=ANONYMOUS), 401)
        for headers in ({}, sessions["admin session"]):  # an admin key, an admin's session
            assert (await api.get(path, headers=headers)).status == 200


async def test_the_openapi_document_describes_both_operations(api):
    document = await (await api.get("/api/v1/openapi.json")).json()
    listing = document["paths"]["/api/v1/products/{id}/versions"]["get"]
    report = document["paths"]["/api/v1/products/{id}/versions/{n}/compatibility"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ProductVersionList")
    assert report["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/VersionCompatibility")
    for operation in (listing, report):
        assert {"400", "401", "403", "404"} <= set(operation["responses"])
    assert [p["name"] for p in report["parameters"]] == ["id", "n", "against"]
    change = document["components"]["schemas"]["SchemaChange"]
    assert set(change["required"]) == {"kind", "key", "from", "to", "message", "breaking"}
    assert json.dumps(change).count("range_narrowed") == 1

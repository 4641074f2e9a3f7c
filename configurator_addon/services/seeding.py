"""A fresh installation: the sample products (the templates in `templates/`, listed in
`templates/catalog.json`, created for the demo client unless already there), the server's
storefront key and the demo admin's first password (`accounts/storefront.py`)."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid

from ..accounts import storefront
from ..engine.result_keys import template_version

log = logging.getLogger("configurator.seed")
# The demo client and its admin, created by the first migration.
DEMO_CLIENT_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
DEMO_USER_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES_DIR = os.path.join(ROOT, "templates")


def ensure_sample_templates_built(directory: str = TEMPLATES_DIR) -> list[dict]:
    with open(os.path.join(directory, "catalog.json"), encoding="utf-8") as handle:
        catalog = json.load(handle)
    if not all(os.path.isfile(os.path.join(directory, s["blend"])) for s in catalog):
        subprocess.run([sys.executable, os.path.join(directory, "build_templates.py"), directory],
                       check=True, capture_output=True)
    return catalog


async def seed_samples(services, client_id, directory: str = TEMPLATES_DIR) -> list[str]:
    """Create each catalog product the client does not have yet, and queue its default
    configuration so the product list has a preview; returns the names created. Their
    thumbnails are left to the API processes' catch-up (`ProductService.catch_up_thumbnails`):
    seeding runs before the server listens, and a render takes seconds per sample."""
    created = []
    for sample in ensure_sample_templates_built(directory):
        if await services.products.find_by_name(client_id, sample["name"]) is not None:
            continue
        with open(os.path.join(directory, sample["blend"]), "rb") as handle:
            template = handle.read()
        await _adopt_sample_bake(services, client_id, directory, sample, template)
        product = await services.products.create(client_id, sample["name"], sample.get("description", ""), template,
                                                 render_thumbnails=False)
        await services.jobs.submit(client_id, None, product_id=product["id"], config_data={})
        created.append(sample["name"])
        log.info("seeded sample product", extra={"product": sample["name"]})
    return created


def _bake_record(directory: str, sample: dict) -> str:
    return os.path.join(directory, f"{sample['slug']}.bake.json")


async def _adopt_sample_bake(services, client_id, directory: str, sample: dict, template: bytes) -> None:
    """The bake the samples' build made of this very file (templates/build_templates.py), given
    to the bake cache so that publishing the sample bakes nothing; without one (a folder of
    other samples, another resolution) the sample is baked as any upload is."""
    try:
        with open(_bake_record(directory, sample), encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return
    baked_path = os.path.join(directory, f"{sample['slug']}.baked.blend")
    baked = None
    if record.get("baked"):
        with open(baked_path, "rb") as handle:
            baked = handle.read()
    await services.products.bakes.adopt(client_id, template_version(template), baked, record)


async def seed_demo_access(pool) -> str | None:
    """The storefront key of the demo client, and the demo admin's first password: a line
    for the operator to read, the one time the password is made (None otherwise)."""
    await storefront.ensure_storefront_key(pool, DEMO_CLIENT_ID)
    first = await storefront.ensure_first_password(pool, DEMO_USER_ID)
    if first is None:
        return None
    email, password = first
    return (f"The demo client's admin can log in as {email} with the password {password} "
            "(shown this once; change it under Account).")

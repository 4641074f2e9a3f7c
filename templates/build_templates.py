"""Build the sample product templates (.blend files) and their catalog.

Usage: python templates/build_templates.py [OUT_DIR] [--no-bake]     (default: templates/)

Each product is built from a factory-empty file by its module
(kitchen_base_cabinet, fireplace_surround, range_hood) and saved uncompressed as
OUT_DIR/<slug>.blend; OUT_DIR/catalog.json lists the products with example
configurations and their exact expected bounding boxes.

Unless --no-bake, each sample's procedural materials are then baked as a publish bakes them
(the engine's `bake`, at the default BAKE_RESOLUTION): OUT_DIR/<slug>.baked.blend and
OUT_DIR/<slug>.bake.json (the template's sha256, the resolution, what was baked). Seeding
hands these to the bake cache (services/template_bakes.py), so a fresh server does not spend
Blender's time baking its own samples again; a published copy of the same bytes is baked as
any upload is.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The product modules beside this script, and the add-on above it (its bake), installed or not
# (the image runs this before anything is installed as a package).
for folder in (os.path.dirname(HERE), HERE):
    if folder not in sys.path:
        sys.path.insert(0, folder)

import bpy  # noqa: E402,F401  (bpy before the modules that use it)

import fireplace_surround  # noqa: E402
import kitchen_base_cabinet  # noqa: E402
import range_hood  # noqa: E402
import template_building as tb  # noqa: E402
from configurator_addon.engine.blender.baking import bake_template  # noqa: E402
from configurator_addon.settings import Settings  # noqa: E402

PRODUCT_MODULES = [kitchen_base_cabinet, fireplace_surround, range_hood]


def build_all(out_dir: str, bake: bool = True) -> list[dict]:
    os.makedirs(out_dir, exist_ok=True)
    catalog = []
    for module in PRODUCT_MODULES:
        tb.reset_to_empty_file()
        product = module.build()
        path = os.path.join(out_dir, f"{product.slug}.blend")
        tb.save_blend(path)
        if bake:
            bake_sample(path, os.path.join(out_dir, f"{product.slug}.baked.blend"),
                        os.path.join(out_dir, f"{product.slug}.bake.json"))
        catalog.append(product.catalog)
    with open(os.path.join(out_dir, "catalog.json"), "w", encoding="utf-8") as handle:
        json.dump(catalog, handle, indent=2)
        handle.write("\n")
    tb.reset_to_empty_file()
    return catalog


def bake_sample(template: str, baked: str, record: str) -> None:
    resolution = Settings.bake_resolution
    for stale in (baked, record):
        if os.path.exists(stale):
            os.remove(stale)
    answer = bake_template(template, baked, resolution)
    with open(template, "rb") as handle:
        version = hashlib.sha256(handle.read()).hexdigest()
    with open(record, "w", encoding="utf-8") as handle:
        json.dump({"template_version": version, "resolution": resolution,
                   "baked": [{k: v for k, v in b.items() if k != "images"} for b in answer["baked"]],
                   "bake_ms": answer["bake_ms"]}, handle, indent=2)
        handle.write("\n")


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if a != "--no-bake"]
    out_dir = args[0] if args else HERE
    build_all(out_dir, bake="--no-bake" not in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

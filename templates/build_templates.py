"""Build the sample product templates (.blend files) and their catalog.

Usage: python templates/build_templates.py [OUT_DIR]     (default: templates/)

Each product is built from a factory-empty file by its module
(kitchen_base_cabinet, fireplace_surround, range_hood) and saved uncompressed as
OUT_DIR/<slug>.blend; OUT_DIR/catalog.json lists the products with example
configurations and their exact expected bounding boxes.
"""

from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import bpy  # noqa: E402,F401  (bpy before the modules that use it)

import fireplace_surround  # noqa: E402
import kitchen_base_cabinet  # noqa: E402
import range_hood  # noqa: E402
import template_building as tb  # noqa: E402

PRODUCT_MODULES = [kitchen_base_cabinet, fireplace_surround, range_hood]


def build_all(out_dir: str) -> list[dict]:
    os.makedirs(out_dir, exist_ok=True)
    catalog = []
    for module in PRODUCT_MODULES:
        tb.reset_to_empty_file()
        product = module.build()
        tb.save_blend(os.path.join(out_dir, f"{product.slug}.blend"))
        catalog.append(product.catalog)
    with open(os.path.join(out_dir, "catalog.json"), "w", encoding="utf-8") as handle:
        json.dump(catalog, handle, indent=2)
        handle.write("\n")
    tb.reset_to_empty_file()
    return catalog


def main(argv: list[str]) -> int:
    out_dir = argv[1] if len(argv) > 1 else HERE
    build_all(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Range hood (wall chimney hood) template: a canopy in one of three shapes chosen by a
Geometry Nodes Menu input (Pyramid, Box, Curved), a telescopic chimney, baffle filters
and optional LED lights underneath.

The finish is a Material input ("Hood Finish") driving Set Material nodes, so the
material group reaches the geometry through a socket rather than a material slot.
The canopy's underside is recessed behind a 15 mm lip, so filters and lights never
change the bounding box: width x (canopy height of the style + chimney height) x 0.50.
"""

from __future__ import annotations

import math

import template_building as tb
from template_building import GeometryTree, Param

SLUG = "range_hood"
NAME = "Range hood"

# -- fixed construction sizes (metres) -------------------------------------------------
CANOPY_DEPTH = 0.50
LIP_HEIGHT = 0.015  # underside lip that hides filters and lights
LIP_WIDTH = 0.02
CHIMNEY_WIDTH = 0.28
CHIMNEY_DEPTH = 0.24
CANOPY_HEIGHTS = {"Pyramid": 0.30, "Box": 0.12, "Curved": 0.26}  # top of canopy = chimney base

WIDTH = Param(
    "Width", "FLOAT", 0.90, min=0.60, max=1.20, subtype="DISTANCE",
    description="Width of the canopy; choose the cooktop width or wider.",
)  # fmt: skip
CHIMNEY_HEIGHT = Param(
    "Chimney Height", "FLOAT", 0.60, min=0.30, max=1.00, subtype="DISTANCE",
    description="Height of the chimney (duct cover) from the top of the canopy, usually up to the ceiling.",
)  # fmt: skip
STYLE = Param(
    "Style", "MENU", "Pyramid", items=tuple(CANOPY_HEIGHTS),
    description="Shape of the canopy.",
)  # fmt: skip
HOOD_FINISH = Param(
    "Hood Finish", "MATERIAL", "Stainless Steel",
    description="Finish of the canopy and the chimney.",
)  # fmt: skip
LIGHTS = Param(
    "Lights", "BOOL", True,
    description="LED spotlights under the canopy.",
)  # fmt: skip

HOOD_FINISHES = {  # name: (sRGB colour, roughness, metallic)
    "Stainless Steel": ("#C0C3C6", 0.28, 1.0),
    "Matte Black": ("#1E1E20", 0.65, 0.2),
    "Gloss White": ("#F3F3F1", 0.12, 0.0),
    "Copper": ("#B8733E", 0.3, 1.0),
}
BRUSHED = {"Stainless Steel", "Copper"}


def build_canopy_tree(filter_material, led_material):
    t = GeometryTree(
        "Hood Canopy",
        [WIDTH, STYLE, HOOD_FINISH, LIGHTS],
        "Canopy body of the chosen style, underside lip, baffle filters and LED lights.",
    )
    w = t["width"]
    half = w * 0.5
    d = CANOPY_DEPTH
    lip = t.join(
        t.box_between(-half, half, -d, LIP_WIDTH - d, 0.0, LIP_HEIGHT),
        t.box_between(-half, half, -LIP_WIDTH, 0.0, 0.0, LIP_HEIGHT),
        t.box_between(-half, LIP_WIDTH - half, LIP_WIDTH - d, -LIP_WIDTH, 0.0, LIP_HEIGHT),
        t.box_between(half - LIP_WIDTH, half, LIP_WIDTH - d, -LIP_WIDTH, 0.0, LIP_HEIGHT),
    )
    visor_top = 0.08
    pyramid = t.join(
        t.box_between(-half, half, -d, 0.0, LIP_HEIGHT, visor_top),
        t.loft_box((w, d), (CHIMNEY_WIDTH + 0.02, CHIMNEY_DEPTH + 0.01), visor_top, CANOPY_HEIGHTS["Pyramid"]),
    )
    box = t.box_between(-half, half, -d, 0.0, LIP_HEIGHT, CANOPY_HEIGHTS["Box"])
    top = CANOPY_HEIGHTS["Curved"]
    front_height = 0.05
    flat_top = CHIMNEY_DEPTH + 0.01
    curve = [
        (
            round(-flat_top - (d - flat_top) * math.cos(math.radians(a)), 6),
            round(front_height + (top - front_height) * math.sin(math.radians(a)), 6),
        )
        for a in [i * 90 / 8 for i in range(9)]
    ]  # front lip top -> start of the flat top
    curved_profile = [(0.0, LIP_HEIGHT), (-d, LIP_HEIGHT)] + curve + [(0.0, top)]
    curved = t.prism(curved_profile, w, axis="X", offset=-half, smooth=True)
    body = t.menu_switch("style", {"Pyramid": pyramid, "Box": box, "Curved": curved})
    shell = t.set_material(t.join(lip, body), t["hood_finish"])

    filters = t.round(w / 0.30)
    pitch = (w - 0.06) / filters
    panel = t.box((pitch - 0.01, 0.32, 0.003), (0.0, -0.24, LIP_HEIGHT - 0.0035))
    filter_panels = t.set_material(
        t.repeat(panel, filters, (pitch * 0.5 - (w - 0.06) * 0.5, 0.0, 0.0), (pitch, 0.0, 0.0)), filter_material
    )

    spot = t.cylinder(0.025, 0.004, (0.0, -0.44, LIP_HEIGHT - 0.002), axis="Z", vertices=24)
    spots = t.set_material(
        t.join(t.translate(spot, (w * -0.25, 0.0, 0.0)), t.translate(spot, (w * 0.25, 0.0, 0.0))), led_material
    )
    return t.finish(t.join(shell, filter_panels, t.switch(t["lights"], spots)))


def build_chimney_tree():
    t = GeometryTree(
        "Hood Chimney", [STYLE, CHIMNEY_HEIGHT, HOOD_FINISH], "Two-part telescopic duct cover standing on the canopy."
    )
    base = t.menu_switch("style", dict(CANOPY_HEIGHTS), data_type="FLOAT")
    height = t["chimney_height"]
    split = base + height * 0.5
    hw, hd = CHIMNEY_WIDTH * 0.5, CHIMNEY_DEPTH
    lower = t.box_between(-hw, hw, -hd, 0.0, base, split + 0.01)
    upper = t.box_between(0.004 - hw, hw - 0.004, 0.004 - hd, 0.0, split - 0.02, base + height)
    return t.finish(t.set_material(t.join(lower, upper), t["hood_finish"]))


def build() -> tb.Product:
    for name, (color, roughness, metallic) in HOOD_FINISHES.items():
        if name in BRUSHED:  # stainless and copper are brushed; black and white are painted, flat
            tb.brushed_metal_material(name, color, roughness, group="Hood Finish")
        else:
            tb.principled_material(name, color, roughness, metallic, group="Hood Finish")
    filter_material = tb.principled_material("Baffle Filter", "#9EA2A6", 0.45, 1.0)
    led_material = tb.principled_material("LED Light", "#FFF1DC", 0.3, emission_strength=4.0)

    product = tb.new_product_collection("Range Hood", [], private={"_template_revision": 1})
    tb.new_part("Canopy", product, build_canopy_tree(filter_material, led_material))
    tb.new_part("Chimney", product, build_chimney_tree())
    return tb.Product(SLUG, product, catalog_entry())


# -- catalog -------------------------------------------------------------------------------

DEFAULTS = {"width": 0.90, "chimney_height": 0.60, "style": "Pyramid", "hood_finish": "Stainless Steel", "lights": True}


def overall_size(config: dict) -> list[float]:
    """[width, height, depth]: width x (canopy height: Pyramid 0.30 / Box 0.12 /
    Curved 0.26, plus chimney_height) x 0.50."""
    c = {**DEFAULTS, **config}
    return [c["width"], CANOPY_HEIGHTS[c["style"]] + c["chimney_height"], CANOPY_DEPTH]


def _example(config: dict) -> dict:
    c = {**DEFAULTS, **config}
    present = ["Canopy", "Chimney", "Baffle Filter", c["hood_finish"]]
    absent = [m for m in HOOD_FINISHES if m != c["hood_finish"]]
    (present if c["lights"] else absent).append("LED Light")
    return tb.catalog_example(config, overall_size(config), present, absent)


def catalog_entry() -> dict:
    return tb.catalog_record(
        SLUG,
        NAME,
        description=(
            "A wall-mounted chimney range hood in pyramid, box or curved style, "
            "sized to your cooktop and ceiling height."
        ),
        dimensions={"width": "width", "height": "chimney_height"},
        examples=[
            _example({}),
            _example(
                {"width": 0.6, "chimney_height": 0.3, "style": "Box", "hood_finish": "Matte Black", "lights": False}
            ),
            _example({"width": 1.2, "chimney_height": 1.0, "style": "Curved", "hood_finish": "Gloss White"}),
            _example(
                {"width": 0.75, "chimney_height": 0.45, "style": "Pyramid", "hood_finish": "Copper", "lights": False}
            ),
        ],
    )

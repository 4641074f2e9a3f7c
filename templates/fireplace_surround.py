"""Fireplace surround template: legs and header framing a tiled slip band and a black
firebox opening, a mantel (Classic with cornice, corbels and plinth blocks, Modern slab
shelf, or Flush with no shelf) and an optional slate hearth.

The opening width/height and the border width are product-collection properties as well
as Geometry Nodes inputs: the mantel objects are lifted to the top of the frame by
drivers reading them. The slip tile colour is a Color input stored as a colour attribute
(glTF COLOR_0) that the "Glazed Tile" material uses as its base colour.
"""

from __future__ import annotations

import math

import template_building as tb
from template_building import GeometryTree, Param

SLUG = "fireplace_surround"
NAME = "Fireplace surround"

# -- fixed construction sizes (metres) -------------------------------------------------
SLIP = 0.15  # width of the tiled band between the opening and the legs
SURROUND_DEPTH = 0.12  # legs and header, from the wall
SLIP_DEPTH = 0.08  # slip backing (firebox cheeks), from the wall
TILE_THICKNESS = 0.01
TILE_TARGET = 0.15  # tiles are about this size, resized to fit the band exactly
GROUT = 0.003
HEARTH_DEPTH = 0.45
HEARTH_THICKNESS = 0.03
HEARTH_OVERHANG = 0.05  # beyond the legs on each side
CLASSIC_SHELF = {"thickness": 0.05, "depth": 0.24, "overhang": 0.07}
MODERN_SHELF = {"thickness": 0.075, "depth": 0.22, "overhang": 0.05}

OPENING_WIDTH = Param(
    "Opening Width", "FLOAT", 0.90, min=0.60, max=1.20, subtype="DISTANCE",
    description="Width of the firebox opening the surround frames.",
)  # fmt: skip
OPENING_HEIGHT = Param(
    "Opening Height", "FLOAT", 0.80, min=0.55, max=1.00, subtype="DISTANCE",
    description="Height of the firebox opening, from the floor.",
)  # fmt: skip
BORDER_WIDTH = Param(
    "Border Width", "FLOAT", 0.20, min=0.12, max=0.35, subtype="DISTANCE",
    description="Width of the surround's legs, which is also the height of its header.",
)  # fmt: skip
HEARTH = Param(
    "Hearth", "BOOL", True,
    description="Add a raised slate hearth in front of the fireplace.",
)  # fmt: skip
TILE_COLOR = Param(
    "Tile Color", "COLOR", "#2E5E4E",
    description="Colour of the glazed slip tiles around the opening.",
)  # fmt: skip

SURROUND_FINISHES = {  # name: (sRGB colour, roughness)
    "Painted White": ("#F0EEE9", 0.5),
    "Limestone": ("#D6CCBA", 0.85),
    "Oak": ("#B5885A", 0.55),
    "Charcoal": ("#3A3B3E", 0.6),
}
MANTEL_STYLES = ["Classic", "Modern", "Flush"]

RULES = [
    {
        "if": {"properties": {"opening_width": {"exclusiveMinimum": 1.0}}, "required": ["opening_width"]},
        "then": {"properties": {"hearth": {"const": True}}, "required": ["hearth"]},
        "x-message": "Fireplace openings wider than 1.0 m need a hearth to protect the floor in front of the fire.",
    }
]

# Frame top above the floor, as the mantel drivers compute it.
FRAME_TOP_EXPRESSION = f"opening_height + border_width + {SLIP:.2f}"


def frame_width(t: GeometryTree):
    return t["opening_width"] + 2 * SLIP + 2 * t["border_width"]


def build_surround_tree():
    t = GeometryTree(
        "Surround Frame", [OPENING_WIDTH, OPENING_HEIGHT, BORDER_WIDTH], "Two legs and a header around the slip band."
    )
    half, b = frame_width(t) * 0.5, t["border_width"]
    leg_top = t["opening_height"] + SLIP
    y0 = -SURROUND_DEPTH
    left = t.box_between(-half, b - half, y0, 0.0, 0.0, leg_top)
    right = t.box_between(half - b, half, y0, 0.0, 0.0, leg_top)
    header = t.box_between(-half, half, y0, 0.0, leg_top, leg_top + b)
    return t.finish(t.join(left, right, header))


def build_firebox_tree():
    t = GeometryTree(
        "Firebox",
        [OPENING_WIDTH, OPENING_HEIGHT],
        "Black fireback, floor and the slip backing that forms the opening's cheeks.",
    )
    ow, oh = t["opening_width"] * 0.5, t["opening_height"]
    fireback = t.box_between(-ow, ow, -0.01, 0.0, 0.0, oh)
    floor = t.box_between(-ow, ow, -SLIP_DEPTH, -0.01, 0.0, 0.01)
    left = t.box_between(-ow - SLIP, -ow, -SLIP_DEPTH, 0.0, 0.0, oh + SLIP)
    right = t.box_between(ow, ow + SLIP, -SLIP_DEPTH, 0.0, 0.0, oh + SLIP)
    top = t.box_between(-ow, ow, -SLIP_DEPTH, 0.0, oh, oh + SLIP)
    return t.finish(t.join(fireback, floor, left, right, top))


def build_tiles_tree():
    t = GeometryTree(
        "Slip Tiles",
        [OPENING_WIDTH, OPENING_HEIGHT, TILE_COLOR],
        "Glazed tiles in two columns and a top row, sized to fit the band.",
    )
    ow, oh = t["opening_width"], t["opening_height"]
    y = -SLIP_DEPTH - TILE_THICKNESS * 0.5
    rows = t.round(oh / TILE_TARGET)
    row_pitch = oh / rows
    column_tile = t.box((SLIP - GROUT, TILE_THICKNESS, row_pitch - GROUT))
    column_x = ow * 0.5 + SLIP * 0.5
    left = t.repeat(column_tile, rows, (-column_x, y, row_pitch * 0.5), (0.0, 0.0, row_pitch))
    right = t.repeat(column_tile, rows, (column_x, y, row_pitch * 0.5), (0.0, 0.0, row_pitch))
    top_width = ow + 2 * SLIP
    columns = t.round(top_width / TILE_TARGET)
    column_pitch = top_width / columns
    top_tile = t.box((column_pitch - GROUT, TILE_THICKNESS, SLIP - GROUT))
    top = t.repeat(
        top_tile, columns, (column_pitch * 0.5 - top_width * 0.5, y, oh + SLIP * 0.5), (column_pitch, 0.0, 0.0)
    )
    return t.finish(t.store_color(t.join(left, right, top), "tile_color", t["tile_color"]))


def build_hearth_tree():
    t = GeometryTree(
        "Hearth", [OPENING_WIDTH, BORDER_WIDTH, HEARTH], "Raised slate hearth, a little wider than the surround."
    )
    half = frame_width(t) * 0.5 + HEARTH_OVERHANG
    slab = t.box_between(-half, half, -HEARTH_DEPTH, 0.0, 0.0, HEARTH_THICKNESS)
    return t.finish(t.switch(t["hearth"], slab))


def arc(center, radius_u, radius_v, start_deg, end_deg, steps):
    """Points on an elliptical arc in a (u, v) plane, both ends included."""
    cu, cv = center
    points = []
    for i in range(steps + 1):
        angle = math.radians(start_deg + (end_deg - start_deg) * i / steps)
        points.append((round(cu + radius_u * math.cos(angle), 6), round(cv + radius_v * math.sin(angle), 6)))
    return points


def build_classic_shelf_tree():
    t = GeometryTree(
        "Classic Mantel Shelf",
        [OPENING_WIDTH, BORDER_WIDTH],
        "Shelf with a rounded nose, overhanging the legs; local z = 0 is the frame top.",
    )
    s = CLASSIC_SHELF
    r = s["thickness"] * 0.5
    nose = arc((r - s["depth"], r), r, r, 270, 90, 8)  # bottom -> front -> top
    profile = [(0.0, 0.0)] + nose + [(0.0, s["thickness"])]
    half = frame_width(t) * 0.5 + s["overhang"]
    return t.finish(t.prism(profile, half * 2, axis="X", offset=-half, smooth=True))


def build_cornice_tree():
    t = GeometryTree(
        "Classic Cornice Moulding",
        [OPENING_WIDTH, BORDER_WIDTH],
        "Cove moulding under the shelf, across the frame; local z = 0 is the frame top.",
    )
    back = -SURROUND_DEPTH + 0.01  # 1 cm into the header
    cove = arc((-0.17, -0.06), 0.04, 0.04, 0, 90, 6)  # (-0.13, -0.06) -> (-0.17, -0.02)
    profile = [(back, -0.07), (-0.13, -0.07)] + cove + [(-0.17, 0.0), (back, 0.0)]
    half = frame_width(t) * 0.5
    return t.finish(t.prism(profile, half * 2, axis="X", offset=-half, smooth=True))


def build_corbels_tree():
    t = GeometryTree(
        "Classic Corbels",
        [OPENING_WIDTH, BORDER_WIDTH],
        "A cove-profile corbel on top of each leg, under the cornice; local z = 0 is the frame top.",
    )
    back = -SURROUND_DEPTH + 0.01
    bottom = -0.32
    # Concave cove from under the cornice's front edge down to a narrow foot.
    cove = [
        (round(-0.17 + 0.045 * math.sin(math.radians(a)), 6), round(bottom + 0.22 * math.cos(math.radians(a)), 6))
        for a in range(0, 91, 15)
    ]
    profile = [(back, -0.07), (-0.17, -0.07)] + cove + [(back, bottom)]
    width = 0.07
    corbel = t.prism(profile, width, axis="X", offset=width * -0.5, smooth=True)
    x = frame_width(t) * 0.5 - t["border_width"] * 0.5
    return t.finish(t.join(t.translate(corbel, (-x, 0.0, 0.0)), t.translate(corbel, (x, 0.0, 0.0))))


def build_plinth_blocks_tree():
    t = GeometryTree(
        "Classic Plinth Blocks", [OPENING_WIDTH, BORDER_WIDTH], "Blocks at the foot of each leg, slightly proud of it."
    )
    half, b = frame_width(t) * 0.5, t["border_width"]
    y0 = -SURROUND_DEPTH - 0.015
    left = t.box_between(-half - 0.01, b - half + 0.01, y0, 0.0, 0.0, 0.14)
    right = t.box_between(half - b - 0.01, half + 0.01, y0, 0.0, 0.0, 0.14)
    return t.finish(t.join(left, right))


def build_modern_shelf_tree():
    t = GeometryTree(
        "Modern Mantel Shelf", [OPENING_WIDTH, BORDER_WIDTH], "Thick slab shelf; local z = 0 is the frame top."
    )
    s = MODERN_SHELF
    half = frame_width(t) * 0.5 + s["overhang"]
    return t.finish(t.box_between(-half, half, -s["depth"], 0.0, 0.0, s["thickness"]))


def surround_finish(name: str, color: str, roughness: float):
    """Oak has grain, limestone a fine cloudy stone; the painted finishes are flat."""
    group = "Surround Finish"
    if name == "Oak":
        return tb.wood_material(name, "#C99D68", "#9A6B3E", roughness, group=group, ring_scale=16.0)
    if name == "Limestone":
        return tb.stone_material(name, "#E2D9C8", "#BDB097", roughness, group=group, cell_scale=10.0)
    return tb.principled_material(name, color, roughness, group=group)


def build() -> tb.Product:
    finishes = {name: surround_finish(name, color, roughness) for name, (color, roughness) in SURROUND_FINISHES.items()}
    finish = finishes["Painted White"]
    cast_iron = tb.principled_material("Cast Iron", "#1B1B1C", 0.75, 0.6)
    slate = tb.stone_material("Honed Slate", "#545A61", "#2B2F34", 0.7, cell_scale=4.0)
    tile = tb.glaze_material("Glazed Tile", TILE_COLOR.default, 0.2, color_attribute="tile_color")

    product = tb.new_product_collection(
        "Fireplace Surround", [OPENING_WIDTH, OPENING_HEIGHT, BORDER_WIDTH], private={"_template_revision": 1}
    )
    tb.new_part("Surround", product, build_surround_tree(), finish, bevel_width=0.003)
    tb.new_part("Firebox", product, build_firebox_tree(), cast_iron)
    tb.new_part("Slip Tiles", product, build_tiles_tree(), tile, bevel_width=0.0015)
    tb.new_part("Hearth", product, build_hearth_tree(), slate, bevel_width=0.003)

    styles = tb.new_variant_set(product, "Mantel Style", MANTEL_STYLES, default="Classic")
    lifted = [
        tb.new_part("Mantel Shelf (Classic)", styles["Classic"], build_classic_shelf_tree(), finish),
        tb.new_part("Cornice Moulding (Classic)", styles["Classic"], build_cornice_tree(), finish),
        tb.new_part("Corbels (Classic)", styles["Classic"], build_corbels_tree(), finish),
        tb.new_part("Mantel Shelf (Modern)", styles["Modern"], build_modern_shelf_tree(), finish, bevel_width=0.003),
    ]
    tb.new_part("Plinth Blocks (Classic)", styles["Classic"], build_plinth_blocks_tree(), finish, bevel_width=0.003)
    for obj in lifted:
        tb.drive_from_product(obj, "location", 2, product, FRAME_TOP_EXPRESSION, ["opening_height", "border_width"])
    # "Flush" has no objects: the frame top is the top of the fireplace.

    tb.write_rules(RULES)
    return tb.Product(SLUG, product, catalog_entry())


# -- catalog -------------------------------------------------------------------------------

DEFAULTS = {
    "opening_width": 0.90,
    "opening_height": 0.80,
    "border_width": 0.20,
    "hearth": True,
    "tile_color": "#2E5E4E",
    "mantel_style": "Classic",
    "surround_finish": "Painted White",
}


def overall_size(config: dict) -> list[float]:
    """[width, height, depth] of the exported model.

    frame width  = opening_width + 2*0.15 (tiled slips) + 2*border_width
    width        = frame width + 2*max(shelf overhang: Classic 0.07 / Modern 0.05 / Flush 0,
                                       0.05 if hearth else 0)
    height       = opening_height + 0.15 + border_width + shelf thickness (Classic 0.05 /
                   Modern 0.075 / Flush 0)
    depth        = 0.45 with a hearth, else the shelf depth (Classic 0.24 / Modern 0.22 /
                   Flush 0.12, the surround itself)
    """
    c = {**DEFAULTS, **config}
    style = c["mantel_style"]
    shelf = {"Classic": CLASSIC_SHELF, "Modern": MODERN_SHELF}.get(style)
    overhang = max(shelf["overhang"] if shelf else 0.0, HEARTH_OVERHANG if c["hearth"] else 0.0)
    width = c["opening_width"] + 2 * SLIP + 2 * c["border_width"] + 2 * overhang
    height = c["opening_height"] + SLIP + c["border_width"] + (shelf["thickness"] if shelf else 0.0)
    depth = max(SURROUND_DEPTH, shelf["depth"] if shelf else 0.0, HEARTH_DEPTH if c["hearth"] else 0.0)
    return [width, height, depth]


def _example(config: dict) -> dict:
    c = {**DEFAULTS, **config}
    style_objects = {
        "Classic": [
            "Mantel Shelf (Classic)",
            "Cornice Moulding (Classic)",
            "Corbels (Classic)",
            "Plinth Blocks (Classic)",
        ],
        "Modern": ["Mantel Shelf (Modern)"],
        "Flush": [],
    }
    present = ["Surround", "Firebox", "Slip Tiles", "Cast Iron", "Glazed Tile", c["surround_finish"]]
    present += style_objects[c["mantel_style"]]
    absent = [name for style, names in style_objects.items() if style != c["mantel_style"] for name in names]
    absent += [m for m in SURROUND_FINISHES if m != c["surround_finish"]]
    (present if c["hearth"] else absent).append("Honed Slate")
    return tb.catalog_example(config, overall_size(config), present, absent)


def catalog_entry() -> dict:
    return tb.catalog_record(
        SLUG,
        NAME,
        description=(
            "A fireplace surround made to fit your opening, with glazed slip tiles, "
            "a classic or modern mantel shelf and an optional slate hearth."
        ),
        dimensions={"width": "opening_width", "height": "opening_height"},
        examples=[
            _example({}),
            _example(
                {
                    "opening_width": 0.6,
                    "opening_height": 0.55,
                    "border_width": 0.12,
                    "hearth": False,
                    "mantel_style": "Flush",
                    "surround_finish": "Charcoal",
                    "tile_color": "#B8432F",
                }
            ),
            _example(
                {
                    "opening_width": 1.2,
                    "opening_height": 1.0,
                    "border_width": 0.35,
                    "hearth": True,
                    "mantel_style": "Modern",
                    "surround_finish": "Limestone",
                    "tile_color": "#D9D4C7",
                }
            ),
            _example(
                {
                    "opening_width": 0.75,
                    "opening_height": 0.7,
                    "border_width": 0.25,
                    "hearth": False,
                    "surround_finish": "Oak",
                }
            ),
            _example({"opening_width": 1.0, "hearth": False, "mantel_style": "Modern", "tile_color": "#1F3A5F"}),
        ],
    )

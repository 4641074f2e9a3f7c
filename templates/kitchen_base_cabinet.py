"""Kitchen base cabinet template: 18 mm carcass with toe-kick recess, shelves, one or two
overlay doors (Shaker or Slab) and bar pulls or knobs.

Overall size is exactly width x height x depth for every configuration: the side panels
span the width and height, the back sits on the wall plane (y = 0) and the handles reach
y = -depth. Doors and handles are placed in depth by drivers that read the product
collection's `depth`; everything else comes from Geometry Nodes.
"""

from __future__ import annotations

import template_building as tb
from template_building import GeometryTree, Param

SLUG = "kitchen_base_cabinet"
NAME = "Kitchen base cabinet"

# -- fixed construction sizes (metres) -------------------------------------------------
PANEL = 0.018  # carcass board thickness
BACK = 0.008  # back panel thickness
TOE_KICK_HEIGHT = 0.10
TOE_KICK_RECESS = 0.05
RAIL_DEPTH = 0.09  # top front/back rails
DOOR_THICKNESS = 0.020
DOOR_BUMPER_GAP = 0.002  # carcass front to door back
DOOR_GAP = 0.003  # reveal around and between doors
HANDLE_PROJECTION = 0.032  # door front to handle front (bar pull and knob alike)
SHELF_SETBACK = 0.02
JOINT_GAP = 0.0001  # carcass boards overlap the boards they meet by 0.1 mm: no coincident faces
# Carcass depth = depth - FRONT_ALLOWANCE.
FRONT_ALLOWANCE = DOOR_BUMPER_GAP + DOOR_THICKNESS + HANDLE_PROJECTION

WIDTH = Param(
    "Width", "FLOAT", 0.60, min=0.30, max=1.20, subtype="DISTANCE",
    description="Overall width of the cabinet, outside of side panel to outside of side panel.",
)  # fmt: skip
HEIGHT = Param(
    "Height", "FLOAT", 0.87, min=0.70, max=0.90, subtype="DISTANCE",
    description="Overall height from the floor, including the toe kick (worktop not included).",
)  # fmt: skip
DEPTH = Param(
    "Depth", "FLOAT", 0.58, min=0.50, max=0.65, subtype="DISTANCE",
    description="Overall depth from the wall to the front of the handles.",
)  # fmt: skip
DOOR_COUNT = Param(
    "Door Count", "INT", 1, min=1, max=2,
    description="Number of doors across the front. Cabinets wider than 0.9 m need two.",
)  # fmt: skip
SHELF_COUNT = Param(
    "Shelf Count", "INT", 1, min=0, max=3,
    description="Number of shelves inside the cabinet, evenly spaced.",
)  # fmt: skip
HANDLE_POSITION = Param(
    "Handle Position", "FLOAT", 1.0, min=0.0, max=1.0, subtype="FACTOR",
    description="Height of the handles on the doors: 0 at the bottom, 1 at the top (usual for base cabinets).",
)  # fmt: skip

CARCASS_FINISHES = {  # name: (sRGB colour, roughness)
    "White Matte": ("#EDEBE6", 0.65),
    "Oak": ("#B5885A", 0.55),
    "Walnut": ("#5B3A26", 0.5),
    "Sage Green": ("#8C9C80", 0.6),
    "Navy Blue": ("#2C3A52", 0.55),
    "Red Lacquer": ("#8E1E1E", 0.3),
}
# Finishes that are more than a colour (the rest are painted: flat). Woods: (light, dark) grain.
WOOD_GRAIN = {"Oak": ("#C99D68", "#9A6B3E"), "Walnut": ("#74503A", "#45291A")}
LACQUERED = {"Red Lacquer"}  # a clear coat (KHR_materials_clearcoat)
HANDLE_FINISHES = {  # name: (sRGB colour, roughness, metallic)
    "Brushed Steel": ("#C4C6C8", 0.35, 1.0),
    "Matte Black": ("#1C1C1C", 0.6, 0.3),
    "Brass": ("#C9A24E", 0.3, 1.0),
}
BRUSHED = {"Brushed Steel", "Brass"}  # fine brushing lines; matte black stays flat

RULES = [
    {
        "if": {"properties": {"width": {"exclusiveMinimum": 0.9}}, "required": ["width"]},
        "then": {"properties": {"door_count": {"const": 2}}, "required": ["door_count"]},
        "x-message": (
            "Cabinets wider than 0.9 m need two doors: a single door that wide would sag and hit the wall when opened."
        ),
    }
]


def carcass_depth(tree: GeometryTree):
    return tree["depth"] - FRONT_ALLOWANCE


def build_carcass_tree():
    t = GeometryTree(
        "Cabinet Carcass",
        [WIDTH, HEIGHT, DEPTH],
        "Side panels with toe-kick notch, bottom, back, top rails and toe kick board.",
    )
    w, h, cd = t["width"], t["height"], carcass_depth(t)
    inner = w * 0.5 - PANEL
    kick_front = TOE_KICK_RECESS - cd  # y of the recessed toe-kick face
    side_profile = [
        (0.0, 0.0),
        (kick_front, 0.0),
        (kick_front, TOE_KICK_HEIGHT),
        (-cd, TOE_KICK_HEIGHT),
        (-cd, h),
        (0.0, h),
    ]
    side = t.prism(side_profile, PANEL, axis="X")
    left = t.translate(side, (w * -0.5, 0.0, 0.0))
    right = t.translate(side, (inner, 0.0, 0.0))
    # Boards between the sides reach JOINT_GAP into the boards they meet: butted exactly, each
    # joint held two faces in one plane that z-fight wherever both are drawn, and the bevel
    # grooved every board's own edges there — dotted seams along every joint (issue 13;
    # tests/test_materials.py checks the geometry). A gap instead shows as a dotted slit;
    # welding (an exact Mesh Boolean) is clean too but costs 70 ms a job, this nothing.
    between = inner + JOINT_GAP
    front_of_back = -BACK + JOINT_GAP
    bottom = t.box_between(-between, between, -cd, front_of_back, TOE_KICK_HEIGHT, TOE_KICK_HEIGHT + PANEL)
    back = t.box_between(-between, between, -BACK, 0.0, TOE_KICK_HEIGHT, h)
    front_rail = t.box_between(-between, between, -cd, RAIL_DEPTH - cd, h - PANEL, h)
    back_rail = t.box_between(-between, between, front_of_back - RAIL_DEPTH, front_of_back, h - PANEL, h)
    toe_kick = t.box_between(-between, between, kick_front, kick_front + PANEL, 0.0, TOE_KICK_HEIGHT + JOINT_GAP)
    return t.finish(t.join(left, right, bottom, back, front_rail, back_rail, toe_kick))


def build_shelves_tree():
    t = GeometryTree(
        "Cabinet Shelves",
        [WIDTH, HEIGHT, DEPTH, SHELF_COUNT],
        "Evenly spaced shelves between the bottom and the top rails.",
    )
    w, h, cd, n = t["width"], t["height"], carcass_depth(t), t["shelf_count"]
    inner = w * 0.5 - PANEL - 0.001
    shelf = t.box_between(-inner, inner, SHELF_SETBACK - cd, -BACK, PANEL * -0.5, PANEL * 0.5)
    z_low = TOE_KICK_HEIGHT + PANEL
    step = (h - PANEL - z_low) / (n + 1.0)
    return t.finish(t.repeat(shelf, n, (0.0, 0.0, z_low + step), (0.0, 0.0, step)))


def door_layout(t: GeometryTree):
    """Door width, door height and the first door's centre (x, z) for the Door Count."""
    w, h, n = t["width"], t["height"], t["door_count"]
    door_width = (w - (n + 1.0) * DOOR_GAP) / n
    door_height = h - TOE_KICK_HEIGHT - DOOR_GAP
    first_x = w * -0.5 + DOOR_GAP + door_width * 0.5
    return door_width, door_height, first_x, TOE_KICK_HEIGHT + door_height * 0.5


def build_doors_tree(style: str):
    """Doors in the object's local frame: back face on y = 0, front on y = -DOOR_THICKNESS."""
    t = GeometryTree(
        f"{style} Doors", [WIDTH, HEIGHT, DOOR_COUNT], f"{style} overlay doors, evenly split across the front."
    )
    dw, dh, first_x, center_z = door_layout(t)
    y0, y1 = -DOOR_THICKNESS, 0.0
    if style == "Shaker":
        frame = t.minimum(0.07, dw * 0.22)  # stiles and rails; narrower on very narrow doors
        stile = t.box((frame, DOOR_THICKNESS, dh), (0.0, -DOOR_THICKNESS * 0.5, 0.0))
        stile_x = dw * 0.5 - frame * 0.5
        rail_width = dw - 2 * frame
        rail = t.box((rail_width, DOOR_THICKNESS, frame), (0.0, -DOOR_THICKNESS * 0.5, 0.0))
        rail_z = dh * 0.5 - frame * 0.5
        # Recessed centre panel: front 6 mm behind the frame, edges hidden in the frame.
        panel = t.box((rail_width + 0.01, 0.010, dh - 2 * frame + 0.01), (0.0, -0.011, 0.0))
        door = t.join(
            t.translate(stile, (-stile_x, 0.0, 0.0)),
            t.translate(stile, (stile_x, 0.0, 0.0)),
            t.translate(rail, (0.0, 0.0, rail_z)),
            t.translate(rail, (0.0, 0.0, -rail_z)),
            panel,
        )
    else:
        door = t.box((dw, y1 - y0, dh), (0.0, (y0 + y1) * 0.5, 0.0))
    return t.finish(t.repeat(door, t["door_count"], (first_x, 0.0, center_z), (dw + DOOR_GAP, 0.0, 0.0)))


def build_handles_tree(style: str):
    """One handle per door in the object's local frame: mounted on y = 0, reaching
    y = -HANDLE_PROJECTION; on the meeting stiles for two doors, on the right for one."""
    t = GeometryTree(
        f"{style} Handles",
        [WIDTH, HEIGHT, DOOR_COUNT, HANDLE_POSITION],
        f"One {style.lower()} per door, near the opening edge.",
    )
    dw, dh, first_x, _ = door_layout(t)
    p = HANDLE_PROJECTION
    if style == "Bar Pull":
        length, radius, centres = 0.16, 0.006, 0.128
        bar = t.cylinder(radius, length, (0.0, radius - p, 0.0), axis="Z", vertices=16)
        post_length = p - 2 * radius + 0.002
        post = t.cylinder(0.005, post_length, (0.0, post_length * -0.5, 0.0), axis="Y", vertices=12)
        handle = t.join(
            bar, t.translate(post, (0.0, 0.0, centres * 0.5)), t.translate(post, (0.0, 0.0, centres * -0.5))
        )
        inset, half_length = 0.035, length * 0.5
    else:
        rose = t.cylinder(0.012, 0.004, (0.0, -0.002, 0.0), axis="Y", vertices=24)
        stem = t.cylinder(0.006, 0.018, (0.0, -0.012, 0.0), axis="Y", vertices=12)
        head = t.cylinder(0.016, 0.012, (0.0, 0.006 - p, 0.0), axis="Y", vertices=24)
        handle = t.join(rose, stem, head)
        inset, half_length = 0.04, 0.016
    margin = 0.05 + half_length
    z = TOE_KICK_HEIGHT + margin + (dh - 2 * margin) * t["handle_position"]
    x0 = first_x + dw * 0.5 - inset
    return t.finish(t.repeat(handle, t["door_count"], (x0, 0.0, z), (DOOR_GAP + 2 * inset, 0.0, 0.0)))


def carcass_finish(name: str, color: str, roughness: float):
    group = "Carcass Finish"
    if name in WOOD_GRAIN:
        light, dark = WOOD_GRAIN[name]
        return tb.wood_material(name, light, dark, roughness, group=group, ring_scale=16.0 if name == "Oak" else 11.0)
    if name in LACQUERED:
        return tb.lacquer_material(name, color, roughness, group=group)
    return tb.principled_material(name, color, roughness, group=group)


def handle_finish(name: str, color: str, roughness: float, metallic: float):
    if name in BRUSHED:
        return tb.brushed_metal_material(name, color, roughness, group="Handle Finish", tile_m=0.1)
    return tb.principled_material(name, color, roughness, metallic, group="Handle Finish")


def build() -> tb.Product:
    carcass_finishes = {name: carcass_finish(name, color, roughness)
                        for name, (color, roughness) in CARCASS_FINISHES.items()}
    handle_finishes = {name: handle_finish(name, color, roughness, metallic)
                       for name, (color, roughness, metallic) in HANDLE_FINISHES.items()}
    carcass_material = carcass_finishes["White Matte"]
    handle_material = handle_finishes["Brushed Steel"]

    product = tb.new_product_collection(
        "Kitchen Base Cabinet", [WIDTH, HEIGHT, DEPTH], private={"_template_revision": 1}
    )
    product["cfg_formats"] = {"handle_position": "percent"}  # a share of the door's height, read as %
    # Sharp board edges: a bevel rounds each board's edges at the joints too (grooves).
    tb.new_part("Carcass", product, build_carcass_tree(), carcass_material, bevel_width=0.0)
    tb.new_part("Shelves", product, build_shelves_tree(), carcass_material)

    doors = tb.new_variant_set(product, "Door Style", ["Shaker", "Slab"], default="Shaker")
    for style, option in doors.items():
        obj = tb.new_part(
            f"Doors ({style})",
            option,
            build_doors_tree(style),
            carcass_material,
            bevel_width=0.002 if style == "Shaker" else 0.003,
        )
        # Door backs sit DOOR_BUMPER_GAP in front of the carcass.
        tb.drive_from_product(
            obj, "location", 1, product, f"{FRONT_ALLOWANCE - DOOR_BUMPER_GAP:.3f} - depth", ["depth"]
        )

    handles = tb.new_variant_set(product, "Handle Style", ["Bar Pull", "Knob"], default="Bar Pull")
    for style, option in handles.items():
        # 45°: the posts' and stems' 12-sided faces meet at 30°, which a 30° limit would bevel
        # or not as float noise has it; only the square ends (90°) are meant.
        obj = tb.new_part(f"Handles ({style})", option, build_handles_tree(style), handle_material,
                          bevel_width=0.001, bevel_angle_limit=45.0)
        tb.drive_from_product(obj, "location", 1, product, f"{HANDLE_PROJECTION:.3f} - depth", ["depth"])

    tb.write_rules(RULES)
    return tb.Product(SLUG, product, catalog_entry())


# -- catalog -------------------------------------------------------------------------------

DEFAULTS = {
    "width": 0.60,
    "height": 0.87,
    "depth": 0.58,
    "door_count": 1,
    "shelf_count": 1,
    "handle_position": 1.0,
    "door_style": "Shaker",
    "handle_style": "Bar Pull",
    "carcass_finish": "White Matte",
    "handle_finish": "Brushed Steel",
}


def overall_size(config: dict) -> list[float]:
    """[width, height, depth] of the exported model: exactly the three size parameters."""
    c = {**DEFAULTS, **config}
    return [c["width"], c["height"], c["depth"]]


def _example(config: dict) -> dict:
    c = {**DEFAULTS, **config}
    doors = ["Shaker", "Slab"]
    handles = ["Bar Pull", "Knob"]
    present = [
        "Carcass",
        f"Doors ({c['door_style']})",
        f"Handles ({c['handle_style']})",
        c["carcass_finish"],
        c["handle_finish"],
    ]
    absent = [f"Doors ({d})" for d in doors if d != c["door_style"]]
    absent += [f"Handles ({h})" for h in handles if h != c["handle_style"]]
    absent += [m for m in CARCASS_FINISHES if m != c["carcass_finish"]]
    absent += [m for m in HANDLE_FINISHES if m != c["handle_finish"]]
    return tb.catalog_example(config, overall_size(config), present, absent)


def catalog_entry() -> dict:
    return tb.catalog_record(
        SLUG,
        NAME,
        description=(
            "A made-to-measure kitchen base cabinet with Shaker or slab doors, "
            "shelves inside and your choice of finish and handles."
        ),
        dimensions={"width": "width", "height": "height", "depth": "depth"},
        examples=[
            _example({}),
            _example(
                {
                    "width": 0.3,
                    "height": 0.7,
                    "depth": 0.5,
                    "shelf_count": 0,
                    "door_style": "Slab",
                    "handle_style": "Knob",
                    "carcass_finish": "Oak",
                    "handle_finish": "Brass",
                    "handle_position": 0.5,
                }
            ),
            _example(
                {
                    "width": 1.2,
                    "height": 0.9,
                    "depth": 0.65,
                    "door_count": 2,
                    "shelf_count": 3,
                    "carcass_finish": "Sage Green",
                    "handle_finish": "Matte Black",
                }
            ),
            _example({"width": 0.9, "door_count": 2, "door_style": "Slab", "carcass_finish": "Walnut"}),
            _example(
                {"width": 0.45, "depth": 0.6, "handle_style": "Knob", "carcass_finish": "Navy Blue", "shelf_count": 2}
            ),
        ],
    )

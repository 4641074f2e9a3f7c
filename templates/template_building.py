"""Shared bpy helpers for building Configurator product templates (template contract v1.1).

The product modules (`kitchen_base_cabinet.py`, `fireplace_surround.py`, `range_hood.py`)
describe their parts with these helpers:

* `Param` – one customer-facing parameter. The same `Param` creates the Geometry Nodes
  input socket *and* the product-collection custom property, so a key found in both
  sources always agrees in type, range, default and description.
* `GeometryTree` – builds a Geometry Nodes modifier group from Python expressions. Values
  are node sockets wrapped in `Value`, so `tree["width"] / 2 - 0.018` creates Math nodes.
  Only the declared parameters become group inputs; every constant is baked into nodes.
* materials (`principled_material`; procedural finishes baked at publish: `wood_material`,
  `brushed_metal_material`, `stone_material`, `glaze_material`; `lacquer_material`),
  collections (`new_product_collection`,
  `new_variant_set`), objects (`new_part`), drivers (`drive_from_product`), the rules
  text block (`write_rules`) and saving (`save_blend`).

Conventions: metres, Blender Z up, the product stands on z = 0, is centred on x = 0 and
its back is against the wall plane y = 0; the front faces -Y (glTF +Z after Y-up export).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field

import bpy

# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------

PARAM_SOCKET_TYPES = {
    "FLOAT": "NodeSocketFloat",
    "INT": "NodeSocketInt",
    "BOOL": "NodeSocketBool",
    "MENU": "NodeSocketMenu",
    "COLOR": "NodeSocketColor",
    "MATERIAL": "NodeSocketMaterial",
}


def snake_case(name: str) -> str:
    """Parameter key of a name, as the engine derives it ("Door Count" -> "door_count")."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


@dataclass(frozen=True)
class Param:
    """A customer-facing parameter.

    kind: FLOAT, INT, BOOL, MENU, COLOR (default is "#rrggbb" sRGB) or MATERIAL
    (default is a material name; the material's `cfg_group` should equal `name`).
    """

    name: str
    kind: str
    default: object
    description: str
    min: float | None = None
    max: float | None = None
    subtype: str = "NONE"  # DISTANCE, FACTOR, ... for FLOAT
    items: tuple[str, ...] = ()  # MENU options, in order

    @property
    def key(self) -> str:
        return snake_case(self.name)

    def estimate(self):
        """A plain-number stand-in used while building (orientation checks)."""
        if self.kind in ("FLOAT", "INT"):
            return self.default
        if self.kind == "BOOL":
            return 1.0 if self.default else 0.0
        return None


# ---------------------------------------------------------------------------------------
# Colours and materials
# ---------------------------------------------------------------------------------------


def srgb_to_linear(channel: float) -> float:
    if channel <= 0.04045:
        return channel / 12.92
    return ((channel + 0.055) / 1.055) ** 2.4


def hex_to_linear_rgba(hex_color: str) -> tuple[float, float, float, float]:
    """'#rrggbb' (sRGB, as a customer picks it) -> scene-linear RGBA used by Blender."""
    value = hex_color.lstrip("#")
    rgb = [srgb_to_linear(int(value[i : i + 2], 16) / 255.0) for i in (0, 2, 4)]
    return (rgb[0], rgb[1], rgb[2], 1.0)


def principled_material(
    name: str,
    base_color: str,
    roughness: float,
    metallic: float = 0.0,
    group: str | None = None,
    emission_strength: float = 0.0,
    color_attribute: str | None = None,
) -> bpy.types.Material:
    """A Principled BSDF material whose values survive glTF export.

    group: material group name (custom property `cfg_group`); group members get a fake
    user so options that no object uses in the template are still saved.
    color_attribute: take the base colour from this colour attribute (exported as
    glTF COLOR_0) instead of `base_color`.
    """
    material = bpy.data.materials.new(name)
    rgba = hex_to_linear_rgba(base_color)
    nodes = material.node_tree.nodes
    bsdf = next(node for node in nodes if node.bl_idname == "ShaderNodeBsdfPrincipled")
    bsdf.inputs["Base Color"].default_value = rgba
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Metallic"].default_value = metallic
    if emission_strength:
        bsdf.inputs["Emission Color"].default_value = rgba
        bsdf.inputs["Emission Strength"].default_value = emission_strength
    if color_attribute:
        attribute = nodes.new("ShaderNodeVertexColor")
        attribute.layer_name = color_attribute
        attribute.location = (bsdf.location.x - 300, bsdf.location.y)
        material.node_tree.links.new(attribute.outputs["Color"], bsdf.inputs["Base Color"])
    # Viewport / Workbench display values.
    material.diffuse_color = rgba
    material.roughness = roughness
    material.metallic = metallic
    # Closed solids only: export single-sided.
    material.use_backface_culling = True
    if group:
        material["cfg_group"] = group
        material.use_fake_user = True
    return material


# Procedural finishes (contract v1.1: baked into packed images when the template is published)
#
# Each builder makes a Principled BSDF fed by Blender's procedural textures in Object
# coordinates, in metres: the bake renders it on a tile of `cfg_bake_size` metres lying in
# XY, and box-projected UVs put the tile's Y axis upright on fronts and sides. The viewport
# colour is the finish's typical colour (the configurator's swatch before the bake is known).

def _finish(name: str, swatch: str, roughness: float, metallic: float, group: str | None,
            tile_m: float) -> tuple[bpy.types.Material, object, object, object]:
    """A Principled material to feed; (material, nodes, links, Object coordinates socket)."""
    material = principled_material(name, swatch, roughness, metallic, group=group)
    material["cfg_bake_size"] = tile_m
    nodes, links = material.node_tree.nodes, material.node_tree.links
    coordinates = nodes.new("ShaderNodeTexCoord")
    return material, nodes, links, coordinates.outputs["Object"]


def _scaled(nodes, links, vector, scale: tuple[float, float, float]):
    """`vector` stretched per axis (fine along one axis, long along another: grain, brushing)."""
    node = nodes.new("ShaderNodeMapping")
    node.inputs["Scale"].default_value = scale
    links.new(vector, node.inputs["Vector"])
    return node.outputs["Vector"]


def _noise(nodes, links, vector, scale: float, detail: float = 4.0, roughness: float = 0.5):
    node = nodes.new("ShaderNodeTexNoise")
    node.inputs["Scale"].default_value = scale
    node.inputs["Detail"].default_value = detail
    node.inputs["Roughness"].default_value = roughness
    links.new(vector, node.inputs["Vector"])
    return node.outputs["Fac"]


def _ramp(nodes, links, fac, low: str, high: str):
    node = nodes.new("ShaderNodeValToRGB")
    node.color_ramp.elements[0].color = hex_to_linear_rgba(low)
    node.color_ramp.elements[1].color = hex_to_linear_rgba(high)
    links.new(fac, node.inputs["Fac"])
    return node.outputs["Color"]


def _range(nodes, links, fac, low: float, high: float, from_low: float = 0.0, from_high: float = 1.0):
    node = nodes.new("ShaderNodeMapRange")
    node.inputs["From Min"].default_value, node.inputs["From Max"].default_value = from_low, from_high
    node.inputs["To Min"].default_value, node.inputs["To Max"].default_value = low, high
    links.new(fac, node.inputs["Value"])
    return node.outputs["Result"]


def _mix(nodes, links, a, b, factor: float):
    node = nodes.new("ShaderNodeMix")
    node.data_type = "FLOAT"
    node.inputs["Factor"].default_value = factor
    links.new(a, node.inputs["A"])
    links.new(b, node.inputs["B"])
    return node.outputs["Result"]


def _bump(nodes, links, height, strength: float, distance: float = 0.001):
    node = nodes.new("ShaderNodeBump")
    node.inputs["Strength"].default_value = strength
    node.inputs["Distance"].default_value = distance
    links.new(height, node.inputs["Height"])
    return node.outputs["Normal"]


def _bsdf(material):
    return next(n for n in material.node_tree.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")


def wood_material(name: str, light: str, dark: str, roughness: float, group: str | None = None,
                  ring_scale: float = 16.0) -> bpy.types.Material:
    """Wood with grain along the tile's Y axis (upright on doors): distorted growth rings
    (Wave bands across X) and fine streaks (noise stretched along Y) between `dark` and
    `light`, slightly rougher in the dark grain, with a faint relief."""
    material, nodes, links, vector = _finish(name, _average(light, dark), roughness, 0.0, group, 1.0)
    rings = nodes.new("ShaderNodeTexWave")
    rings.wave_type, rings.bands_direction = "BANDS", "X"
    rings.inputs["Scale"].default_value = ring_scale
    rings.inputs["Distortion"].default_value = 7.0
    rings.inputs["Detail"].default_value = 2.0
    rings.inputs["Detail Scale"].default_value = 1.5
    links.new(_scaled(nodes, links, vector, (1.0, 0.15, 1.0)), rings.inputs["Vector"])
    streaks = _noise(nodes, links, _scaled(nodes, links, vector, (70.0, 2.0, 70.0)), 1.0, detail=6.0)
    grain = _mix(nodes, links, rings.outputs["Fac"], streaks, 0.35)
    bsdf = _bsdf(material)
    links.new(_ramp(nodes, links, grain, dark, light), bsdf.inputs["Base Color"])
    links.new(_range(nodes, links, grain, roughness + 0.08, roughness - 0.06), bsdf.inputs["Roughness"])
    links.new(_bump(nodes, links, grain, 0.12), bsdf.inputs["Normal"])
    return material


def brushed_metal_material(name: str, color: str, roughness: float, group: str | None = None,
                           tile_m: float = 0.25, resolution: int = 256) -> bpy.types.Material:
    """Brushed metal: fine lines along the tile's X axis (horizontal on fronts) in the
    roughness only; the colour stays flat (a metal's colour is its reflection) and a relief
    that fine would cost a normal map's bytes for nothing a shopper sees."""
    material, nodes, links, vector = _finish(name, color, roughness, 1.0, group, tile_m)
    material["cfg_bake_resolution"] = resolution
    lines = _noise(nodes, links, _scaled(nodes, links, vector, (3.0, 600.0, 3.0)), 1.0, detail=3.0)
    bsdf = _bsdf(material)
    links.new(_range(nodes, links, lines, roughness - 0.1, roughness + 0.12, 0.3, 0.7), bsdf.inputs["Roughness"])
    return material


def stone_material(name: str, light: str, dark: str, roughness: float, group: str | None = None,
                   cell_scale: float = 6.0, tile_m: float = 1.0) -> bpy.types.Material:
    """Stone (slate, limestone): cloudy noise and Voronoi veining between `dark` and `light`,
    rougher in the dark, with a relief that follows the veins."""
    material, nodes, links, vector = _finish(name, _average(light, dark), roughness, 0.0, group, tile_m)
    material["cfg_bake_resolution"] = 256  # 4 mm a pixel: stone's fine noise costs normal-map bytes, not looks
    clouds = _noise(nodes, links, vector, cell_scale, detail=5.0, roughness=0.55)
    veins = nodes.new("ShaderNodeTexVoronoi")
    veins.feature = "DISTANCE_TO_EDGE"
    veins.inputs["Scale"].default_value = cell_scale * 0.6
    links.new(vector, veins.inputs["Vector"])
    edge = _range(nodes, links, veins.outputs["Distance"], 0.0, 1.0, 0.0, 0.06)
    stone = _mix(nodes, links, clouds, edge, 0.3)
    bsdf = _bsdf(material)
    links.new(_ramp(nodes, links, stone, dark, light), bsdf.inputs["Base Color"])
    links.new(_range(nodes, links, stone, roughness + 0.1, roughness - 0.1), bsdf.inputs["Roughness"])
    links.new(_bump(nodes, links, stone, 0.25, 0.002), bsdf.inputs["Normal"])
    return material


def glaze_material(name: str, color: str, roughness: float, color_attribute: str) -> bpy.types.Material:
    """A glaze over a colour attribute (the tiles' colour stays a parameter): a gently wavy
    surface and a sheen that varies, baked into roughness and normal maps only."""
    material = principled_material(name, color, roughness, color_attribute=color_attribute)
    material["cfg_bake_size"] = 0.5
    material["cfg_bake_resolution"] = 256  # 2 mm a pixel over a gentle wave: enough
    nodes, links = material.node_tree.nodes, material.node_tree.links
    vector = nodes.new("ShaderNodeTexCoord").outputs["Object"]
    waves = _noise(nodes, links, vector, 9.0, detail=2.0)
    bsdf = _bsdf(material)
    links.new(_range(nodes, links, waves, roughness - 0.08, roughness + 0.12), bsdf.inputs["Roughness"])
    links.new(_bump(nodes, links, waves, 0.15, 0.002), bsdf.inputs["Normal"])
    return material


def lacquer_material(name: str, color: str, roughness: float, group: str | None = None) -> bpy.types.Material:
    """A lacquered finish: a clear coat over the colour (exported as KHR_materials_clearcoat);
    flat, so no textures."""
    material = principled_material(name, color, roughness, group=group)
    bsdf = _bsdf(material)
    bsdf.inputs["Coat Weight"].default_value = 1.0
    bsdf.inputs["Coat Roughness"].default_value = 0.04
    return material


def _average(a: str, b: str) -> str:
    mixed = [(int(a[i:i + 2], 16) + int(b[i:i + 2], 16)) // 2 for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02X}" for c in mixed)


# ---------------------------------------------------------------------------------------
# Geometry Nodes building
# ---------------------------------------------------------------------------------------

_PY_MATH = {
    "ADD": lambda a, b: a + b,
    "SUBTRACT": lambda a, b: a - b,
    "MULTIPLY": lambda a, b: a * b,
    "DIVIDE": lambda a, b: a / b,
    "MINIMUM": min,
    "MAXIMUM": max,
    "ROUND": lambda a, _b: math.floor(a + 0.5),
    "FLOOR": lambda a, _b: math.floor(a),
}


class Value:
    """A node output socket inside a `GeometryTree`, with arithmetic that adds Math nodes.

    `est` is the value it takes with all parameters at their defaults (None for fields,
    geometry and non-numeric values); it is used for build-time orientation checks only.
    """

    __slots__ = ("tree", "socket", "est")

    def __init__(self, tree: GeometryTree, socket, est=None):
        self.tree, self.socket, self.est = tree, socket, est

    def __add__(self, other):
        return self.tree.math("ADD", self, other)

    def __radd__(self, other):
        return self.tree.math("ADD", other, self)

    def __sub__(self, other):
        return self.tree.math("SUBTRACT", self, other)

    def __rsub__(self, other):
        return self.tree.math("SUBTRACT", other, self)

    def __mul__(self, other):
        return self.tree.math("MULTIPLY", self, other)

    def __rmul__(self, other):
        return self.tree.math("MULTIPLY", other, self)

    def __truediv__(self, other):
        return self.tree.math("DIVIDE", self, other)

    def __rtruediv__(self, other):
        return self.tree.math("DIVIDE", other, self)

    def __neg__(self):
        return self.tree.math("MULTIPLY", self, -1.0)


def _est(value):
    if isinstance(value, Value):
        return value.est
    if isinstance(value, (int, float)):
        return value
    return None


Number = (int, float)


class GeometryTree:
    """Builds one Geometry Nodes modifier group whose inputs are exactly `params`."""

    def __init__(self, name: str, params: list[Param], description: str = ""):
        tree = bpy.data.node_groups.new(name, "GeometryNodeTree")
        tree.is_modifier = True
        tree.description = description
        self.tree = tree
        self.params = {param.key: param for param in params}
        tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
        self._input_node = self.node("NodeGroupInput")
        self._inputs: dict[str, Value] = {}
        self._menu_defaults: list[tuple[object, str]] = []
        for param in params:
            socket = tree.interface.new_socket(param.name, in_out="INPUT", socket_type=PARAM_SOCKET_TYPES[param.kind])
            socket.description = param.description
            if param.kind == "FLOAT":
                socket.subtype = param.subtype
                socket.min_value, socket.max_value = param.min, param.max
                socket.default_value = param.default
            elif param.kind == "INT":
                socket.min_value, socket.max_value = int(param.min), int(param.max)
                socket.default_value = int(param.default)
            elif param.kind == "BOOL":
                socket.default_value = bool(param.default)
            elif param.kind == "COLOR":
                socket.default_value = hex_to_linear_rgba(param.default)
            elif param.kind == "MATERIAL":
                socket.default_value = bpy.data.materials[param.default]
            elif param.kind == "MENU":
                self._menu_defaults.append((socket, param.default))
            output = self._input_node.outputs[socket.identifier]
            self._inputs[param.key] = Value(self, output, param.estimate())

    # -- plumbing ----------------------------------------------------------------------

    def __getitem__(self, key: str) -> Value:
        return self._inputs[key]

    def node(self, bl_idname: str, **props):
        node = self.tree.nodes.new(bl_idname)
        for prop, value in props.items():
            setattr(node, prop, value)
        return node

    def feed(self, socket, value) -> None:
        """Connect `value` (Value, number, bool, tuple, Material) to an input socket."""
        if isinstance(value, Value):
            self.tree.links.new(value.socket, socket)
        elif isinstance(value, tuple) and getattr(socket, "hide_value", False):
            # Implicit-field vector inputs ignore their default value: link a constant.
            self.tree.links.new(self.vector(*value, force_node=True).socket, socket)
        else:
            socket.default_value = value

    def math(self, operation: str, a, b=0.0):
        if isinstance(a, Number) and isinstance(b, Number):
            return float(_PY_MATH[operation](a, b))
        # Identities keep the trees small.
        if operation in ("ADD", "SUBTRACT") and isinstance(b, Number) and b == 0:
            return a
        if operation == "ADD" and isinstance(a, Number) and a == 0:
            return b
        if operation in ("MULTIPLY", "DIVIDE") and isinstance(b, Number) and b == 1:
            return a
        if operation == "MULTIPLY" and isinstance(a, Number) and a == 1:
            return b
        node = self.node("ShaderNodeMath", operation=operation)
        self.feed(node.inputs[0], a)
        self.feed(node.inputs[1], b)
        ea, eb = _est(a), _est(b)
        est = _PY_MATH[operation](ea, eb) if ea is not None and eb is not None else None
        return Value(self, node.outputs[0], est)

    def maximum(self, a, b):
        return self.math("MAXIMUM", a, b)

    def minimum(self, a, b):
        return self.math("MINIMUM", a, b)

    def round(self, a):
        return self.math("ROUND", a)

    def vector(self, x, y, z, force_node: bool = False):
        """A vector: a plain tuple when constant, else a Combine XYZ node."""
        if not force_node and all(isinstance(c, Number) for c in (x, y, z)):
            return (float(x), float(y), float(z))
        node = self.node("ShaderNodeCombineXYZ")
        for socket, component in zip(list(node.inputs)[:3], (x, y, z), strict=True):
            self.feed(socket, component)
        ests = [_est(c) for c in (x, y, z)]
        return Value(self, node.outputs[0], None if None in ests else tuple(ests))

    def compare(self, a, operation: str, b, data_type: str = "FLOAT") -> Value:
        node = self.node("FunctionNodeCompare", data_type=data_type, operation=operation)
        inputs = [s for s in node.inputs if s.enabled]
        self.feed(inputs[0], a)
        self.feed(inputs[1], b)
        return Value(self, node.outputs[0])

    def index_field(self) -> Value:
        return Value(self, self.node("GeometryNodeInputIndex").outputs[0])

    # -- geometry ----------------------------------------------------------------------

    def transform(self, geometry: Value, translation=(0.0, 0.0, 0.0), rotation=(0.0, 0.0, 0.0)):
        if translation == (0.0, 0.0, 0.0) and rotation == (0.0, 0.0, 0.0):
            return geometry
        node = self.node("GeometryNodeTransform")
        self.feed(node.inputs["Geometry"], geometry)
        self.feed(
            node.inputs["Translation"], translation if isinstance(translation, Value) else self.vector(*translation)
        )
        node.inputs["Rotation"].default_value = rotation
        return Value(self, node.outputs[0])

    def box(self, size, center=(0.0, 0.0, 0.0)) -> Value:
        """An axis-aligned box: size = (x, y, z), centred at `center`."""
        cube = self.node("GeometryNodeMeshCube")
        self.feed(cube.inputs["Size"], self.vector(*size))
        return self.translate(Value(self, cube.outputs["Mesh"]), center)

    def box_between(self, x0, x1, y0, y1, z0, z1) -> Value:
        """A box spanning [x0, x1] x [y0, y1] x [z0, z1]."""
        size = (x1 - x0, y1 - y0, z1 - z0)
        center = ((x0 + x1) * 0.5, (y0 + y1) * 0.5, (z0 + z1) * 0.5)
        return self.box(size, center)

    def translate(self, geometry: Value, offset) -> Value:
        if isinstance(offset, tuple) and all(isinstance(c, Number) for c in offset):
            return self.transform(geometry, tuple(float(c) for c in offset))
        if isinstance(offset, tuple):
            offset = self.vector(*offset)
        return self.transform(geometry, offset)

    def cylinder(
        self, radius: float, depth: float, center=(0.0, 0.0, 0.0), axis: str = "Z", vertices: int = 16
    ) -> Value:
        """A smooth-sided cylinder along `axis`; `vertices` is a multiple of 4 so the
        bounding box is exactly +-radius."""
        assert vertices % 4 == 0
        node = self.node("GeometryNodeMeshCylinder", fill_type="NGON")
        node.inputs["Vertices"].default_value = vertices
        self.feed(node.inputs["Radius"], radius)
        self.feed(node.inputs["Depth"], depth)
        geometry = self.smooth_by_angle(Value(self, node.outputs["Mesh"]))
        rotation = {"Z": (0.0, 0.0, 0.0), "X": (0.0, math.pi / 2, 0.0), "Y": (math.pi / 2, 0.0, 0.0)}[axis]
        geometry = self.transform(geometry, rotation=rotation)
        return self.translate(geometry, center)

    def prism(self, points, thickness, axis: str = "X", offset=0.0, smooth: bool = False) -> Value:
        """A solid made by extruding a polygon.

        points: the outline as 2D (u, v) pairs in the plane across `axis`
        (axis X: (y, z); axis Y: (x, z); axis Z: (x, y)); coordinates may be Values.
        The solid spans `offset` .. `offset + thickness` along `axis`.
        smooth: shade the extruded sides smooth where they bend by less than 30 degrees.
        """
        count = len(points)
        plane = {"X": (1, 2, 0), "Y": (0, 2, 1), "Z": (0, 1, 2)}[axis]
        # Face normal along +axis needs counter-clockwise order in that (u, v) frame;
        # for axis Y the (x, z) frame is left-handed, so the rule flips.
        estimates = [(_est(u), _est(v)) for u, v in points]
        assert all(e is not None for pair in estimates for e in pair), "prism needs estimable points"
        area = sum(
            u0 * v1 - u1 * v0 for (u0, v0), (u1, v1) in zip(estimates, estimates[1:] + estimates[:1], strict=True)
        )
        if axis == "Y":
            area = -area
        if area < 0:
            points = list(reversed(points))
        circle = self.node("GeometryNodeMeshCircle", fill_type="NGON")
        circle.inputs["Vertices"].default_value = count
        switch = self.node("GeometryNodeIndexSwitch", data_type="VECTOR")
        while len(switch.index_switch_items) < count:
            switch.index_switch_items.new()
        self.feed(switch.inputs["Index"], self.index_field())
        for index, (u, v) in enumerate(points):
            xyz = [0.0, 0.0, 0.0]
            xyz[plane[0]], xyz[plane[1]], xyz[plane[2]] = u, v, offset
            self.feed(switch.inputs[index + 1], self.vector(*xyz))
        set_position = self.node("GeometryNodeSetPosition")
        self.feed(set_position.inputs["Geometry"], Value(self, circle.outputs["Mesh"]))
        self.feed(set_position.inputs["Position"], Value(self, switch.outputs[0]))
        base = Value(self, set_position.outputs[0])
        extrude = self.node("GeometryNodeExtrudeMesh", mode="FACES")
        self.feed(extrude.inputs["Mesh"], base)
        self.feed(extrude.inputs["Offset Scale"], thickness)
        flip = self.node("GeometryNodeFlipFaces")
        self.feed(flip.inputs["Mesh"], base)
        solid = self.merge_by_distance(self.join(Value(self, extrude.outputs["Mesh"]), Value(self, flip.outputs[0])))
        return self.smooth_by_angle(solid) if smooth else solid

    def loft_box(self, bottom_size, top_size, z0, z1, back_y: float = 0.0) -> Value:
        """A frustum with rectangular bottom and top, centred on x and flush with the
        wall plane y = back_y at the back (a hood canopy). Sizes are (width, depth)."""
        cube = self.node("GeometryNodeMeshCube")
        cube.inputs["Size"].default_value = (1.0, 1.0, 1.0)
        position = self.node("GeometryNodeInputPosition")
        separate = self.node("ShaderNodeSeparateXYZ")
        self.feed(separate.inputs[0], Value(self, position.outputs[0]))
        u, w, t = (Value(self, separate.outputs[i]) for i in range(3))
        t = t + 0.5  # 0 at the bottom, 1 at the top
        width = bottom_size[0] + (top_size[0] - bottom_size[0]) * t
        depth = bottom_size[1] + (top_size[1] - bottom_size[1]) * t
        x = u * width
        y = (w - 0.5) * depth + back_y
        z = z0 + (z1 - z0) * t
        set_position = self.node("GeometryNodeSetPosition")
        self.feed(set_position.inputs["Geometry"], Value(self, cube.outputs["Mesh"]))
        self.feed(set_position.inputs["Position"], self.vector(x, y, z))
        return Value(self, set_position.outputs[0])

    def join(self, *geometries) -> Value:
        geometries = [g for g in geometries if g is not None]
        if len(geometries) == 1:
            return geometries[0]
        node = self.node("GeometryNodeJoinGeometry")
        # Reverse so the socket order (multi-input sockets stack newest first) matches
        # the call order; keeps mesh element order readable.
        for geometry in reversed(geometries):
            self.feed(node.inputs[0], geometry)
        return Value(self, node.outputs[0])

    def merge_by_distance(self, geometry: Value, distance: float = 1e-5) -> Value:
        node = self.node("GeometryNodeMergeByDistance")
        self.feed(node.inputs["Geometry"], geometry)
        node.inputs["Distance"].default_value = distance
        return Value(self, node.outputs[0])

    def switch(self, condition, if_true: Value, if_false: Value | None = None) -> Value:
        node = self.node("GeometryNodeSwitch", input_type="GEOMETRY")
        self.feed(node.inputs["Switch"], condition)
        self.feed(node.inputs["True"], if_true)
        if if_false is not None:
            self.feed(node.inputs["False"], if_false)
        return Value(self, node.outputs[0])

    def menu_switch(self, menu_key: str, options: dict, data_type: str = "GEOMETRY") -> Value:
        """Pick one of `options` (item name -> Value or number) with the MENU parameter
        `menu_key`. Each menu input should feed exactly one Menu Switch per tree."""
        param = self.params[menu_key]
        assert list(options) == list(param.items), (list(options), param.items)
        node = self.node("GeometryNodeMenuSwitch", data_type=data_type)
        node.enum_items.clear()
        for name in options:
            node.enum_items.new(name)
        self.feed(node.inputs["Menu"], self[menu_key])
        for index, value in enumerate(options.values()):
            self.feed(node.inputs[index + 1], value)
        est = None
        if data_type == "FLOAT":
            est = _est(options[param.default])
        return Value(self, node.outputs[0], est)

    def repeat(self, geometry: Value, count, start, step) -> Value:
        """`count` realized copies of `geometry`, the first moved by `start`, each next
        one by a further `step` (vectors)."""
        line = self.node("GeometryNodeMeshLine", mode="OFFSET")
        self.feed(line.inputs["Count"], count)
        self.feed(line.inputs["Start Location"], self.vector(*start) if isinstance(start, tuple) else start)
        self.feed(line.inputs["Offset"], self.vector(*step) if isinstance(step, tuple) else step)
        instance = self.node("GeometryNodeInstanceOnPoints")
        self.feed(instance.inputs["Points"], Value(self, line.outputs[0]))
        self.feed(instance.inputs["Instance"], geometry)
        realize = self.node("GeometryNodeRealizeInstances")
        self.feed(realize.inputs["Geometry"], Value(self, instance.outputs[0]))
        return Value(self, realize.outputs[0])

    def smooth_by_angle(self, geometry: Value, degrees: float = 30.0) -> Value:
        """Smooth shading with edges sharper than `degrees` kept sharp."""
        smooth = self.node("GeometryNodeSetShadeSmooth", domain="FACE")
        self.feed(smooth.inputs["Mesh"], geometry)
        smooth.inputs["Shade Smooth"].default_value = True
        angle = self.node("GeometryNodeInputMeshEdgeAngle")
        sharp = self.compare(Value(self, angle.outputs["Unsigned Angle"]), "GREATER_THAN", math.radians(degrees))
        edges = self.node("GeometryNodeSetShadeSmooth", domain="EDGE")
        self.feed(edges.inputs["Mesh"], Value(self, smooth.outputs[0]))
        self.feed(edges.inputs["Selection"], sharp)
        edges.inputs["Shade Smooth"].default_value = False
        return Value(self, edges.outputs[0])

    def set_material(self, geometry: Value, material) -> Value:
        """material: a bpy Material (fixed) or a MATERIAL parameter Value."""
        node = self.node("GeometryNodeSetMaterial")
        self.feed(node.inputs["Geometry"], geometry)
        self.feed(node.inputs["Material"], material)
        return Value(self, node.outputs[0])

    def store_color(self, geometry: Value, attribute: str, color: Value) -> Value:
        node = self.node("GeometryNodeStoreNamedAttribute", data_type="FLOAT_COLOR", domain="CORNER")
        self.feed(node.inputs["Geometry"], geometry)
        node.inputs["Name"].default_value = attribute
        self.feed(node.inputs["Value"], color)
        return Value(self, node.outputs[0])

    # -- finishing ---------------------------------------------------------------------

    def finish(self, geometry: Value) -> bpy.types.GeometryNodeTree:
        output = self.node("NodeGroupOutput")
        self.feed(output.inputs[0], geometry)
        for socket, default in self._menu_defaults:
            socket.default_value = default
        self._layout()
        return self.tree

    def _layout(self) -> None:
        incoming = defaultdict(list)
        for link in self.tree.links:
            incoming[link.to_node.name].append(link.from_node.name)
        column: dict[str, int] = {}

        def depth(name: str) -> int:
            if name not in column:
                column[name] = 1 + max((depth(p) for p in incoming[name]), default=-1)
            return column[name]

        rows = defaultdict(int)
        for node in self.tree.nodes:
            col = depth(node.name)
            node.location = (col * 240.0, -rows[col] * 190.0)
            rows[col] += 1


# ---------------------------------------------------------------------------------------
# Collections, objects, drivers
# ---------------------------------------------------------------------------------------


def new_product_collection(name: str, params: list[Param], private: dict | None = None) -> bpy.types.Collection:
    """The product collection (`cfg_product = True`), linked to the scene, with one
    custom property (plus UI data) per entry of `params` and private `_` properties."""
    collection = bpy.data.collections.new(name)
    bpy.context.scene.collection.children.link(collection)
    collection["cfg_product"] = True
    for param in params:
        key = param.key
        if param.kind == "FLOAT":
            collection[key] = float(param.default)
            collection.id_properties_ui(key).update(
                min=param.min,
                max=param.max,
                soft_min=param.min,
                soft_max=param.max,
                default=float(param.default),
                description=param.description,
                subtype=param.subtype,
                precision=3,
                step=1,
            )
        elif param.kind == "INT":
            collection[key] = int(param.default)
            collection.id_properties_ui(key).update(
                min=int(param.min),
                max=int(param.max),
                soft_min=int(param.min),
                soft_max=int(param.max),
                default=int(param.default),
                description=param.description,
            )
        elif param.kind == "BOOL":
            collection[key] = bool(param.default)
            collection.id_properties_ui(key).update(default=bool(param.default), description=param.description)
        else:
            raise ValueError(f"{param.name}: collection properties are int, float or bool here")
    for key, value in (private or {}).items():
        assert key.startswith("_")
        collection[key] = value
    return collection


def new_child_collection(parent: bpy.types.Collection, name: str) -> bpy.types.Collection:
    collection = bpy.data.collections.new(name)
    parent.children.link(collection)
    return collection


def new_variant_set(parent: bpy.types.Collection, name: str, options: list[str], default: str) -> dict:
    """A variant set (`cfg_variant = name`) whose options are child collections.
    Returns {option name: option collection}."""
    assert default in options
    variant = new_child_collection(parent, name)
    variant["cfg_variant"] = name
    variant["cfg_default"] = default
    return {option: new_child_collection(variant, option) for option in options}


def new_part(
    name: str,
    collection: bpy.types.Collection,
    tree: bpy.types.GeometryNodeTree,
    material: bpy.types.Material | None = None,
    bevel_width: float = 0.002,
    location=(0.0, 0.0, 0.0),
    bevel_angle_limit: float = 30.0,
) -> bpy.types.Object:
    """A mesh object whose geometry comes from `tree` (Geometry Nodes modifier named
    "Parametric Geometry"), followed by a small angle-limited Bevel for finished edges.
    `material` goes into one object-linked slot (a material-group member is swapped by
    the engine). `bevel_angle_limit` (degrees) must not equal an angle between faces of
    the part (a 12-sided cylinder's are 30°): there float noise decides which edges are
    bevelled, and the vertex count changes with unrelated dimensions (no morph range)."""
    mesh = bpy.data.meshes.new(name)
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    obj.location = location
    modifier = obj.modifiers.new("Parametric Geometry", "NODES")
    modifier.node_group = tree
    if material is not None:
        mesh.materials.append(None)
        obj.material_slots[0].link = "OBJECT"
        obj.material_slots[0].material = material
    if bevel_width:
        bevel = obj.modifiers.new("Bevel", "BEVEL")
        bevel.width = bevel_width
        bevel.segments = 2
        bevel.limit_method = "ANGLE"
        bevel.angle_limit = math.radians(bevel_angle_limit)
        bevel.harden_normals = False
    return obj


def drive_from_product(
    target: bpy.types.ID,
    data_path: str,
    index: int,
    product: bpy.types.Collection,
    expression: str,
    keys: list[str],
) -> None:
    """Drive `target.data_path[index]` with a simple expression of product-collection
    properties (`keys` become driver variables of the same names)."""
    fcurve = target.driver_add(data_path, index)
    driver = fcurve.driver
    driver.type = "SCRIPTED"
    for key in keys:
        variable = driver.variables.new()
        variable.name = key
        variable.type = "SINGLE_PROP"
        variable.targets[0].id_type = "COLLECTION"
        variable.targets[0].id = product
        variable.targets[0].data_path = f'["{key}"]'
    driver.expression = expression
    assert driver.is_simple_expression, expression


def write_rules(rules: list[dict]) -> bpy.types.Text:
    """The `cfg_rules.json` text block (JSON Schema fragments merged into `allOf`)."""
    text = bpy.data.texts.new("cfg_rules.json")
    text.write(json.dumps(rules, indent=2) + "\n")
    return text


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------


class _QuietStdout:
    """Silence Blender's C-level stdout ("Info: Saved ...") for the duration."""

    def __enter__(self):
        import sys

        sys.stdout.flush()
        self._saved = os.dup(1)
        self._devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(self._devnull, 1)
        return self

    def __exit__(self, *exc):
        os.dup2(self._saved, 1)
        os.close(self._saved)
        os.close(self._devnull)
        return False


def reset_to_empty_file() -> None:
    with _QuietStdout():
        bpy.ops.wm.read_factory_settings(use_empty=True)


def save_blend(path: str) -> None:
    """Save uncompressed; replace an existing file without leaving a `.blend1` backup."""
    path = os.path.abspath(path)
    if os.path.exists(path):
        os.remove(path)
    with _QuietStdout():
        bpy.ops.wm.save_as_mainfile(filepath=path, compress=False)


def catalog_example(config: dict, size, present: list[str], absent: list[str]) -> dict:
    """One catalog example: a configuration, the bounding box it must have (metres: width
    along X, height along Z, depth along Y) and the GLB names that must and must not appear."""
    return {"config": config, "bbox_m": [round(v, 4) for v in size], "present": present, "absent": absent}


def catalog_record(slug: str, name: str, *, description: str, dimensions: dict, examples: list[dict]) -> dict:
    """A product's entry in `catalog.json` (tests and seeding read it)."""
    return {"slug": slug, "blend": f"{slug}.blend", "name": name, "description": description,
            "dimensions": dimensions, "examples": examples}


@dataclass
class Product:
    """What a product module hands back to `build_templates.py`."""

    slug: str
    collection: bpy.types.Collection
    catalog: dict = field(default_factory=dict)

"""Template contract v1.1: the names and type mappings technical artists author to."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CONTRACT_VERSION = "1.1"  # 1.1: packed image textures; procedural materials baked at publish

PRODUCT_FLAG = "cfg_product"
VARIANT_SET_PROP = "cfg_variant"
VARIANT_DEFAULT_PROP = "cfg_default"
MATERIAL_GROUP_PROP = "cfg_group"
ORDER_PROP = "cfg_order"  # optional int on a material: its place among its group's options
RULES_TEXT_NAME = "cfg_rules.json"
FORMATS_PROP = "cfg_formats"  # optional on the product collection: parameter key -> display format
PRIVATE_PREFIX = "_"



@dataclass(frozen=True)
class Kind:
    """What a parameter kind is in JSON and in Blender. Kinds of one `family` may share a
    key (a menu and a variant set of the same options are one parameter)."""

    family: str
    json_type: str
    stored_as: Callable[[Any], Any] | None = None  # the Python type Blender stores (scalar kinds)


# The one table of parameter kinds, used by inspection, schema building and apply alike.
KINDS = {
    "float": Kind("number", "number", float),
    "int": Kind("integer", "integer", int),
    "bool": Kind("boolean", "boolean", bool),
    "text": Kind("text", "string", str),
    "menu": Kind("enum", "string"),
    "variant": Kind("enum", "string"),
    "material": Kind("enum", "string"),
    "color": Kind("color", "string"),
}
# Display formats a parameter may carry (`x-format` in the schema) -> the kinds they fit. The
# value stays what Blender holds; the format says how a shopper reads it, so the web app does
# not have to guess from a range (a 0-1 float is not always a share).
FORMATS = {
    "percent": frozenset({"float"}),  # a share held as 0-1, shown as 0-100 %
    "length": frozenset({"float"}),  # metres, shown in the shopper's length unit
    "angle": frozenset({"float"}),  # radians (as Blender holds angles), shown in degrees
    "plain": frozenset({"float", "int"}),  # the number as it is: no unit, no guessing
}
# Custom property value types -> parameter kinds (bool before int: True is an int too).
PROPERTY_KINDS = {bool: "bool", int: "int", float: "float", str: "text"}

# Geometry Nodes interface socket types -> parameter kinds. Sockets of the ignored types are
# structural (they take datablocks, not customer choices); any other type is a contract error
# unless the socket is hidden in the modifier.
SOCKET_KINDS = {
    "NodeSocketFloat": "float",
    "NodeSocketInt": "int",
    "NodeSocketBool": "bool",
    "NodeSocketMenu": "menu",
    "NodeSocketColor": "color",
    "NodeSocketMaterial": "material",
}
IGNORED_SOCKET_TYPES = {
    "NodeSocketGeometry",
    "NodeSocketObject",
    "NodeSocketCollection",
    "NodeSocketImage",
}

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")


def parameter_key(name: str) -> str:
    """snake_case key of a parameter name: "Door Count" -> "door_count", "shelfCount" -> "shelf_count"."""
    spaced = _WORD_BOUNDARY.sub("_", name.strip())
    return _NON_WORD.sub("_", spaced).strip("_").lower()


def parameter_title(name: str) -> str:
    """Human title: names authored as identifiers ("shelf_count") read as "Shelf count"."""
    if is_identifier_like(name):
        words = name.replace("_", " ").strip()
        return words[:1].upper() + words[1:]
    return name


def is_identifier_like(name: str) -> bool:
    """"shelf_count" or "width" (a key) rather than "Shelf Count" (a human name)."""
    return " " not in name and ("_" in name or name.islower())


def is_private(name: str) -> bool:
    return name.startswith(PRIVATE_PREFIX)

"""Template contract v1: the names and type mappings technical artists author to."""
from __future__ import annotations

import re

CONTRACT_VERSION = 1

PRODUCT_FLAG = "cfg_product"
VARIANT_SET_PROP = "cfg_variant"
VARIANT_DEFAULT_PROP = "cfg_default"
MATERIAL_GROUP_PROP = "cfg_group"
ORDER_PROP = "cfg_order"  # optional int on a material: its place among its group's options
RULES_TEXT_NAME = "cfg_rules.json"
PRIVATE_PREFIX = "_"

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

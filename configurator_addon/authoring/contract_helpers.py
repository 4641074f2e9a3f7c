"""Write the template contract's structures for the artist (docs/template-contract.md):

- a variant set: a collection with `cfg_variant` whose child collections are the options,
  inside the product collection (`make_variant_set`);
- a material group: `cfg_group` on each member material, with the fake user that keeps an
  unused option in the saved file (`add_to_material_group`);
- rules: the text `cfg_rules.json`, a JSON array of JSON Schema fragments, checked before
  it is written (`check_rules`, `write_rules`).

Each raises `TemplateContractError` naming what is wrong, and changes nothing then.
"""
from __future__ import annotations

import json

import bpy

from ..engine import contract
from ..errors import ErrorDetail, TemplateContractError
from . import preview
from .open_file import inspect_open_file, the_product_collection

RULES_LOCATION = f"text '{contract.RULES_TEXT_NAME}'"
RULE_CODES = {"BAD_RULES", "UNKNOWN_RULE_PARAMETER", "INVALID_DEFAULTS"}


def _refuse_linked(datablock, kind: str) -> None:
    if datablock.library is not None:
        _refuse(f"a linked {kind} cannot be changed", "LINKED_LIBRARY", f"{kind} '{datablock.name}'",
                "make it local first")


def _refuse(detail: str, code: str, location: str, message: str):
    raise TemplateContractError(detail, [ErrorDetail(code=code, location=location, message=message)])


def _check_name(name: str, what: str) -> str:
    name = name.strip()
    if not contract.parameter_key(name):
        _refuse(f"a {what} needs a name", "BAD_NAME", what, f"{name!r} gives no parameter key; use letters or digits")
    return name


# -- variant sets ------------------------------------------------------------------------
def make_variant_set(collections: list, name: str = "", default: str = ""):
    """Make `collections` a variant set and return the set's collection.

    One collection that has child collections becomes the set itself (its children are the
    options). Otherwise the collections become the options of a new set collection named
    `name`, placed where they were if that is inside the product collection, else directly
    in it. `default` names the option shown by default (else the first)."""
    product = the_product_collection()
    if not collections:
        _refuse("no collections chosen", "EMPTY_VARIANT_SET", "collections",
                "select the option collections (or one collection holding them) in the Outliner")
    for collection in collections:
        _refuse_linked(collection, "collection")
        if collection == product or _contains(collection, product):
            _refuse("the product collection cannot be an option", "BAD_VARIANT_SET",
                    f"collection '{collection.name}'", "choose collections inside the product collection")
    for collection in collections:
        for other in collections:
            if other != collection and _contains(collection, other):
                _refuse("an option cannot hold another option", "BAD_VARIANT_SET", f"collection '{other.name}'",
                        f"it is inside '{collection.name}', which was chosen too")

    in_place = len(collections) == 1 and len(collections[0].children) > 0
    set_name = _check_name(name or (collections[0].name if in_place else ""), "variant set")
    options = [child.name for child in collections[0].children] if in_place else [c.name for c in collections]
    current = str(collections[0].get(contract.VARIANT_DEFAULT_PROP, "")) if in_place else ""
    chosen = default or (current if current in options else options[0])
    if chosen not in options:
        where = f"collection '{collections[0].name}'" if in_place else "collections"
        _refuse("the default is not an option", "BAD_VARIANT_DEFAULT", where, f"{chosen!r} is not one of {options}")

    if in_place:
        variant_set = collections[0]
        if not _contains(product, variant_set):
            _move(variant_set, product)
    else:
        parents = {p.as_pointer(): p for c in collections for p in _parents(c)}
        parent = next(iter(parents.values())) if len(parents) == 1 else product
        if parent != product and not _contains(product, parent):
            parent = product
        variant_set = bpy.data.collections.new(set_name)
        parent.children.link(variant_set)
        for collection in collections:
            _move(collection, variant_set)
    variant_set[contract.VARIANT_SET_PROP] = set_name
    variant_set[contract.VARIANT_DEFAULT_PROP] = chosen
    return variant_set


def _parents(collection) -> list:
    """Collections and scene collections that hold `collection` as a child."""
    holders = [c for c in bpy.data.collections if any(child == collection for child in c.children)]
    holders += [s.collection for s in bpy.data.scenes if any(child == collection for child in s.collection.children)]
    return holders


def _move(collection, new_parent) -> None:
    for parent in _parents(collection):
        parent.children.unlink(collection)
    new_parent.children.link(collection)


def _contains(ancestor, collection) -> bool:
    return any(child == collection or _contains(child, collection) for child in ancestor.children)


# -- material groups ---------------------------------------------------------------------
def add_to_material_group(materials: list, group: str) -> list[str]:
    """Put `materials` in the material group `group` (each with a fake user). Returns one
    line per material that changed, saying from which group it moved if it did."""
    group = _check_name(group, "material group")
    if not materials:
        _refuse("no materials chosen", "EMPTY_MATERIAL_GROUP", "materials",
                "select objects whose active material should join the group")
    for material in materials:
        _refuse_linked(material, "material")
    changes = []
    for material in dict.fromkeys(materials):  # each once, in order
        before = material.get(contract.MATERIAL_GROUP_PROP)
        material[contract.MATERIAL_GROUP_PROP] = group
        material.use_fake_user = True
        moved = f" (was in '{before}')" if before and before != group else ""
        changes.append(f"'{material.name}'{moved}")
    return changes


# -- rules -------------------------------------------------------------------------------
def rules_text(create: bool = False):
    text = bpy.data.texts.get((contract.RULES_TEXT_NAME, None))
    if text is None and create:
        text = bpy.data.texts.new(contract.RULES_TEXT_NAME)
        text.from_string("[]\n")
    return text


def format_rules(rules: list) -> str:
    return json.dumps(rules, indent=2, ensure_ascii=False) + "\n"


def check_rules(source: str) -> tuple[list, list[str]]:
    """Check rules written as JSON `source` against the open file, as inspection will: valid
    JSON, an array of JSON Schema objects, only the template's parameter keys, the
    template's defaults satisfying every rule. Returns (rules, warnings); raises
    `TemplateContractError` whose errors name the rule (its number and `x-message`). Nothing
    in the open file changes, the rules text included."""
    try:
        rules = json.loads(source)
    except json.JSONDecodeError as exc:
        _refuse("the rules are not valid JSON", "BAD_RULES", RULES_LOCATION,
                f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        _refuse("the rules are not a list of rules", "BAD_RULES", RULES_LOCATION,
                "must be a JSON array of JSON Schema objects: [ {…}, {…} ]")
    state = preview.capture(the_product_collection())
    try:
        inspect_open_file(rules=source)
    except TemplateContractError as error:
        raise _rule_errors(error, rules) from None
    finally:
        preview.restore(state)
    warnings = [f"rule {index} ({_rule_summary(rule)}) has no x-message: customers would read the bare "
                "schema error" for index, rule in enumerate(rules) if not rule.get("x-message")]
    return rules, warnings


def write_rules(rules: list) -> None:
    rules_text(create=True).from_string(format_rules(rules))


def _rule_errors(error: TemplateContractError, rules: list) -> TemplateContractError:
    """The inspection's errors about rules, each naming its rule; other contract errors stop
    the rules from being checked at all, and say so."""
    relevant = [e for e in error.errors if e.code in RULE_CODES]
    if not relevant:
        return TemplateContractError("the rules cannot be checked until the template's other contract errors "
                                     "are fixed", error.errors)
    named = []
    for detail in relevant:
        location, message = detail.location or "", detail.message
        tail = location.rpartition("› rule ")[2]
        if tail.isdigit() and int(tail) < len(rules):
            location = f"{location} ({_rule_summary(rules[int(tail)])})"
        named.append(ErrorDetail(code=detail.code, location=location, message=message))
    return TemplateContractError(f"{len(named)} problem(s) in the rules; nothing was saved", named)


def _rule_summary(rule: dict) -> str:
    message = rule.get("x-message") or rule.get("description")
    return f"'{message}'" if message else "no x-message"

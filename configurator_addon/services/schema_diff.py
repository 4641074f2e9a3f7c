"""What changed between two versions of a product's parameters (pure; no database, no bpy).

`diff_versions(before, after)` compares two product versions — each a mapping with its
`config_schema` (the JSON Schema a configuration must satisfy) and/or its `parameters` list
(as `product_versions` stores them) — and returns the changes, each a dict::

    {"kind": …, "key": …, "from": …, "to": …, "message": …, "breaking": bool}

`key` is the parameter's key (its new key when renamed; null for `rules_changed`); `from`
and `to` are the changed aspect before and after. The kinds:

- `added`: null → the new property; breaking when it has no default (saved configurations
  lack it).
- `removed`: the old property → null; breaking.
- `renamed`: old key → new key; breaking (saved configurations carry the old key).
- `type_changed`: {type, kind} → {type, kind}; breaking unless the new type takes every old
  value (integer → number) and no enum or pattern is newly imposed.
- `range_narrowed` (breaking), `range_widened`: {minimum, maximum, exclusiveMinimum,
  exclusiveMaximum}, the bounds present. Narrower at either end is narrowed.
- `options_removed` (breaking), `options_added`: old enum → new enum (order does not count).
- `default_changed`: old default → new; not breaking (saved configurations hold their values).
- `unit_changed`: old `x-unit` → new; not breaking (no value is refused; the message says so).
- `format_changed`: old `x-format` → new; not breaking (values are the same, shown otherwise).
- `rules_changed` (key null): old `allOf` → new `allOf`; breaking when a rule is added or
  changed, not when rules are only removed (order does not count).

*Breaking* means: a configuration that was valid against the older version may be refused
by the newer one.

**Renames.** A parameter removed and another added are reported as one `renamed` when they
are plainly the same parameter. Both must have the same JSON `type` and the same `x-kind`;
then, in this order:

1. the same title (ignoring case and surrounding spaces), or
2. the same *shape*: equal range (minimum, maximum, exclusive bounds), options (as a set),
   default, unit and description — and the shape says something: it has a range or options,
   or a non-empty description. (Two on/off switches that are both off by default are not
   taken for one another.)

A pair is taken only when it is unambiguous: the removed key has exactly one candidate among
the added keys at that step, and that added key exactly one among the removed. Whatever is
left is reported as `removed` and `added`. A renamed parameter's other changes (a title
match may also have a new range) are reported under its new key.

Order: the newer version's parameters in their order (added, renamed, and changes of the
ones kept), then the removed ones in the older version's order, then `rules_changed`.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

KINDS = ("added", "removed", "renamed", "type_changed", "range_narrowed", "range_widened", "options_removed",
         "options_added", "default_changed", "rules_changed", "unit_changed", "format_changed")
BOUND_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COLOR_PATTERN = "^#[0-9a-fA-F]{6}$"  # as engine/parameters.py writes it for colours
_MISSING = object()


def diff_versions(before: dict, after: dict) -> list[dict]:
    """The changes from version `before` to version `after` (see the module's doc)."""
    old, new = _properties(before), _properties(after)
    renames = _pair_renames([k for k in old if k not in new], [k for k in new if k not in old], old, new)
    renamed_from = {new_key: old_key for old_key, new_key in renames.items()}
    changes: list[dict] = []
    for key, prop in new.items():
        if key in old:
            changes.extend(_property_changes(key, old[key], prop))
        elif key in renamed_from:
            old_key = renamed_from[key]
            how = "the same title" if _same_title(old[old_key], prop) else "the same type, range and options"
            changes.append(_change("renamed", key, old_key, key, True,
                                   f"'{old_key}' is now '{key}' ({how}); saved configurations still carry "
                                   f"'{old_key}'"))
            changes.extend(_property_changes(key, old[old_key], prop))
        else:
            has_default = prop.get("default") is not None
            changes.append(_change(
                "added", key, None, _public(prop), not has_default,
                f"new parameter '{key}'{_titled(prop)}, default {_show(prop['default'])}" if has_default else
                f"new parameter '{key}'{_titled(prop)} without a default: saved configurations have no value "
                "for it"))
    for key, prop in old.items():
        if key not in new and key not in renames:
            changes.append(_change("removed", key, _public(prop), None, True,
                                   f"parameter '{key}'{_titled(prop)} removed: saved configurations that carry "
                                   "it are refused"))
    rules = _rules_change(_rules(before), _rules(after))
    if rules is not None:
        changes.append(rules)
    return changes


def diff_schemas(before: dict, after: dict) -> list[dict]:
    """`diff_versions` of two `config_schema`s alone."""
    return diff_versions({"config_schema": before}, {"config_schema": after})


def is_breaking(changes: list[dict]) -> bool:
    return any(change["breaking"] for change in changes)


# -- reading a version ---------------------------------------------------------------------
def _properties(version: dict) -> dict[str, dict]:
    """Key → property schema, in order: the schema's properties, completed from `parameters`
    where the schema leaves a field out; `parameters` alone when the schema has none."""
    schema = version.get("config_schema") or {}
    from_parameters = {p["key"]: _parameter_property(p) for p in version.get("parameters") or []
                       if isinstance(p, dict) and isinstance(p.get("key"), str)}
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not properties:
        return from_parameters
    out = {}
    for key, prop in properties.items():
        prop = dict(prop) if isinstance(prop, dict) else {}
        for field, value in from_parameters.get(key, {}).items():
            prop.setdefault(field, value)
        out[key] = prop
    return out


def _parameter_property(parameter: dict) -> dict:
    """A `parameters` entry (engine/parameters.py `Parameter.as_dict`) as a property schema."""
    prop: dict[str, Any] = {}
    for field, name in (("type", "type"), ("title", "title"), ("description", "description"),
                        ("minimum", "minimum"), ("maximum", "maximum"), ("options", "enum"), ("unit", "x-unit"),
                        ("kind", "x-kind")):
        if parameter.get(field) is not None:
            prop[name] = parameter[field]
    if "default" in parameter:
        prop["default"] = parameter["default"]
    if parameter.get("kind") == "color":
        prop["pattern"] = _COLOR_PATTERN
    return prop


def _rules(version: dict) -> list:
    schema = version.get("config_schema") or {}
    rules = schema.get("allOf") if isinstance(schema, dict) else None
    return list(rules) if isinstance(rules, list) else []


def _public(prop: dict) -> dict:
    """A property as a change shows it (without the swatch colours)."""
    return {name: value for name, value in prop.items() if name != "x-swatches"}


# -- renames -------------------------------------------------------------------------------
def _pair_renames(removed: list[str], added: list[str], old: dict, new: dict) -> dict[str, str]:
    """Old key → new key, for the removed/added pairs that are one parameter renamed."""
    pairs: dict[str, str] = {}
    for matches in (_same_title, _same_shape):
        left = [k for k in removed if k not in pairs]
        right = [k for k in added if k not in pairs.values()]
        candidates = {o: [n for n in right if _same_type(old[o], new[n]) and matches(old[o], new[n])] for o in left}
        claimed = Counter(n for found in candidates.values() for n in found)
        for old_key, found in candidates.items():
            if len(found) == 1 and claimed[found[0]] == 1:
                pairs[old_key] = found[0]
    return pairs


def _same_type(a: dict, b: dict) -> bool:
    return a.get("type") == b.get("type") and a.get("x-kind") == b.get("x-kind")


def _same_title(a: dict, b: dict) -> bool:
    title_a, title_b = a.get("title"), b.get("title")
    return isinstance(title_a, str) and isinstance(title_b, str) and bool(title_a.strip()) \
        and title_a.strip().casefold() == title_b.strip().casefold()


def _shape(prop: dict) -> tuple:
    enum = prop.get("enum")
    options = tuple(sorted(map(_canonical, enum))) if isinstance(enum, list) else None
    return (tuple(prop.get(name) for name in BOUND_KEYS), options, _canonical(prop.get("default")),
            prop.get("x-unit"), (prop.get("description") or "").strip())


def _same_shape(a: dict, b: dict) -> bool:
    if _shape(a) != _shape(b):
        return False
    telling = any(a.get(name) is not None for name in BOUND_KEYS) or isinstance(a.get("enum"), list)
    return telling or bool((a.get("description") or "").strip())


# -- changes of one parameter -----------------------------------------------------------------
def _property_changes(key: str, old: dict, new: dict) -> list[dict]:
    changes = []
    type_change = _type_change(key, old, new)
    if type_change is not None:
        changes.append(type_change)
    range_change = _range_change(key, old, new)
    if range_change is not None:
        changes.append(range_change)
    changes.extend(_option_changes(key, old, new))
    old_default, new_default = old.get("default", _MISSING), new.get("default", _MISSING)
    if _canonical(old_default) != _canonical(new_default):
        before = None if old_default is _MISSING else old_default
        after = None if new_default is _MISSING else new_default
        changes.append(_change("default_changed", key, before, after, False,
                               f"'{key}' default {_show(before)} → {_show(after)} (saved configurations keep "
                               "their values)"))
    if old.get("x-unit") != new.get("x-unit"):
        changes.append(_change("unit_changed", key, old.get("x-unit"), new.get("x-unit"), False,
                               f"'{key}' unit {old.get('x-unit') or 'none'} → {new.get('x-unit') or 'none'}: "
                               "saved values are kept as numbers, now read in the new unit"))
    if old.get("x-format") != new.get("x-format"):
        changes.append(_change("format_changed", key, old.get("x-format"), new.get("x-format"), False,
                               f"'{key}' shown as {old.get('x-format') or 'a plain number'} → "
                               f"{new.get('x-format') or 'a plain number'}: saved values are kept"))
    return changes


def _types(prop: dict) -> set:
    value = prop.get("type")
    if value is None:
        return set()
    return set(value) if isinstance(value, list) else {value}


def _type_change(key: str, old: dict, new: dict) -> dict | None:
    old_types, new_types = _types(old), _types(new)
    if old_types == new_types and old.get("x-kind") == new.get("x-kind") and old.get("pattern") == new.get("pattern"):
        return None
    accepts = not new_types or all(t in new_types or (t == "integer" and "number" in new_types) for t in old_types)
    imposed = (new.get("pattern") is not None and new.get("pattern") != old.get("pattern")) \
        or (isinstance(new.get("enum"), list) and not isinstance(old.get("enum"), list))
    before = {"type": old.get("type"), "kind": old.get("x-kind")}
    after = {"type": new.get("type"), "kind": new.get("x-kind")}
    breaking = not accepts or imposed
    return _change("type_changed", key, before, after, breaking,
                   f"'{key}' is {_kind_text(after)} now, was {_kind_text(before)}"
                   + ("" if not breaking else ": some saved values may be refused"))


def _kind_text(kind: dict) -> str:
    type_text = "/".join(kind["type"]) if isinstance(kind["type"], list) else str(kind["type"])
    return f"{type_text} ({kind['kind']})" if kind["kind"] else type_text


def _bound(prop: dict, inclusive: str, exclusive: str, stricter) -> tuple | None:
    """The effective bound as (value, exclusive), None when unbounded."""
    found = [(prop[name], name == exclusive) for name in (inclusive, exclusive)
             if isinstance(prop.get(name), (int, float)) and not isinstance(prop.get(name), bool)]
    if not found:
        return None
    return stricter(found, key=lambda bound: (bound[0], bound[1]) if stricter is max else (bound[0], not bound[1]))


def _tighter(old: tuple | None, new: tuple | None, sign: int) -> int:
    """+1 if `new` is the stricter bound, -1 if `old` is, 0 if equal. `sign` is +1 for lower bounds."""
    if old == new:
        return 0
    if old is None:
        return 1
    if new is None:
        return -1
    if old[0] != new[0]:
        return 1 if (new[0] - old[0]) * sign > 0 else -1
    return 1 if new[1] else -1  # same value: the exclusive one is stricter


def _range_change(key: str, old: dict, new: dict) -> dict | None:
    lower = _tighter(_bound(old, "minimum", "exclusiveMinimum", max), _bound(new, "minimum", "exclusiveMinimum", max),
                     +1)
    upper = _tighter(_bound(old, "maximum", "exclusiveMaximum", min), _bound(new, "maximum", "exclusiveMaximum", min),
                     -1)
    if lower == 0 and upper == 0:
        return None
    narrowed = lower > 0 or upper > 0
    before = {name: old[name] for name in BOUND_KEYS if old.get(name) is not None}
    after = {name: new[name] for name in BOUND_KEYS if new.get(name) is not None}
    return _change("range_narrowed" if narrowed else "range_widened", key, before, after, narrowed,
                   f"'{key}' range {_range_text(old)} → {_range_text(new)}"
                   + (": saved values outside it are refused" if narrowed else ""))


def _range_text(prop: dict) -> str:
    low = _bound(prop, "minimum", "exclusiveMinimum", max)
    high = _bound(prop, "maximum", "exclusiveMaximum", min)
    left = "(−∞" if low is None else ("(" if low[1] else "[") + _show(low[0])
    right = "∞)" if high is None else _show(high[0]) + (")" if high[1] else "]")
    return f"{left}, {right}"


def _option_changes(key: str, old: dict, new: dict) -> list[dict]:
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if not isinstance(old_enum, list) or not isinstance(new_enum, list):
        return []  # an enum imposed or lifted is a type change
    old_set, new_set = {_canonical(v) for v in old_enum}, {_canonical(v) for v in new_enum}
    removed = [v for v in old_enum if _canonical(v) not in new_set]
    added = [v for v in new_enum if _canonical(v) not in old_set]
    changes = []
    if removed:
        changes.append(_change("options_removed", key, old_enum, new_enum, True,
                               f"'{key}' no longer offers {_list(removed)}: saved configurations choosing "
                               f"{'it' if len(removed) == 1 else 'them'} are refused"))
    if added:
        changes.append(_change("options_added", key, old_enum, new_enum, False,
                               f"'{key}' now also offers {_list(added)}"))
    return changes


# -- rules ------------------------------------------------------------------------------------
def _rules_change(old: list, new: list) -> dict | None:
    old_count, new_count = Counter(map(_canonical, old)), Counter(map(_canonical, new))
    if old_count == new_count:
        return None
    added = sum((new_count - old_count).values())
    removed = sum((old_count - new_count).values())
    parts = [f"{added} added" if added else "", f"{removed} removed" if removed else ""]
    return _change("rules_changed", None, old, new, added > 0,
                   "rules: " + ", ".join(p for p in parts if p)
                   + (" (a configuration valid before may break a new rule)" if added else ""))


# -- helpers ----------------------------------------------------------------------------------
def _change(kind: str, key: str | None, before, after, breaking: bool, message: str) -> dict:
    assert kind in KINDS, kind
    return {"kind": kind, "key": key, "from": before, "to": after, "message": message, "breaking": breaking}


def _canonical(value) -> str:
    if value is _MISSING:
        return "\x00missing"
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _titled(prop: dict) -> str:
    title = prop.get("title")
    return f" ({title})" if isinstance(title, str) and title else ""


def _show(value) -> str:
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _list(values: list) -> str:
    return ", ".join(_show(v) for v in values)

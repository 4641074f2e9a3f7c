"""The schema diff between two product versions (services/schema_diff.py): pure, no database."""
from __future__ import annotations

import copy

import pytest

from configurator_addon.services.schema_diff import KINDS, diff_schemas, diff_versions, is_breaking

RULE = {"if": {"properties": {"width": {"exclusiveMinimum": 1.0}}, "required": ["width"]},
        "then": {"properties": {"shelf_count": {"minimum": 2}}}, "x-message": "wide boxes need 2 shelves"}


def schema(**properties) -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "additionalProperties": False, "properties": properties}


def width(**changes) -> dict:
    return {"type": "number", "title": "Width", "description": "Overall width", "minimum": 0.3, "maximum": 1.2,
            "default": 0.6, "x-unit": "m", "x-kind": "float", **changes}


def handle(*options, default="Knob") -> dict:
    return {"type": "string", "title": "Handle", "enum": list(options or ("Bar", "Knob")), "default": default,
            "x-kind": "variant"}


def glass(**changes) -> dict:
    return {"type": "boolean", "title": "Glass", "default": False, "x-kind": "bool", **changes}


def shelves(**changes) -> dict:
    return {"type": "integer", "title": "Shelf Count", "minimum": 0, "maximum": 4, "default": 1, "x-kind": "int",
            **changes}


BASE = schema(width=width(), handle=handle(), glass=glass(), shelf_count=shelves())


def kinds(changes) -> list[tuple]:
    return [(c["kind"], c["key"], c["breaking"]) for c in changes]


def only(changes) -> dict:
    assert len(changes) == 1, changes
    return changes[0]


def test_identical_versions_have_no_changes():
    assert diff_schemas(BASE, copy.deepcopy(BASE)) == []
    assert diff_schemas({**BASE, "allOf": [RULE]}, {**BASE, "allOf": [copy.deepcopy(RULE)]}) == []


def test_every_change_has_the_documented_fields_and_a_known_kind():
    after = schema(width=width(maximum=1.0, default=0.7, **{"x-unit": "cm"}), handle=handle("Knob", "Pull"),
                   shelf_count=shelves(type="number", **{"x-kind": "float"}), door={"type": "string"})
    changes = diff_schemas({**BASE, "allOf": [RULE]}, after)
    assert changes
    for change in changes:
        assert set(change) == {"kind", "key", "from", "to", "message", "breaking"}
        assert change["kind"] in KINDS and isinstance(change["breaking"], bool)
        assert isinstance(change["message"], str) and change["message"]


def test_an_added_parameter_with_a_default_is_not_breaking_and_without_one_is():
    after = schema(**BASE["properties"], soft_close=glass(title="Soft Close"),
                   engraving={"type": "string", "title": "Engraving", "x-kind": "text"},
                   nothing={"type": "string", "title": "Nothing", "default": None, "x-kind": "text"})
    changes = diff_schemas(BASE, after)
    assert kinds(changes) == [("added", "soft_close", False), ("added", "engraving", True),
                              ("added", "nothing", True)]
    assert changes[0]["from"] is None and changes[0]["to"]["default"] is False
    assert "default false" in changes[0]["message"]
    finish = {"type": "string", "title": "Finish", "enum": ["Oak"], "default": "Oak", "x-kind": "material",
              "x-swatches": {"Oak": "#bc9559"}}
    added = only(diff_schemas(BASE, schema(**BASE["properties"], finish=finish)))
    assert added["to"] == {k: v for k, v in finish.items() if k != "x-swatches"}  # no swatch colours


def test_a_removed_parameter_is_breaking():
    after = schema(width=width(), handle=handle(), shelf_count=shelves())
    change = only(diff_schemas(BASE, after))
    assert (change["kind"], change["key"], change["breaking"]) == ("removed", "glass", True)
    assert change["from"]["type"] == "boolean" and change["to"] is None


def test_a_parameter_with_the_same_shape_under_a_new_key_is_renamed():
    props = dict(BASE["properties"])
    props["overall_width"] = props.pop("width") | {"title": "Overall Width"}
    change = only(diff_schemas(BASE, schema(**props)))
    assert change == {"kind": "renamed", "key": "overall_width", "from": "width", "to": "overall_width",
                      "breaking": True, "message": change["message"]}
    assert "'width' is now 'overall_width'" in change["message"]


def test_a_parameter_with_the_same_title_under_a_new_key_is_renamed_and_its_other_changes_follow():
    props = dict(BASE["properties"])
    props["shelves"] = shelves(maximum=3)  # same title "Shelf Count", a narrower range
    del props["shelf_count"]
    changes = diff_schemas(BASE, schema(**props))
    assert kinds(changes) == [("renamed", "shelves", True), ("range_narrowed", "shelves", True)]
    assert "same title" in changes[0]["message"]


def test_a_rename_needs_the_same_type_and_kind():
    props = dict(BASE["properties"])
    props["overall_width"] = props.pop("width") | {"type": "integer", "x-kind": "int"}
    assert kinds(diff_schemas(BASE, schema(**props))) == [("added", "overall_width", False),
                                                           ("removed", "width", True)]
    props = dict(BASE["properties"])
    props["grip"] = props.pop("handle") | {"x-kind": "menu"}  # same type and options, another kind
    assert kinds(diff_schemas(BASE, schema(**props))) == [("added", "grip", False), ("removed", "handle", True)]


def test_an_ambiguous_rename_is_reported_as_removed_and_added():
    props = dict(BASE["properties"])
    shape = props.pop("width")
    props["outer_width"], props["inner_width"] = shape | {"title": "Outer"}, shape | {"title": "Inner"}
    assert kinds(diff_schemas(BASE, schema(**props))) == [("added", "outer_width", False),
                                                           ("added", "inner_width", False),
                                                           ("removed", "width", True)]


def test_two_removed_parameters_matching_one_added_are_not_taken_for_a_rename():
    before = schema(outer_width=width(title="Outer"), inner_width=width(title="Inner"))
    assert kinds(diff_schemas(before, schema(width=width()))) == [("added", "width", False),
                                                                  ("removed", "outer_width", True),
                                                                  ("removed", "inner_width", True)]


def test_two_switches_off_by_default_are_not_taken_for_one_another():
    """A boolean has no range or options: its shape says nothing unless it has a description."""
    props = dict(BASE["properties"])
    props["soft_close"] = props.pop("glass") | {"title": "Soft Close"}
    assert kinds(diff_schemas(BASE, schema(**props))) == [("added", "soft_close", False), ("removed", "glass", True)]
    described = schema(**{**BASE["properties"], "glass": glass(description="Glass doors")})
    props = dict(described["properties"])
    props["glazing"] = props.pop("glass") | {"title": "Glazing"}
    assert kinds(diff_schemas(described, schema(**props))) == [("renamed", "glazing", True)]


def test_a_renamed_parameter_with_another_range_and_title_is_removed_and_added():
    props = dict(BASE["properties"])
    props["overall_width"] = props.pop("width") | {"title": "Overall Width", "minimum": 0.4}
    assert kinds(diff_schemas(BASE, schema(**props))) == [("added", "overall_width", False),
                                                           ("removed", "width", True)]


@pytest.mark.parametrize("before, after, kind", [
    (width(), width(maximum=1.0), "range_narrowed"),
    (width(), width(minimum=0.4), "range_narrowed"),
    (width(), width(minimum=0.2, maximum=1.5), "range_widened"),
    (width(), width(maximum=1.0, minimum=0.1), "range_narrowed"),  # narrower at one end is narrowed
    ({"type": "number", "default": 1}, {"type": "number", "default": 1, "maximum": 5}, "range_narrowed"),
    ({"type": "number", "default": 1, "maximum": 5}, {"type": "number", "default": 1}, "range_widened"),
    (width(), width(exclusiveMaximum=1.2), "range_narrowed"),  # the same bound, now exclusive
    (width(maximum=None, exclusiveMaximum=1.2), width(maximum=1.2, exclusiveMaximum=None), "range_widened"),
])
def test_ranges_narrowed_are_breaking_and_widened_are_not(before, after, kind):
    before = {k: v for k, v in before.items() if v is not None}
    after = {k: v for k, v in after.items() if v is not None}
    change = only(diff_schemas(schema(width=before), schema(width=after)))
    assert (change["kind"], change["key"], change["breaking"]) == (kind, "width", kind == "range_narrowed")
    assert change["from"] == {k: before[k] for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
                              if k in before}


def test_the_range_message_shows_both_ranges():
    change = only(diff_schemas(schema(width=width()), schema(width=width(maximum=1.0))))
    assert "[0.3, 1.2] → [0.3, 1.0]" in change["message"]
    assert change["to"] == {"minimum": 0.3, "maximum": 1.0}


def test_options_removed_are_breaking_and_options_added_are_not():
    changes = diff_schemas(schema(handle=handle()), schema(handle=handle("Knob", "Pull")))
    assert kinds(changes) == [("options_removed", "handle", True), ("options_added", "handle", False)]
    assert changes[0]["from"] == ["Bar", "Knob"] and changes[0]["to"] == ["Knob", "Pull"]
    assert "'Bar'" in changes[0]["message"] and "'Pull'" in changes[1]["message"]
    assert diff_schemas(schema(handle=handle()), schema(handle=handle("Knob", "Bar"))) == []  # order only


def test_a_changed_default_is_reported_and_not_breaking():
    change = only(diff_schemas(schema(width=width()), schema(width=width(default=0.9))))
    assert change == {"kind": "default_changed", "key": "width", "from": 0.6, "to": 0.9, "breaking": False,
                      "message": change["message"]}
    change = only(diff_schemas(schema(handle=handle()), schema(handle=handle(default="Bar"))))
    assert (change["from"], change["to"]) == ("Knob", "Bar")


def test_a_changed_unit_is_reported_and_not_breaking():
    change = only(diff_schemas(schema(width=width()), schema(width=width(**{"x-unit": "cm"}))))
    assert (change["kind"], change["from"], change["to"], change["breaking"]) == ("unit_changed", "m", "cm", False)
    no_unit = {k: v for k, v in width().items() if k != "x-unit"}
    assert kinds(diff_schemas(schema(width=no_unit), schema(width=width()))) == [("unit_changed", "width", False)]


@pytest.mark.parametrize("before, after, breaking", [
    (shelves(), shelves(type="number", **{"x-kind": "float"}), False),  # every integer is a number
    (width(), width(type="integer", **{"x-kind": "int"}), True),
    (glass(), {"type": "string", "title": "Glass", "default": "no", "x-kind": "text"}, True),
    (handle(), handle() | {"x-kind": "menu"}, False),  # the same values are accepted
    ({"type": "string", "default": "", "x-kind": "text"},
     {"type": "string", "default": "#ffffff", "pattern": "^#[0-9a-fA-F]{6}$", "x-kind": "color"}, True),
    ({"type": "string", "default": "", "x-kind": "text"},
     {"type": "string", "default": "A", "enum": ["A", "B"], "x-kind": "menu"}, True),
    ({"type": "string", "default": "A", "enum": ["A", "B"], "x-kind": "menu"},
     {"type": "string", "default": "A", "x-kind": "text"}, False),
])
def test_a_type_change_is_breaking_unless_the_new_type_accepts_every_old_value(before, after, breaking):
    changes = diff_schemas(schema(value=before), schema(value=after))
    type_changes = [c for c in changes if c["kind"] == "type_changed"]
    assert len(type_changes) == 1, changes
    change = type_changes[0]
    assert change["breaking"] is breaking
    assert change["from"] == {"type": before["type"], "kind": before["x-kind"]}
    assert change["to"] == {"type": after["type"], "kind": after["x-kind"]}


def test_rules_added_or_changed_are_breaking_and_rules_removed_are_not():
    with_rule = {**BASE, "allOf": [RULE]}
    change = only(diff_schemas(BASE, with_rule))
    assert (change["kind"], change["key"], change["from"], change["to"], change["breaking"]) == \
        ("rules_changed", None, [], [RULE], True)
    assert "1 added" in change["message"]
    change = only(diff_schemas(with_rule, BASE))
    assert (change["kind"], change["breaking"]) == ("rules_changed", False) and "1 removed" in change["message"]
    changed = copy.deepcopy(RULE)
    changed["then"]["properties"]["shelf_count"]["minimum"] = 3
    change = only(diff_schemas(with_rule, {**BASE, "allOf": [changed]}))
    assert change["breaking"] is True and "1 added, 1 removed" in change["message"]
    assert diff_schemas({**BASE, "allOf": [RULE, changed]}, {**BASE, "allOf": [changed, RULE]}) == []  # order only


def test_changes_follow_the_newer_versions_order_then_the_removed_then_the_rules():
    after = schema(extra=glass(title="Extra"), handle=handle("Knob"), width=width(maximum=1.0))
    changes = diff_schemas({**BASE, "allOf": [RULE]}, after)
    assert [(c["kind"], c["key"]) for c in changes] == [
        ("added", "extra"), ("options_removed", "handle"), ("range_narrowed", "width"), ("removed", "glass"),
        ("removed", "shelf_count"), ("rules_changed", None)]
    assert is_breaking(changes) and not is_breaking([c for c in changes if c["kind"] == "added"])


def test_versions_are_read_from_their_parameters_when_the_schema_has_none():
    """`product_versions.parameters` entries, as engine/parameters.py writes them."""
    def parameter(**changes):
        return {"key": "width", "title": "Width", "type": "number", "kind": "float", "default": 0.6,
                "description": "Overall width", "sources": ["collection 'Box' › property 'width'"],
                "minimum": 0.3, "maximum": 1.2, "unit": "m", **changes}
    before = {"config_schema": {}, "parameters": [parameter(), {"key": "handle", "title": "Handle", "type": "string",
                                                                "kind": "variant", "default": "Knob",
                                                                "options": ["Bar", "Knob"]}]}
    after = {"parameters": [parameter(maximum=1.0, unit="cm"),
                            {"key": "handle", "title": "Handle", "type": "string", "kind": "variant",
                             "default": "Knob", "options": ["Knob"]}]}
    assert kinds(diff_versions(before, after)) == [("range_narrowed", "width", True), ("unit_changed", "width", False),
                                                    ("options_removed", "handle", True)]
    assert diff_versions({**before, "config_schema": schema()}, after) == diff_versions(before, after)
    # With both, the schema decides; the parameters fill in what it leaves out.
    both = {"config_schema": schema(width={"type": "number", "maximum": 1.2}), "parameters": [parameter()]}
    assert kinds(diff_versions(both, {"config_schema": schema(width=width())})) == []

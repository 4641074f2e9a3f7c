"""Read a loaded template per contract v1: find its parameters and check it is safe.

Produces the public `Inspection` (JSON Schema, parameters, variant sets, material groups,
warnings) and the private bindings `applying.py` uses. Every contract violation is
collected with the datablock at fault and reported together as `TemplateContractError`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ...errors import ConfigValidationError, ErrorDetail, TemplateContractError
from .. import contract
from ..colors import linear_rgba_to_hex
from ..config_validation import validate_config
from ..parameters import Parameter, ParameterSource, apply_formats, build_schema, merge_sources, tidy_number
from .applying import (
    CollectionPropertyBinding,
    MaterialSlotBinding,
    ModifierInputBinding,
    NodeMaterialBinding,
    VariantSetBinding,
)
from .loading import LoadedTemplate
from .self_contained import self_contained_errors


@dataclass
class Inspection:
    product_name: str
    schema: dict
    parameters: list[Parameter]
    variant_sets: list[dict]
    material_groups: list[dict]
    warnings: list[str]
    bindings: dict[str, list] = field(default_factory=dict, repr=False)
    product_collection: object = field(default=None, repr=False)

    def as_dict(self) -> dict:
        return {
            "product_name": self.product_name,
            "contract_version": contract.CONTRACT_VERSION,
            "schema": self.schema,
            "parameters": [p.as_dict() for p in self.parameters],
            "variant_sets": self.variant_sets,
            "material_groups": self.material_groups,
            "warnings": self.warnings,
        }


class _Inspector:
    def __init__(self, loaded: LoadedTemplate):
        self.loaded = loaded
        self.name = loaded.original_name
        self.errors: list[ErrorDetail] = []
        self.warnings: list[str] = []
        self.sources: list[ParameterSource] = []

    def error(self, code: str, location: str, message: str) -> None:
        self.errors.append(ErrorDetail(code=code, location=location, message=message))

    # -- product collection ------------------------------------------------------------
    def find_product_collection(self):
        flagged = [c for c in self.loaded.collections if c.get(contract.PRODUCT_FLAG)]
        if not flagged:
            self.error("NO_PRODUCT_COLLECTION", "collections",
                       f"no collection has the custom property '{contract.PRODUCT_FLAG}' set to true")
            return None
        if len(flagged) > 1:
            names = ", ".join(f"'{self.name(c)}'" for c in flagged)
            self.error("MULTIPLE_PRODUCT_COLLECTIONS", "collections",
                       f"exactly one product collection is allowed, found {len(flagged)}: {names}")
            return None
        return flagged[0]

    # -- safety: no Python may run, nothing outside the file is read ---------------------
    def check_no_python(self) -> None:
        for text in self.loaded.texts:
            name = self.name(text)
            if text.use_module:
                self.error("TEXT_SCRIPT", f"text '{name}'",
                           "a text block registered to run on load is not allowed; templates may not contain scripts")
            elif name != contract.RULES_TEXT_NAME:
                self.warnings.append(f"text '{name}' is ignored")

    def check_self_contained(self) -> None:
        """Drivers needing Python anywhere, file-reading nodes and modifiers, unpacked files,
        linked libraries (`self_contained.py`)."""
        self.errors.extend(self_contained_errors(self.loaded.ids, self.name))

    # -- parameter sources ------------------------------------------------------------
    def collection_properties(self, product) -> None:
        where = f"collection '{self.name(product)}'"
        for prop in product.keys():
            if prop.startswith("cfg_") or contract.is_private(prop):
                continue
            value = product[prop]
            kind = contract.PROPERTY_KINDS.get(type(value))
            location = f"{where} › property '{prop}'"
            if kind is None:
                self.error("UNSUPPORTED_PROPERTY_TYPE", location,
                           f"property type {type(value).__name__} is not a parameter type (int, float, bool, string)")
                continue
            ui = product.id_properties_ui(prop).as_dict()
            default = ui.get("default", value)
            if kind in ("int", "float") and not default and value:
                default = value  # UI default never set: the saved value is the artist's default
            source = ParameterSource(
                key=contract.parameter_key(prop), name=prop, kind=kind, location=location,
                default=_typed(kind, default), description=ui.get("description", "") or "",
                binding=CollectionPropertyBinding(product, prop, kind),
            )
            if kind in ("int", "float"):
                source.minimum, source.maximum = tidy_number(ui.get("min")), tidy_number(ui.get("max"))
                if ui.get("subtype") == "DISTANCE":
                    source.unit = "m"
            self.sources.append(source)

    def modifier_inputs(self, product, groups: dict) -> None:
        for obj in product.all_objects:
            for modifier in obj.modifiers:
                if modifier.type != "NODES" or modifier.node_group is None:
                    continue
                for item in modifier.node_group.interface.items_tree:
                    if item.item_type == "SOCKET" and item.in_out == "INPUT":
                        self.modifier_input(obj, modifier, item, groups)

    def modifier_input(self, obj, modifier, item, groups: dict) -> None:
        location = f"object '{self.name(obj)}' › modifier '{modifier.name}' › input '{item.name}' ({item.identifier})"
        if item.socket_type in contract.IGNORED_SOCKET_TYPES or item.hide_in_modifier:
            return
        kind = contract.SOCKET_KINDS.get(item.socket_type)
        if kind is None:
            self.error("UNSUPPORTED_SOCKET_TYPE", location,
                       f"socket type {item.socket_type} is not a parameter type; hide it in the modifier "
                       "or use Float, Int, Bool, Menu, Color or Material")
            return
        if contract.is_private(item.name):
            return
        value = modifier[item.identifier]
        binding = ModifierInputBinding(obj, modifier.name, item.identifier, kind)
        source = ParameterSource(key=contract.parameter_key(item.name), name=item.name, kind=kind,
                                 location=location, description=item.description or "", binding=binding)
        if kind in ("float", "int"):
            source.default = _typed(kind, value)
            source.minimum, source.maximum = tidy_number(item.min_value), tidy_number(item.max_value)
            if kind == "float" and getattr(item, "subtype", "") == "DISTANCE":
                source.unit = "m"
        elif kind == "bool":
            source.default = bool(value)
        elif kind == "color":
            source.default = linear_rgba_to_hex(value)
        elif kind == "menu":
            items = modifier.id_properties_ui(item.identifier).as_dict().get("items") or []
            binding.menu_values = {entry[1]: entry[4] for entry in items}
            if not binding.menu_values:
                self.error("MENU_WITHOUT_ITEMS", location, "menu input has no items (connect it to a Menu Switch)")
                return
            by_value = {v: k for k, v in binding.menu_values.items()}
            source.options = list(binding.menu_values)
            source.default = by_value.get(value, source.options[0])
        elif kind == "material":
            material = value
            group = material.get(contract.MATERIAL_GROUP_PROP) if material is not None else None
            if not group:
                shown = f"'{self.name(material)}'" if material is not None else "no material"
                self.warnings.append(f"{location}: holds {shown}, which is in no material group; it stays fixed")
                return
            _add_group_target(groups, group, binding, location, material)
            return
        self.sources.append(source)

    def variant_sets(self, product) -> list[dict]:
        found = []
        for collection in _descendants(product):
            set_name = collection.get(contract.VARIANT_SET_PROP)
            if not set_name:
                continue
            location = f"collection '{self.name(collection)}'"
            if not isinstance(set_name, str):
                self.error("BAD_VARIANT_SET", location, f"'{contract.VARIANT_SET_PROP}' must be a string")
                continue
            options = {self.name(child): child for child in collection.children}
            if not options:
                self.error("EMPTY_VARIANT_SET", location,
                           f"variant set '{set_name}' has no options (child collections)")
                continue
            default = collection.get(contract.VARIANT_DEFAULT_PROP) or next(iter(options))
            if default not in options:
                self.error("BAD_VARIANT_DEFAULT", location,
                           f"'{contract.VARIANT_DEFAULT_PROP}' is {default!r}, not one of {list(options)}")
                continue
            binding = VariantSetBinding(options)
            key = contract.parameter_key(set_name)
            found.append({"key": key, "name": set_name, "options": list(options), "default": default,
                          "private": contract.is_private(set_name)})
            if contract.is_private(set_name):
                binding.apply(default)
                continue
            self.sources.append(ParameterSource(key=key, name=set_name, kind="variant", location=location,
                                                default=default, options=list(options), binding=binding))
        return found

    def material_groups(self, product, groups: dict) -> list[dict]:
        members: dict[str, list] = {}
        for material in self.loaded.materials:
            group = material.get(contract.MATERIAL_GROUP_PROP)
            if group:
                members.setdefault(str(group), []).append(material)
        for obj in product.all_objects:
            for index, slot in enumerate(obj.material_slots):
                group = slot.material.get(contract.MATERIAL_GROUP_PROP) if slot.material else None
                if group:
                    _add_group_target(groups, group, MaterialSlotBinding(obj, index),
                                      f"object '{self.name(obj)}' › material slot {index}", slot.material)
        for tree in _node_trees_of(product):
            for node in tree.nodes:
                for index, socket in enumerate(node.inputs):
                    if socket.type == "MATERIAL" and not socket.is_linked and socket.default_value is not None:
                        group = socket.default_value.get(contract.MATERIAL_GROUP_PROP)
                        if group:
                            _add_group_target(groups, group, NodeMaterialBinding(tree, node.name, index),
                                              f"node group '{self.name(tree)}' › node '{node.name}' › input "
                                              f"'{socket.name}'", socket.default_value)
        found = []
        for group, materials in members.items():
            # Options in the order the artist asks for (`cfg_order`), then by name.
            ordered = sorted(materials, key=lambda m: (m.get(contract.ORDER_PROP, 0), self.name(m)))
            options = {self.name(m): m for m in ordered}
            location = f"material group '{group}'"
            use = groups.get(group, [])
            if not use:
                self.warnings.append(f"{location} is used by no object or node; it has no effect")
            default = self.name(use[0][2]) if use else next(iter(options))
            bindings = [binding for binding, _, _ in use]
            for binding in bindings:
                binding.materials = options
            key = contract.parameter_key(group)
            swatches = {name: _swatch(m) for name, m in options.items()}
            found.append({"key": key, "name": group, "options": list(options), "default": default,
                          "swatches": swatches})
            if contract.is_private(group):
                for binding in bindings:
                    binding.apply(default)
                continue
            targets = [(binding, where) for binding, where, _ in use] or [(None, location)]
            for binding, where in targets:
                self.sources.append(ParameterSource(
                    key=key, name=group, kind="material", location=f"{location} › {where}" if binding else where,
                    default=default, options=list(options), swatches=swatches, binding=binding))
        return found

    # -- display formats ----------------------------------------------------------------
    def formats(self, product, parameters: list[Parameter]) -> None:
        """`cfg_formats` on the product collection: a dictionary property (Python type in
        *Edit Property*) or a string holding a JSON object."""
        location = f"collection '{self.name(product)}' › property '{contract.FORMATS_PROP}'"
        raw = product.get(contract.FORMATS_PROP)
        if raw is not None and hasattr(raw, "to_dict"):
            raw = raw.to_dict()
        elif isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError as exc:
                self.error("BAD_FORMATS", location, f"not valid JSON: {exc}")
                return
        self.errors.extend(apply_formats(parameters, raw, location))

    # -- rules ------------------------------------------------------------------------
    def rules(self, known_keys: set[str]) -> list[dict]:
        texts = [t for t in self.loaded.texts if self.name(t) == contract.RULES_TEXT_NAME]
        if not texts:
            return []
        location = f"text '{contract.RULES_TEXT_NAME}'"
        try:
            rules = json.loads(texts[0].as_string())
        except json.JSONDecodeError as exc:
            self.error("BAD_RULES", location, f"not valid JSON: {exc}")
            return []
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            self.error("BAD_RULES", location, "must be a JSON array of JSON Schema objects")
            return []
        for index, rule in enumerate(rules):
            try:
                Draft202012Validator.check_schema(rule)
            except SchemaError as exc:
                self.error("BAD_RULES", f"{location} › rule {index}", f"not a valid JSON Schema: {exc.message}")
            for name in sorted(_referenced_keys(rule) - known_keys):
                self.error("UNKNOWN_RULE_PARAMETER", f"{location} › rule {index}",
                           f"rule refers to '{name}', which is not a parameter of this template")
        return rules


def inspect_template(loaded: LoadedTemplate) -> Inspection:
    """Inspect an appended template. Raises `TemplateContractError` listing every violation."""
    inspector = _Inspector(loaded)
    inspector.check_no_python()
    inspector.check_self_contained()
    product = inspector.find_product_collection()
    if product is None or inspector.errors:
        raise TemplateContractError("the template breaks the template contract", inspector.errors)

    groups: dict = {}
    inspector.collection_properties(product)
    inspector.modifier_inputs(product, groups)
    variant_sets = inspector.variant_sets(product)
    material_groups = inspector.material_groups(product, groups)
    parameters, merge_errors, merge_warnings = merge_sources(inspector.sources, contract.parameter_title)
    inspector.errors.extend(merge_errors)
    inspector.warnings.extend(merge_warnings)
    inspector.formats(product, parameters)
    rules = inspector.rules({p.key for p in parameters})
    if inspector.errors:
        raise TemplateContractError("the template breaks the template contract", inspector.errors)

    product_name = inspector.name(product)
    schema = build_schema(product_name, parameters, rules)
    defaults = {p.key: p.default for p in parameters}
    try:
        validate_config(schema, defaults)
    except ConfigValidationError as exc:
        raise TemplateContractError(
            "the template's own default configuration is not valid",
            [ErrorDetail(code="INVALID_DEFAULTS", location=f"parameter {e.pointer}", message=e.message)
             for e in exc.errors],
        ) from None
    bindings = {p.key: [s.binding for s in p.sources if s.binding is not None] for p in parameters}
    return Inspection(product_name=product_name, schema=schema, parameters=parameters,
                      variant_sets=variant_sets, material_groups=material_groups,
                      warnings=inspector.warnings, bindings=bindings, product_collection=product)


# -- helpers ---------------------------------------------------------------------------
def _typed(kind: str, value):
    typed = contract.KINDS[kind].stored_as(value)
    return tidy_number(typed) if kind == "float" else typed


def _add_group_target(groups: dict, group: str, binding, where: str, material) -> None:
    """Remember that `binding` holds `material` of `group` in the template as saved; its
    options are set once every member of the group is known."""
    groups.setdefault(str(group), []).append((binding, where, material))


def _descendants(collection):
    for child in collection.children:
        yield child
        yield from _descendants(child)


def _node_trees_of(product):
    """Geometry Nodes trees used by product objects, nested groups included, each once."""
    seen: dict[int, object] = {}
    stack = [m.node_group for o in product.all_objects for m in o.modifiers
             if m.type == "NODES" and m.node_group is not None]
    while stack:
        tree = stack.pop(0)
        if tree.as_pointer() in seen:
            continue
        seen[tree.as_pointer()] = tree
        stack.extend(n.node_tree for n in tree.nodes if getattr(n, "node_tree", None) is not None)
    return list(seen.values())


def _swatch(material) -> str:
    """The base colour of the Principled BSDF; where a texture feeds it (a packed image, a
    procedural setup, a bake), the material's viewport colour, which the bake sets to the
    texture's mean."""
    if material.node_tree is not None:
        for node in material.node_tree.nodes:
            if node.type == "BSDF_PRINCIPLED" and not node.inputs["Base Color"].is_linked:
                return linear_rgba_to_hex(node.inputs["Base Color"].default_value)
    return linear_rgba_to_hex(material.diffuse_color)


def _referenced_keys(fragment) -> set[str]:
    """Parameter names a rule mentions under `properties`, `required`, `dependentRequired`."""
    keys: set[str] = set()
    if isinstance(fragment, dict):
        for name, value in fragment.items():
            if name in ("properties", "dependentRequired", "dependentSchemas") and isinstance(value, dict):
                keys.update(value)
            if name == "required" and isinstance(value, list):
                keys.update(v for v in value if isinstance(v, str))
            if isinstance(value, (dict, list)):
                keys |= _referenced_keys(value)
    elif isinstance(fragment, list):
        for value in fragment:
            keys |= _referenced_keys(value)
    return keys

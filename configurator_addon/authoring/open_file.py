"""The artist's open file read as a template, in this Blender.

The contract check the sidebar shows runs in a child process on a saved copy (`ui/operators`):
that is the server's view. Previewing values and checking rules need the *open* file's own
datablocks instead, so the engine's inspection runs here on them, for its bindings (what
each parameter drives) and its rule checks. It walks no datablock for safety: nothing here
is untrusted, and the child's check is the one that decides.
"""
from __future__ import annotations

import bpy

from ..engine.blender.inspection import Inspection, inspect_template
from ..engine.blender.loading import LoadedTemplate
from ..engine.contract import PRODUCT_FLAG, RULES_TEXT_NAME
from ..errors import ErrorDetail, TemplateContractError


def product_collections() -> list:
    return [c for c in bpy.data.collections if c.get(PRODUCT_FLAG)]


def the_product_collection():
    """The one product collection, or `TemplateContractError` saying why there is none."""
    flagged = product_collections()
    if len(flagged) == 1:
        return flagged[0]
    if not flagged:
        raise TemplateContractError("the file has no product collection", [ErrorDetail(
            code="NO_PRODUCT_COLLECTION", location="collections",
            message="mark one collection as the product collection first")])
    names = ", ".join(f"'{c.name}'" for c in flagged)
    raise TemplateContractError("the file has several product collections", [ErrorDetail(
        code="MULTIPLE_PRODUCT_COLLECTIONS", location="collections",
        message=f"exactly one product collection is allowed, found {names}")])


def inspect_open_file(rules: str | None = None) -> Inspection:
    """The engine's inspection of the open file's local datablocks, for its bindings and its
    rule checks; with `rules`, as if the text `cfg_rules.json` held that (the text itself is
    not touched).

    Two things keep it from leaving a trace. It hides the unchosen options of private
    variant sets as it goes: run it between `preview.capture` and `preview.restore`. And
    reading a custom property's settings (`id_properties_ui`) would give a property made by
    a script a settings block of its own, which is saved with the file: the product
    collection is shown to it through `_ProductView`, which has no settings to read. So the
    ranges, descriptions and settings defaults of collection properties are missing here:
    validate values with the schema of the contract check (the stored inspection)."""
    texts = [db for db in bpy.data.texts if db.library is None]
    if rules is not None:
        texts = [t for t in texts if t.name != RULES_TEXT_NAME] + [_RulesDraft(rules)]
    collections = [_ProductView(db) if db.get(PRODUCT_FLAG) else db
                   for db in bpy.data.collections if db.library is None]
    loaded = LoadedTemplate(path=bpy.data.filepath, version="open-file", prefix="", byte_size=0,
                            collections=collections,
                            materials=[db for db in bpy.data.materials if db.library is None],
                            texts=texts)
    return inspect_template(loaded)


class _ProductView:
    """The product collection for the inspection: everything but its properties' settings."""

    def __init__(self, collection):
        self._collection = collection

    def __getattr__(self, name):
        return getattr(self._collection, name)

    def __getitem__(self, key):
        return self._collection[key]

    def __setitem__(self, key, value):
        self._collection[key] = value

    def __contains__(self, key) -> bool:
        return key in self._collection

    def __eq__(self, other) -> bool:
        return self._collection == getattr(other, "_collection", other)

    def __hash__(self) -> int:
        return hash(self._collection)

    def id_properties_ui(self, _key):
        return _NoSettings()


class _NoSettings:
    def as_dict(self) -> dict:
        return {}


class _RulesDraft:
    """Stands in for the rules text during an inspection: what inspection reads of a text."""

    name = RULES_TEXT_NAME
    use_module = False

    def __init__(self, source: str):
        self.source = source

    def as_string(self) -> str:
        return self.source

    def as_pointer(self) -> int:
        return id(self)

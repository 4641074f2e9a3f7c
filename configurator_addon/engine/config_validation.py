"""Validate a configuration against a product's JSON Schema and fill in defaults (no bpy).

Used by the engine before it touches Blender and by the API before it creates anything.
Errors carry JSON pointers (RFC 6901) to the value at fault; rule violations use the
rule's own `x-message` when it has one.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from ..errors import ConfigValidationError, ErrorDetail


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@lru_cache(maxsize=256)
def _validators(schema_json: str) -> tuple[Draft202012Validator, Draft202012Validator]:
    """(values alone, values and rules) for one schema."""
    schema = json.loads(schema_json)
    base = {k: v for k, v in schema.items() if k != "allOf"}
    return Draft202012Validator(base), Draft202012Validator(schema)


def _pointer(parts) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _rule_message(schema: dict, error) -> str | None:
    path = list(error.absolute_schema_path)
    if len(path) >= 2 and path[0] == "allOf":
        rule = schema["allOf"][path[1]]
        if isinstance(rule, dict):
            return rule.get("x-message") or rule.get("description")
    return None


def _details(schema: dict, error) -> list[ErrorDetail]:
    pointer = _pointer(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(schema.get("properties", {}))
        return [
            ErrorDetail(code="UNKNOWN_PARAMETER", pointer=_pointer([*error.absolute_path, key]),
                        message=f"unknown parameter '{key}'")
            for key in sorted(error.instance) if key not in known
        ]
    message = _rule_message(schema, error)
    if message is not None:
        return [ErrorDetail(code="RULE_VIOLATED", pointer=pointer, message=f"{message} ({error.message})")]
    return [ErrorDetail(code=f"SCHEMA_{error.validator.upper()}", pointer=pointer, message=error.message)]


def fill_defaults(schema: dict, config: dict) -> dict:
    filled = dict(config)
    for key, prop in schema.get("properties", {}).items():
        if key not in filled and "default" in prop:
            filled[key] = prop["default"]
    return filled


def validate_config(schema: dict, config: Any) -> dict:
    """Return the complete configuration (defaults filled in, integers as int) or raise
    `ConfigValidationError` listing every problem with its JSON pointer."""
    if not isinstance(config, dict):
        raise ConfigValidationError(
            "configuration must be a JSON object",
            [ErrorDetail(code="SCHEMA_TYPE", pointer="", message=f"expected an object, got {type(config).__name__}")],
        )
    filled = fill_defaults(schema, config)
    # Rules are checked only on values that are valid on their own: a rule's `if` on a
    # wrongly typed value would otherwise report a confusing second error.
    details: list[ErrorDetail] = []
    for validator in _validators(canonical_json(schema)):
        for error in validator.iter_errors(filled):
            details.extend(_details(schema, error))
        if details:
            break
    if details:
        unique = {(d.pointer, d.message): d for d in details}.values()
        details = sorted(unique, key=lambda d: (d.pointer or "", d.message))
        raise ConfigValidationError(f"{len(details)} problem(s) in the configuration", details)
    # One spelling per value, so equal configurations share one cache key: 2.0 -> 2 for
    # integers, 1 -> 1.0 for numbers.
    for key, prop in schema.get("properties", {}).items():
        value = filled.get(key)
        if prop.get("type") == "integer" and isinstance(value, float):
            filled[key] = int(value)
        elif prop.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
            filled[key] = float(value)
    return filled

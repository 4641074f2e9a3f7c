"""Parameters of a template and the JSON Schema built from them (no bpy here).

The inspector finds *sources* (a Geometry Nodes input, a collection property, a variant set,
a material group). Sources with the same key are one parameter: their types must agree, and
one value then drives all of them. `merge_sources` does that and `build_schema` turns the
result into the product's JSON Schema (draft 2020-12).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import ErrorDetail
from .contract import FORMATS, KINDS, is_identifier_like

COLOR_PATTERN = "^#[0-9a-fA-F]{6}$"
_HUGE = 1e30


def tidy_number(value: float | int | None) -> float | int | None:
    """Drop float32 noise (0.6000000238 -> 0.6) and unbounded sentinels (±FLT_MAX, ±inf)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if not math.isfinite(value) or abs(value) >= _HUGE:
        return None
    return float(f"{value:.7g}")


@dataclass
class ParameterSource:
    """One place in a template that a parameter drives."""

    key: str
    name: str
    kind: str  # float | int | bool | menu | color | material | variant | text
    location: str  # human-readable: object 'Door' › modifier 'GN' › socket 'Width'
    default: Any = None
    minimum: float | int | None = None
    maximum: float | int | None = None
    options: list[str] | None = None
    unit: str | None = None
    description: str = ""
    swatches: dict[str, str] | None = None
    binding: Any = None  # engine-internal handle used to apply a value

    @property
    def family(self) -> str:
        return KINDS[self.kind].family


@dataclass
class Parameter:
    key: str
    title: str
    kind: str
    default: Any
    description: str = ""
    minimum: float | int | None = None
    maximum: float | int | None = None
    options: list[str] | None = None
    unit: str | None = None
    swatches: dict[str, str] | None = None
    format: str | None = None  # display format (contract.FORMATS), from the product's `cfg_formats`
    sources: list[ParameterSource] = field(default_factory=list)

    @property
    def json_type(self) -> str:
        return KINDS[self.kind].json_type

    def as_dict(self) -> dict:
        out = {
            "key": self.key,
            "title": self.title,
            "type": self.json_type,
            "kind": self.kind,
            "default": self.default,
            "description": self.description,
            "sources": [s.location for s in self.sources],
        }
        for name in ("minimum", "maximum", "options", "unit", "format", "swatches"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def property_schema(self) -> dict:
        prop: dict[str, Any] = {"type": self.json_type, "title": self.title}
        if self.description:
            prop["description"] = self.description
        if self.options is not None:
            prop["enum"] = list(self.options)
        if self.kind == "color":
            prop["pattern"] = COLOR_PATTERN
        if self.minimum is not None:
            prop["minimum"] = self.minimum
        if self.maximum is not None:
            prop["maximum"] = self.maximum
        prop["default"] = self.default
        if self.unit:
            prop["x-unit"] = self.unit
        if self.format:
            prop["x-format"] = self.format
        prop["x-kind"] = self.kind
        if self.swatches:
            prop["x-swatches"] = dict(self.swatches)
        return prop


def merge_sources(sources: list[ParameterSource], title_of) -> tuple[list[Parameter], list[ErrorDetail], list[str]]:
    """Group sources by key. Returns (parameters in discovery order, errors, warnings)."""
    params: dict[str, Parameter] = {}
    errors: list[ErrorDetail] = []
    warnings: list[str] = []
    for src in sources:
        param = params.get(src.key)
        if param is None:
            params[src.key] = Parameter(
                key=src.key, title=title_of(src.name), kind=src.kind, default=src.default,
                description=src.description, minimum=src.minimum, maximum=src.maximum,
                options=list(src.options) if src.options is not None else None,
                unit=src.unit, swatches=src.swatches, sources=[src],
            )
            continue
        first = param.sources[0]
        if src.family != first.family:
            errors.append(ErrorDetail(
                code="PARAMETER_TYPE_CONFLICT", location=src.location,
                message=(f"parameter '{src.key}' is {src.kind} here but {first.kind} at {first.location}; "
                         "one key must have one type"),
            ))
            continue
        if param.options is not None and src.options is not None and sorted(param.options) != sorted(src.options):
            errors.append(ErrorDetail(
                code="PARAMETER_OPTIONS_CONFLICT", location=src.location,
                message=(f"parameter '{src.key}' offers {src.options} here but {param.options} at {first.location}; "
                         "sources sharing a key must offer the same options"),
            ))
            continue
        if src.minimum is not None:
            param.minimum = src.minimum if param.minimum is None else max(param.minimum, src.minimum)
        if src.maximum is not None:
            param.maximum = src.maximum if param.maximum is None else min(param.maximum, src.maximum)
        if src.default != param.default:
            warnings.append(f"parameter '{src.key}': default {src.default!r} at {src.location} differs from "
                            f"{param.default!r} at {first.location}; using {param.default!r}")
        if title_of(src.name) != param.title and not is_identifier_like(src.name) and is_identifier_like(first.name):
            param.title = title_of(src.name)  # "Opening Width" reads better than "Opening width"
        if not param.description and src.description:
            param.description = src.description
        param.unit = param.unit or src.unit
        param.swatches = param.swatches or src.swatches
        param.sources.append(src)
    for param in params.values():
        if param.minimum is not None and param.maximum is not None and param.minimum > param.maximum:
            errors.append(ErrorDetail(
                code="PARAMETER_RANGE_EMPTY", location=param.sources[-1].location,
                message=f"parameter '{param.key}' has no valid value: "
                        f"minimum {param.minimum} > maximum {param.maximum}",
            ))
    return list(params.values()), errors, warnings


def apply_formats(parameters: list[Parameter], formats: Any, location: str) -> list[ErrorDetail]:
    """Give each parameter the display format the template names for it (`cfg_formats`:
    parameter key -> format). A format the app would not know, one about no parameter or one
    that does not fit the parameter's kind is an error, not a silent plain number: the artist
    meant something the shopper would otherwise not see."""
    if formats is None:
        return []
    if not isinstance(formats, dict) or not all(isinstance(v, str) for v in formats.values()):
        return [ErrorDetail(code="BAD_FORMATS", location=location,
                            message="must map parameter keys to format names, e.g. {\"handle_position\": \"percent\"}")]
    by_key = {p.key: p for p in parameters}
    known = ", ".join(sorted(FORMATS))
    errors: list[ErrorDetail] = []
    for key, name in formats.items():
        where = f"{location} › '{key}'"
        param = by_key.get(key)
        if param is None:
            errors.append(ErrorDetail(code="UNKNOWN_FORMAT_PARAMETER", location=where,
                                      message=f"'{key}' is not a parameter of this template"))
        elif name not in FORMATS:
            errors.append(ErrorDetail(code="UNKNOWN_FORMAT", location=where,
                                      message=f"format {name!r} is not one of {known}"))
        elif param.kind not in FORMATS[name]:
            fits = " or ".join(sorted(FORMATS[name]))
            errors.append(ErrorDetail(code="FORMAT_KIND_MISMATCH", location=where,
                                      message=f"format {name!r} is for {fits} parameters; '{key}' is {param.kind}"))
        else:
            param.format = name
            if name == "length":
                param.unit = "m"  # a length is in metres, as a Distance socket is
    return errors


def build_schema(title: str, parameters: list[Parameter], rules: list[dict]) -> dict:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "properties": {p.key: p.property_schema() for p in parameters},
    }
    if rules:
        schema["allOf"] = rules
    return schema

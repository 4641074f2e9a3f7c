"""Colour conversions between `#rrggbb` (sRGB, what people type) and Blender's linear RGBA."""
from __future__ import annotations


def srgb_to_linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _linear_to_srgb(c: float) -> float:
    c = min(max(c, 0.0), 1.0)
    return c * 12.92 if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def hex_to_linear_rgba(value: str) -> tuple[float, float, float, float]:
    digits = value.lstrip("#")
    rgb = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    return (*(srgb_to_linear(c) for c in rgb), 1.0)


def linear_rgba_to_hex(rgba) -> str:
    return "#" + "".join(f"{round(_linear_to_srgb(c) * 255):02x}" for c in list(rgba)[:3])

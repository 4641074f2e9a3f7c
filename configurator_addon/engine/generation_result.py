"""What one generation gives back: the GLB and what it was made from (no bpy here, so the
worker that receives it from an engine process need not import Blender)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GenerationResult:
    glb: bytes
    config: dict
    cache_key: str
    template_version: str
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    geometry: dict[str, int] = field(default_factory=dict)  # evaluated vertices and faces
    morph: dict | None = None  # a morph GLB's ranges, probe count and notes (engine/morph.py)
    # Datablocks in the engine's Blender after the job, by kind: flat from job to job, or it leaks.
    datablocks: dict[str, int] = field(default_factory=dict)
    templates_warm: int = 0  # template versions the engine holds loaded after the job

    def meta(self) -> dict:
        """Everything but the GLB, as JSON."""
        return {"config": self.config, "cache_key": self.cache_key, "template_version": self.template_version,
                "timings": self.timings, "warnings": self.warnings, "geometry": self.geometry,
                "datablocks": self.datablocks, "templates_warm": self.templates_warm, "morph": self.morph}

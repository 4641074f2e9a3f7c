"""Generate a GLB from a template and a configuration, warm and in-process.

`Engine` is what the CLI, the worker and the authoring UI call: validate the configuration
against the template's schema, apply it to the cached template, export the product
collection, and report how long each stage took. Nothing it does outlives the job except
the template cache itself.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import bpy

from ...errors import ConfiguratorError, ConfigValidationError, GenerationError
from ..config_validation import validate_config
from ..generation_result import GenerationResult
from ..result_keys import export_options, result_cache_key, template_version
from .applying import apply_config
from .baking import is_procedural
from .cache import TemplateCache
from .exporting import export_scene_glb
from .geometry_budget import GeometryBudget
from .inspection import Inspection
from .morphing import MorphMaker
from .usd_export import export_scene_usdz

# The kinds of datablock a job could leave behind (the result reports their counts).
COUNTED_DATABLOCKS = ("objects", "meshes", "materials", "collections", "node_groups", "images", "textures",
                      "scenes", "actions", "curves", "cameras", "lights", "worlds", "texts")


def prepare_blender() -> None:
    """Settings every engine process needs: templates are untrusted, so no auto-run scripts."""
    bpy.context.preferences.filepaths.use_scripts_auto_execute = False


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


class Engine:
    def __init__(self, cache: TemplateCache | None = None, budget: GeometryBudget | None = None):
        prepare_blender()
        self.cache = cache if cache is not None else TemplateCache()
        self.budget = budget

    def _template(self, path: str, version: str):
        """The cached template; a newly loaded one is evaluated and exported once with its
        defaults, so its first real job does not pay for the first evaluation and export."""
        entry, was_loaded = self.cache.get(version, path)
        if was_loaded:
            defaults = validate_config(entry.inspection.schema, {})
            view_layer = entry.loaded.scene.view_layers[0]
            apply_config(entry.inspection.bindings, defaults, view_layer)
            if self.budget is not None:  # a template whose defaults break the budget is refused
                self._within_budget(version, view_layer)
            export_scene_glb(entry.loaded.scene, draco=False, names=entry.loaded.exported_name_map(),
                             scene_name=entry.inspection.product_name)
        return entry, was_loaded

    def _within_budget(self, version: str, view_layer) -> dict[str, int]:
        try:
            return self.budget.check(view_layer)
        except ConfiguratorError:
            self.cache.forget(version)
            raise

    def inspect(self, path: str, version: str | None = None) -> Inspection:
        version = version or _version_of(path)
        entry, _ = self._template(path, version)
        return entry.inspection

    def describe(self, path: str) -> dict:
        """The inspection as JSON (what an upload stores), each number parameter with
        `morph: {at_defaults, min, max}`: whether and over what range it morphs at the
        defaults. That costs one morph generation of the defaults (a few tenths of a second
        for the samples), paid once at upload rather than on every job."""
        version = _version_of(path)
        described = self.inspect(path, version).as_dict()
        # What a publish bakes (engine/blender/baking.py): none, and no bake process starts.
        loaded = self.cache.get(version, path)[0].loaded
        described["procedural_materials"] = sorted(loaded.original_name(m) for m in loaded.materials
                                                   if is_procedural(m))
        ranges = self.generate(path, {}, morph=True).morph["ranges"]
        for parameter in described["parameters"]:
            found = ranges.get(parameter["key"]) if parameter["kind"] == "float" else None
            if found is not None:
                parameter["morph"] = {"at_defaults": found["max"] > found["min"], "min": found["min"],
                                      "max": found["max"]}
        return described

    def generate(
        self,
        path: str,
        config: dict,
        *,
        draco: bool = False,
        morph: bool = False,
        file_format: str = "glb",
        version: str | None = None,
        before_stage: Callable[[str], None] | None = None,
    ) -> GenerationResult:
        """`before_stage(name)` is called before "apply" and "export"; it may raise to cancel.
        `morph` makes a morph GLB (morphing.py): uncompressed, so `draco` must be off.
        `file_format` "usdz" makes a USDZ for AR instead of a GLB (usd_export.py), in `glb`."""
        if morph and draco:
            raise ConfigValidationError("a morph GLB cannot be Draco-compressed (Draco cannot carry morph "
                                        "targets): ask for morph or draco, not both")
        if file_format not in ("glb", "usdz"):
            raise ConfigValidationError(f"unknown result format {file_format!r}: ask for glb or usdz")
        if file_format == "usdz" and (morph or draco):
            raise ConfigValidationError("a USDZ has neither Draco compression nor morph targets: ask for "
                                        "format usdz without draco and morph")
        started = time.perf_counter()
        version = version or _version_of(path)
        entry, was_loaded = self._template(path, version)
        timings = {"load_ms": _ms(started) if was_loaded else 0.0}
        full_config = validate_config(entry.inspection.schema, config)

        if before_stage:
            before_stage("apply")
        stage = time.perf_counter()
        scene = entry.loaded.scene
        try:
            apply_config(entry.inspection.bindings, full_config, scene.view_layers[0])
        except ConfiguratorError:
            raise
        except Exception as exc:  # Blender refused a value: report it as a failed generation
            raise GenerationError(f"applying the configuration failed: {exc}") from exc
        geometry = self.budget.check(scene.view_layers[0]) if self.budget is not None else {}
        timings["apply_ms"] = _ms(stage)

        if before_stage:
            before_stage("export")
        stage = time.perf_counter()
        morph_meta = None
        if file_format == "usdz":
            data = export_scene_usdz(scene, names=entry.loaded.exported_name_map(),
                                     scene_name=entry.inspection.product_name)
        elif morph:
            data, found = MorphMaker(entry).make(full_config)
            morph_meta = {"evaluations": found.evaluations, "notes": found.notes,
                          "ranges": {r.key: r.as_dict() for r in found.ranges}}
        else:
            data = export_scene_glb(scene, draco=draco, names=entry.loaded.exported_name_map(),
                                    scene_name=entry.inspection.product_name)
        timings["export_ms"] = _ms(stage)
        timings["total_ms"] = _ms(started)
        return GenerationResult(
            glb=data, config=full_config, template_version=version, timings=timings,
            cache_key=result_cache_key(version, full_config, export_options(draco, morph, file_format)),
            warnings=list(entry.inspection.warnings), geometry=geometry, morph=morph_meta,
            datablocks={kind: len(getattr(bpy.data, kind)) for kind in COUNTED_DATABLOCKS},
            templates_warm=len(self.cache),
        )


def _version_of(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return template_version(handle.read())
    except OSError:
        return f"missing:{path}"

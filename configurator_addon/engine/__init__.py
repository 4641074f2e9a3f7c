"""The template engine: inspect a parametric `.blend` template and generate GLBs from it.

The only package (besides `ui/`) that touches `bpy`. Modules that need `bpy` import it
themselves, so the pure parts (`contract`, `parameters`, `config_validation`, `glb`)
stay importable by the API process, which never loads Blender.

Entry points:
- `generation.Engine`: the warm, in-process engine (template cache + generate).
- `config_validation.validate_config`: JSON Schema validation with JSON pointers.
"""

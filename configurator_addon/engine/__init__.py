"""The template engine: inspect a parametric `.blend` template and generate GLBs from it.

Split by what needs Blender: `blender/` holds every module that imports `bpy` (loading,
inspection, apply, export, the template cache, `blender.generation.Engine`); the modules
here are pure (`contract`, `parameters`, `config_validation`, `result_keys`, `glb`,
`colors`), so the API process imports them without loading Blender.
"""

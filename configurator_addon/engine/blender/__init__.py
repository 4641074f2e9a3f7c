"""The Blender-facing half of the engine: loading templates, inspecting them, applying a
configuration and exporting GLBs. Every module here imports `bpy`; the API process, which
never loads Blender, imports only the pure modules one level up."""

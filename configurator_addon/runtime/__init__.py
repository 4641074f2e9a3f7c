"""Process model: the main-thread executor for bpy work and the server thread (ARCHITECTURE §2)."""

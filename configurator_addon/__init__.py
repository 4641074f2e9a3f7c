"""Configurator: a Blender add-on that is also a server.

Blender loads this package as an extension (see `blender_manifest.toml` at the repository
root). `register()` adds the authoring UI; nothing happens at import time. The headless
server and CLI enter through `server_entry.py` (child processes through `engine_process.py`).
"""


def register():
    from .ui import register as register_ui

    register_ui()


def unregister():
    from .ui import unregister as unregister_ui

    unregister_ui()

"""Entry point of Configurator, for `python server_entry.py ARGS` (with the `bpy` module)
and `blender --background --python server_entry.py -- ARGS` (with a Blender install)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _arguments() -> list[str]:
    # Under Blender, our arguments follow "--"; Blender's own options precede it.
    if "--" in sys.argv:
        return sys.argv[sys.argv.index("--") + 1:]
    return sys.argv[1:]


if __name__ == "__main__":
    from configurator_addon.cli import run

    run(_arguments())

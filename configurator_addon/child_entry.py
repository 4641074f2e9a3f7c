"""Entry point of every child process (engine_process.child_command builds the command line):

    blender --background --factory-startup --python child_entry.py -- [--sys-path DIR]… ARGS
    python child_entry.py -- [--sys-path DIR]… ARGS                      (the `bpy` module)

It runs as a script, not as part of the package: it imports the package beside it under its
folder name (`configurator_addon` in the repository, `configurator` in an installed extension,
whose folder is on no path) so its relative imports work, adds the parent's `--sys-path`
entries the child lacks (an extension's bundled wheels, the `bpy` module's folder), and hands
ARGS to `cli.run`. Nothing here may import a dependency: the paths are not set yet.
"""
import importlib
import importlib.util
import os
import sys

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _split(argv: list[str]) -> tuple[list[str], list[str]]:
    """(the parent's paths, the command's arguments) from what follows `--`."""
    args = argv[argv.index("--") + 1:]
    paths = []
    while len(args) >= 2 and args[0] == "--sys-path":
        paths.append(args[1])
        args = args[2:]
    return paths, args


def _import_package():
    name = os.path.basename(PACKAGE_DIR)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, os.path.join(PACKAGE_DIR, "__init__.py"),
                                                  submodule_search_locations=[PACKAGE_DIR])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return package


def main() -> None:
    # `python child_entry.py` puts this folder first on the path, which would make our modules
    # (`errors`, `settings`, `jobs`…) importable as top-level names; Blender's --python does not.
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == PACKAGE_DIR:
        del sys.path[0]
    paths, args = _split(sys.argv)
    # The child's own paths come first: they decide which `bpy` it imports.
    sys.path += [path for path in paths if path not in sys.path]
    package = _import_package()
    importlib.import_module(package.__name__ + ".cli").run(args)


if __name__ == "__main__":  # as `--python` and `python FILE` run it
    main()

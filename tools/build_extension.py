"""Build the Blender extension archive `dist/configurator_addon-<version>.zip`.

The manifest lives at the repository root but Blender wants it beside the package's
`__init__.py`, so the archive holds `blender_manifest.toml` and the contents of
`configurator_addon/` at its root. The archive is deterministic: entries sorted, fixed
timestamps and permissions, so the same sources always give the same bytes.

Usage: python tools/build_extension.py [--output-dir DIR]   (prints the archive's path)
"""
from __future__ import annotations

import argparse
import os
import sys
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DIR = os.path.join(ROOT, "configurator_addon")
MANIFEST = os.path.join(ROOT, "blender_manifest.toml")
ARCHIVE_PREFIX = "configurator_addon"

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
EXCLUDED_DIRS = {"__pycache__"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")


def manifest_version(path: str = MANIFEST) -> str:
    with open(path, "rb") as handle:
        return tomllib.load(handle)["version"]


def archive_entries() -> list[tuple[str, str]]:
    """(name in the archive, file on disk), sorted by name."""
    entries = [("blender_manifest.toml", MANIFEST)]
    for folder, dirs, files in os.walk(PACKAGE_DIR):
        dirs[:] = [d for d in dirs if d not in EXCLUDED_DIRS]
        for name in files:
            if name.endswith(EXCLUDED_SUFFIXES):
                continue
            path = os.path.join(folder, name)
            entries.append((os.path.relpath(path, PACKAGE_DIR).replace(os.sep, "/"), path))
    return sorted(entries)


def build(output_dir: str) -> str:
    os.makedirs(output_dir, exist_ok=True)
    target = os.path.join(output_dir, f"{ARCHIVE_PREFIX}-{manifest_version()}.zip")
    partial = target + ".partial"
    with zipfile.ZipFile(partial, "w") as archive:
        for name, path in archive_entries():
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permission bits below are honoured everywhere
            info.external_attr = 0o100644 << 16
            with open(path, "rb") as handle:
                archive.writestr(info, handle.read(), compresslevel=9)
    os.replace(partial, target)
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=os.path.join(ROOT, "dist"))
    args = parser.parse_args(argv)
    print(build(os.path.abspath(args.output_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Build the Blender extension: one archive per platform, `dist/configurator-<version>-<platform>.zip`
(Blender's packager writes the platform as `linux_x64`, `macos_arm64`, `windows_x64`…).

Blender's Python has neither aiohttp nor asyncpg, pydantic, jsonschema…, so each archive bundles
every runtime dependency of the add-on as the unmodified wheels from PyPI, for CPython 3.11
(Blender 4.2–5.0) and 3.13 (Blender 5.1 and newer), and lists them in the manifest's `wheels`;
Blender installs them into its `extensions/.local/lib/python3.X/site-packages` when the add-on is
enabled. What Blender itself ships (requests, idna…) is left out when what it ships satisfies our
requirement. See docs/extension.md.

The steps: (1) walk the dependencies from pyproject.toml through each wheel's own metadata, per
platform and Python (markers evaluated for that target), each pinned to the version of
requirements-runtime.lock; (2) fetch the wheels missing from the cache (`var/wheels/<target>/`,
with `pip download --only-binary=:all: --no-deps --platform …`) and check every wheel's sha256
against the lock's hashes; (3) stage the package, the generated manifest (the repository's
`blender_manifest.toml` plus `platforms` and `wheels`), the wheels and the docs; (4) build with
Blender's own packager, `blender_ext.py build --split-platforms`; (5) give every entry a fixed
time and mode and sort them, so the same sources give the same bytes; (6) check every archive
with `blender_ext.py validate`.

Usage: python tools/build_extension.py [--output-dir DIR] [--platform NAME]… [--wheel-cache DIR]
       [--webapp DIR] [--offline]            (prints the archives' paths, one a line)
"""
from __future__ import annotations

import argparse
import email.parser
import glob
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename
    from packaging.version import Version
except ImportError:  # pip vendors it
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name, parse_wheel_filename
    from pip._vendor.packaging.version import Version

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DIR = os.path.join(ROOT, "configurator_addon")
MANIFEST = os.path.join(ROOT, "blender_manifest.toml")
PYPROJECT = os.path.join(ROOT, "pyproject.toml")
LOCK = os.path.join(ROOT, "requirements-runtime.lock")
DEFAULT_WHEEL_CACHE = os.path.join(ROOT, "var", "wheels")
# Docs the add-on links to, shipped in the archive's `docs/` (those not written yet are skipped).
DOCS = ("template-contract.md", "authoring.md", "extension.md")

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
EXCLUDED_DIRS = {"__pycache__"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class Platform:
    name: str  # Blender's platform name, as the manifest's `platforms` spells it
    pip_platforms: tuple[str, ...]  # `pip download --platform`: pip adds the older tags these imply
    sys_platform: str  # what markers see on that platform
    platform_system: str
    platform_machine: str


def manylinux(machine: str, glibc_minor: int) -> tuple[str, ...]:
    """Every manylinux tag a glibc 2.`glibc_minor` system takes (pip expands only the legacy aliases)."""
    return (*(f"manylinux_2_{minor}_{machine}" for minor in range(glibc_minor, 16, -1)),
            f"manylinux2014_{machine}", f"manylinux2010_{machine}", f"manylinux1_{machine}")


# Blender 4.2 needs glibc 2.28 on Linux and macOS 11.2 (pip expands macOS tags to the older ones).
# No macos-x64: Blender 5.0 dropped Intel Macs, and the locked cryptography has no wheel for them.
PLATFORMS = (
    Platform("linux-x64", manylinux("x86_64", 28), "linux", "Linux", "x86_64"),
    Platform("macos-arm64", ("macosx_11_0_arm64",), "darwin", "Darwin", "arm64"),
    Platform("windows-x64", ("win_amd64",), "win32", "Windows", "AMD64"),
)
# Blender 4.2–5.0 run CPython 3.11, Blender 5.1 and newer 3.13.
PYTHON_VERSIONS = ("3.11", "3.13")

# What Blender's own Python ships, at least at these versions (those of Blender 3.3 LTS: every
# Blender since ships them or newer; 5.0 has requests 2.32.3, idna 3.10, urllib3 2.4.0…).
# A requirement on one of them that this version satisfies is left to Blender; any other is
# bundled. Blender 5.0 also ships attrs and typing_extensions, 4.2 does not: they are bundled.
BLENDER_SHIPS = {
    "numpy": "1.23.5",
    "requests": "2.27.1",
    "idna": "3.3",
    "urllib3": "1.26.8",
    "certifi": "2021.10.8",
    "charset-normalizer": "2.0.10",
    "cython": "0.29.30",
    "zstandard": "0.16.0",
}
# bpy is Blender itself; the PyPI module is only how the service runs without a Blender install.
PROVIDED_BY_BLENDER = {"bpy"}


class BuildError(Exception):
    pass


# -- inputs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: frozenset[str]


def read_lock(path: str = LOCK) -> dict[str, Pin]:
    """`name==version` and the sha256 of every file of that release, from a `--generate-hashes` lock."""
    pins: dict[str, Pin] = {}
    current: tuple[str, str] | None = None
    hashes: set[str] = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", line):
                if current:
                    pins[current[0]] = Pin(current[0], current[1], frozenset(hashes))
                current, hashes = (canonicalize_name(match.group(1)), match.group(2)), set()
            hashes.update(re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
    if current:
        pins[current[0]] = Pin(current[0], current[1], frozenset(hashes))
    return pins


def top_level_requirements(path: str = PYPROJECT) -> list[Requirement]:
    with open(path, "rb") as handle:
        dependencies = tomllib.load(handle)["project"]["dependencies"]
    return [Requirement(text) for text in dependencies if canonicalize_name(Requirement(text).name)
            not in PROVIDED_BY_BLENDER]


def manifest_version(path: str = MANIFEST) -> str:
    with open(path, "rb") as handle:
        return tomllib.load(handle)["version"]


def bpy_scripts_dir() -> str:
    """Blender's scripts inside the bpy module (found without importing it, which is slow)."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError("the bpy module is not installed (run make install): its packager builds the archives")
    (scripts,) = glob.glob(os.path.join(spec.submodule_search_locations[0], "*", "scripts"))
    return scripts


def blender_ext_tools() -> tuple[str, str]:
    scripts = bpy_scripts_dir()
    return (os.path.join(scripts, "addons_core", "bl_pkg", "cli", "blender_ext.py"),
            os.path.join(scripts, "modules", "_bpy_internal", "extensions", "tags.py"))


def link_blender_site(folder: str) -> str:
    """Fill `folder` with links to `bpy` and to this environment's copies of BLENDER_SHIPS: with
    `python -S -s` and PYTHONPATH=`folder`, an interpreter that has what Blender's own Python has
    and nothing else (the install test and bench/extension_install.py run the extension there)."""
    import importlib.metadata

    for name in ("bpy", *BLENDER_SHIPS):
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # Blender ships it, the bpy module does not need it (Cython)
        for top in sorted({str(f).split("/")[0] for f in distribution.files or ()} - {"..", "__pycache__"}):
            source = str(distribution.locate_file(top))
            if not top.endswith(".dist-info") and os.path.exists(source):
                os.symlink(source, os.path.join(folder, top))
    return folder


# -- wheels -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    platform: Platform
    python: str

    @property
    def label(self) -> str:
        return f"{self.platform.name} cp{self.python.replace('.', '')}"

    @property
    def cache_name(self) -> str:
        return f"{self.platform.name}-cp{self.python.replace('.', '')}"

    def marker_environment(self, extra: str = "") -> dict[str, str]:
        windows = self.platform.sys_platform == "win32"
        return {
            "implementation_name": "cpython", "implementation_version": f"{self.python}.0",
            "os_name": "nt" if windows else "posix", "platform_machine": self.platform.platform_machine,
            "platform_python_implementation": "CPython", "platform_release": "", "platform_version": "",
            "platform_system": self.platform.platform_system, "python_full_version": f"{self.python}.0",
            "python_version": self.python, "sys_platform": self.platform.sys_platform, "extra": extra,
        }


def _wheel_identity(file_name: str) -> tuple[str, Version]:
    name, version, _build, _tags = parse_wheel_filename(file_name)
    return canonicalize_name(name), version


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_requirements(path: str) -> list[Requirement]:
    with zipfile.ZipFile(path) as archive:
        (metadata,) = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        message = email.parser.BytesParser().parsebytes(archive.read(metadata), headersonly=True)
    return [Requirement(text) for text in message.get_all("Requires-Dist") or ()]


class WheelCache:
    """`cache_dir/<platform>-cp3XX/`: the wheels pip chose for that target, as downloaded."""

    def __init__(self, cache_dir: str, pins: dict[str, Pin], *, offline: bool):
        self.cache_dir = cache_dir
        self.pins = pins
        self.offline = offline
        self.downloads = 0

    def _cached(self, target: Target, pin: Pin) -> str | None:
        folder = os.path.join(self.cache_dir, target.cache_name)
        if not os.path.isdir(folder):
            return None
        found = sorted(name for name in os.listdir(folder) if name.endswith(".whl")
                       and _wheel_identity(name) == (pin.name, Version(pin.version)))
        return os.path.join(folder, found[-1]) if found else None

    def wheels(self, target: Target, pins: list[Pin]) -> dict[str, str]:
        """name → wheel file, fetching those not cached in one pip call; every file hash-checked."""
        missing = [pin for pin in pins if self._cached(target, pin) is None]
        if missing:
            self._download(target, missing)
        found = {}
        for pin in pins:
            path = self._cached(target, pin)
            if path is None:
                raise BuildError(f"pip did not fetch a wheel of {pin.name}=={pin.version} for {target.label}")
            if _sha256(path) not in pin.hashes:
                os.remove(path)
                raise BuildError(f"{os.path.basename(path)} does not match any sha256 of {pin.name}=={pin.version} "
                                 "in requirements-runtime.lock: removed from the cache; build again")
            found[pin.name] = path
        return found

    def _download(self, target: Target, pins: list[Pin]) -> None:
        names = ", ".join(f"{pin.name}=={pin.version}" for pin in pins)
        if self.offline:
            raise BuildError(f"--offline, and {target.label} lacks wheels in {self.cache_dir}: {names}")
        folder = os.path.join(self.cache_dir, target.cache_name)
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".download-", dir=folder) as scratch:
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                       "--only-binary=:all:", "--no-deps", "--implementation", "cp",
                       "--python-version", target.python, "--dest", scratch]
            for tag in target.platform.pip_platforms:
                command += ["--platform", tag]
            command += [f"{pin.name}=={pin.version}" for pin in pins]
            print(f"downloading for {target.label}: {names}", file=sys.stderr)
            finished = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if finished.returncode != 0:
                raise BuildError(f"pip could not download wheels for {target.label} ({names}):\n"
                                 + (finished.stderr or finished.stdout).strip()[-3000:])
            for name in os.listdir(scratch):
                if name.endswith(".whl"):
                    os.replace(os.path.join(scratch, name), os.path.join(folder, name))
                    self.downloads += 1


def resolve_wheels(target: Target, cache: WheelCache) -> dict[str, str]:
    """The wheels `target` needs: the add-on's dependencies and theirs, as the wheels' own metadata
    states them for that platform and Python, each at its locked version; one pip call per level."""
    bundled: dict[str, str] = {}
    extras_walked: dict[str, set[str]] = {}
    pending = [(requirement, "pyproject.toml") for requirement in top_level_requirements()
               if requirement.marker is None or requirement.marker.evaluate(target.marker_environment())]
    while pending:
        level: dict[str, set[str]] = {}  # packages whose requirements are walked next, with their new extras
        for requirement, wanted_by in pending:
            name = canonicalize_name(requirement.name)
            if name in PROVIDED_BY_BLENDER:
                continue
            floor = BLENDER_SHIPS.get(name)
            if name not in bundled and name not in level and floor and requirement.specifier.contains(floor, True):
                continue  # Blender's own copy will do
            pin = cache.pins.get(name)
            if pin is None:
                raise BuildError(f"{wanted_by} needs {requirement} on {target.label}, which requirements-runtime.lock "
                                 "does not pin: add it to pyproject.toml and run make lock")
            if not requirement.specifier.contains(pin.version, True):
                raise BuildError(f"{wanted_by} needs {requirement}, the lock pins {pin.version}")
            extras = ({""} | set(requirement.extras)) - extras_walked.get(name, set())
            if extras:
                level.setdefault(name, set()).update(extras)
        bundled.update(cache.wheels(target, [cache.pins[name] for name in level if name not in bundled]))
        pending = []
        for name, extras in level.items():
            extras_walked.setdefault(name, set()).update(extras)
            for requirement in wheel_requirements(bundled[name]):
                if requirement.marker is None or any(requirement.marker.evaluate(target.marker_environment(extra))
                                                     for extra in extras):
                    pending.append((requirement, f"{name}=={cache.pins[name].version}"))
    return bundled


# -- staging and packing ----------------------------------------------------------------------
def package_files() -> list[tuple[str, str]]:
    """(name in the archive, file on disk) of the add-on package itself."""
    entries = []
    for folder, dirs, files in os.walk(PACKAGE_DIR):
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIRS)
        for name in sorted(files):
            if not name.endswith(EXCLUDED_SUFFIXES):
                path = os.path.join(folder, name)
                entries.append((os.path.relpath(path, PACKAGE_DIR).replace(os.sep, "/"), path))
    return entries


def generated_manifest(platforms: list[str], wheels: list[str]) -> str:
    """The repository's manifest with `platforms` and `wheels` added among its top-level keys."""
    with open(MANIFEST, encoding="utf-8") as handle:
        lines = handle.read().splitlines(keepends=True)
    first_table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))

    def toml_list(values: list[str]) -> str:
        return "[\n" + "".join(f'  "{value}",\n' for value in values) + "]\n"

    added = ("# Generated by tools/build_extension.py.\n"
             f"platforms = {toml_list(platforms)}wheels = {toml_list(wheels)}\n")
    return "".join(lines[:first_table]) + added + "".join(lines[first_table:])


def stage(staging: str, webapp: str | None) -> None:
    """The package, its docs and (optionally) the web app: what every platform's archive holds."""
    for name, path in package_files():
        os.makedirs(os.path.dirname(os.path.join(staging, name)), exist_ok=True)
        shutil.copyfile(path, os.path.join(staging, name))
    os.makedirs(os.path.join(staging, "docs"))
    for name in DOCS:
        path = os.path.join(ROOT, "docs", name)
        if os.path.exists(path):
            shutil.copyfile(path, os.path.join(staging, "docs", name))
    if webapp:
        if not os.path.isfile(os.path.join(webapp, "index.html")):
            raise BuildError(f"--webapp {webapp} holds no built web app (index.html): run make frontend")
        shutil.copytree(webapp, os.path.join(staging, "webapp"))


def stage_platform(staging: str, platform: str, wheels: list[str]) -> None:
    """One platform's wheels and generated manifest (the rest of `staging` is shared)."""
    shutil.rmtree(os.path.join(staging, "wheels"), ignore_errors=True)
    os.makedirs(os.path.join(staging, "wheels"))
    for path in wheels:
        shutil.copyfile(path, os.path.join(staging, "wheels", os.path.basename(path)))
    wheel_names = sorted(f"./wheels/{os.path.basename(path)}" for path in wheels)
    with open(os.path.join(staging, "blender_manifest.toml"), "w", encoding="utf-8") as handle:
        handle.write(generated_manifest([platform], wheel_names))


def normalize(archive_path: str) -> None:
    """Sorted entries, one fixed time and mode: the same sources give the same bytes."""
    partial = archive_path + ".partial"
    with zipfile.ZipFile(archive_path) as source, zipfile.ZipFile(partial, "w") as target:
        for info in sorted(source.infolist(), key=lambda item: item.filename):
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            entry.compress_type = info.compress_type
            entry.create_system = 3  # Unix, so the permission bits below are honoured everywhere
            entry.external_attr = 0o100644 << 16
            target.writestr(entry, source.read(info), compresslevel=9)
    os.replace(partial, archive_path)


def run_blender_ext(*args: str) -> str:
    blender_ext, valid_tags = blender_ext_tools()
    command = [sys.executable, blender_ext, args[0], "--valid-tags", valid_tags, *args[1:]]
    finished = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    output = (finished.stdout + finished.stderr).strip()
    if finished.returncode != 0:
        raise BuildError(f"blender_ext.py {args[0]} failed:\n{output}")
    return output


def build(output_dir: str, platform_names: list[str] | None = None, *, wheel_cache: str = DEFAULT_WHEEL_CACHE,
          webapp: str | None = None, offline: bool = False) -> list[str]:
    known = {platform.name: platform for platform in PLATFORMS}
    unknown = sorted(set(platform_names or ()) - set(known))
    if unknown:
        raise BuildError(f"unknown platform {', '.join(unknown)}: expected one of {', '.join(known)}")
    platforms = [known[name] for name in platform_names] if platform_names else list(PLATFORMS)
    cache = WheelCache(wheel_cache, read_lock(), offline=offline)
    wheels: dict[str, dict[str, str]] = {}  # platform → wheels by file name (abi3 and pure ones serve both Pythons)
    for platform in platforms:
        for python in PYTHON_VERSIONS:
            for path in resolve_wheels(Target(platform, python), cache).values():
                wheels.setdefault(platform.name, {}).setdefault(os.path.basename(path), path)

    os.makedirs(output_dir, exist_ok=True)
    version = manifest_version()
    archives = []
    with tempfile.TemporaryDirectory(prefix="configurator-extension-") as scratch:
        staging = os.path.join(scratch, "configurator")
        built = os.path.join(scratch, "built")
        os.makedirs(staging)
        os.makedirs(built)
        stage(staging, webapp)
        for platform in platforms:
            # One manifest per platform, so an archive's bytes do not depend on the other platforms built.
            stage_platform(staging, platform.name, sorted(wheels[platform.name].values()))
            run_blender_ext("build", "--source-dir", staging, "--output-dir", built, "--split-platforms")
            name = f"configurator-{version}-{platform.name.replace('-', '_')}.zip"  # the packager's naming
            normalize(os.path.join(built, name))
            run_blender_ext("validate", os.path.join(built, name))
            archives.append(os.path.join(output_dir, name))
            os.replace(os.path.join(built, name), archives[-1])
    return archives


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=os.path.join(ROOT, "dist"))
    parser.add_argument("--platform", action="append", dest="platforms", metavar="NAME",
                        help=f"only this platform (repeatable): {', '.join(p.name for p in PLATFORMS)}")
    parser.add_argument("--wheel-cache", default=os.environ.get("CONFIGURATOR_WHEEL_CACHE") or DEFAULT_WHEEL_CACHE,
                        help="downloaded wheels, kept between builds (default var/wheels)")
    parser.add_argument("--webapp", help="a built web app (frontend/dist) to ship as webapp/")
    parser.add_argument("--offline", action="store_true", help="fail instead of downloading a missing wheel")
    args = parser.parse_args(argv)
    try:
        archives = build(os.path.abspath(args.output_dir), args.platforms, offline=args.offline,
                         wheel_cache=os.path.abspath(args.wheel_cache),
                         webapp=args.webapp and os.path.abspath(args.webapp))
    except BuildError as exc:
        print(f"build_extension: {exc}", file=sys.stderr)
        return 1
    for archive in archives:
        print(archive)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

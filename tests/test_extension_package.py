"""The extension as Blender installs it: `make extension`'s archives (one per platform, each with
the add-on's dependencies as wheels for CPython 3.11 and 3.13) pass Blender's validator; the
linux one, installed with `bpy.ops.extensions.package_install_files` into a throwaway user
configuration and enabled, imports every one of its modules in an interpreter that has only
`bpy` and what Blender itself ships, then runs the authoring operators (whose engine runs in a
child process found from the installed extension) and the GUI server, migrating a database with
the migrations inside the archive.

"Only what Blender ships": `python -S -s` (no site-packages, so not the venv's) with PYTHONPATH
one folder holding links to `bpy` and to the packages Blender's own Python has (numpy,
requests…: build_extension.BLENDER_SHIPS); the wheels come from the extension alone. The first
build downloads the wheels (PyPI) into var/wheels/, later ones reuse them.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import re
import sys
import textwrap
import tomllib
import zipfile

import pytest

import glb_geometry as glb
from conftest import free_port
from gltf_validation import validate_glb
from processes import ROOT, last_json_line, output_tail, run, run_python

sys.path.insert(0, os.path.join(ROOT, "tools"))
import build_extension  # noqa: E402

EXTENSION = "bl_ext.user_default.configurator"
ARCHIVE_PLATFORMS = {"linux-x64": "linux_x64", "macos-arm64": "macos_arm64", "windows-x64": "windows_x64"}
# What the add-on imports from its wheels, and where Blender's own packages must come from instead.
BUNDLED_MODULES = ("aiohttp", "aiohttp_cors", "asyncpg", "jsonschema", "pydantic", "pydantic_core",
                   "azure.storage.blob", "argon2", "jwt", "yarl", "attrs", "typing_extensions")
SHIPPED_MODULES = ("numpy", "requests", "idna")
PLATFORM_TAGS = {"linux-x64": r"(manylinux[0-9_]*_x86_64\.?)+", "macos-arm64": r"macosx_\d+_\d+_(arm64|universal2)",
                 "windows-x64": r"win_amd64"}


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("extension")
    done = run_python(os.path.join(ROOT, "tools", "build_extension.py"), "--output-dir", str(out), timeout=900)
    assert done.returncode == 0, output_tail(done)
    paths = done.stdout.split()
    return {platform: next(p for p in paths if p.endswith(f"-{suffix}.zip"))
            for platform, suffix in ARCHIVE_PLATFORMS.items()}


@pytest.fixture(scope="module")
def blender_site(tmp_path_factory) -> str:
    """A folder with `bpy` and Blender's own Python packages only (links into the venv)."""
    return build_extension.link_blender_site(str(tmp_path_factory.mktemp("blender_site")))


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("extension_templates")
    paths = {"valid": str(out / "valid.blend"), "no_product": str(out / "no_product.blend")}
    run_python("-c", f"import sys; sys.path.insert(0, {os.path.join(ROOT, 'tests')!r})\n"
               "from template_fixtures import build_no_product, build_valid\n"
               "build_valid(sys.argv[1]); build_no_product(sys.argv[2])",
               paths["valid"], paths["no_product"], check=True)
    return paths


def run_like_blender(script: str, *args: str, site: str, user_resources: str, env: dict | None = None,
                     timeout: float = 600):
    """`script` in `python -S -s` with only `site` on its path and Blender's user folders in
    `user_resources`; returns what it printed as `RESULT {json}`."""
    prelude = "import json, sys\ndef result(value):\n    print('RESULT ' + json.dumps(value), flush=True)\n"
    done = run([sys.executable, "-S", "-s", "-c", prelude + textwrap.dedent(script), *args], cwd=user_resources,
               env={"PYTHONPATH": site, "BLENDER_USER_RESOURCES": user_resources, **(env or {})}, timeout=timeout)
    assert done.returncode == 0, output_tail(done)
    return last_json_line(done, prefix="RESULT ")


def manifest_of(archive: str) -> dict:
    with zipfile.ZipFile(archive) as handle:
        return tomllib.loads(handle.read("blender_manifest.toml").decode())


# -- the archives ---------------------------------------------------------------------------
def test_every_archive_passes_blenders_validator(archives):
    blender_ext, valid_tags = build_extension.blender_ext_tools()
    for archive in archives.values():
        done = run([sys.executable, blender_ext, "validate", "--valid-tags", valid_tags, archive], timeout=120)
        output = done.stdout + done.stderr
        assert done.returncode == 0 and "Success" in output and "ERROR" not in output.upper(), output


def test_each_archive_bundles_its_platforms_wheels_for_python_311_and_313_and_not_what_blender_ships(archives):
    for platform, archive in archives.items():
        manifest = manifest_of(archive)
        generated = manifest["build"]["generated"]
        assert generated["platforms"] == [platform]
        with zipfile.ZipFile(archive) as handle:
            names = set(handle.namelist())
        wheels = sorted(name for name in names if name.startswith("wheels/"))
        assert sorted(w.removeprefix("./") for w in generated["wheels"]) == wheels
        by_package: dict[str, set[str]] = {}
        for wheel in wheels:
            package, _version, python, abi, tag = re.fullmatch(r"wheels/([^-]+)-([^-]+)-([^-]+)-([^-]+)-(.+)\.whl",
                                                               wheel).groups()
            assert tag == "any" or re.fullmatch(PLATFORM_TAGS[platform], tag), wheel
            # A compressed tag set (`py2.py3`) is universal when one of its tags is.
            universal = any(part.startswith("py3") for part in python.split("."))
            versions = {"3.11", "3.13"} if universal or abi == "abi3" \
                else {f"3.{python.removeprefix('cp3')}"}
            by_package.setdefault(package.lower(), set()).update(versions)
        # Every bundled distribution runs on both Pythons; none is one Blender already has.
        assert {package: versions for package, versions in by_package.items() if versions != {"3.11", "3.13"}} == {}
        assert {"aiohttp", "asyncpg", "pydantic_core", "jsonschema", "azure_storage_blob", "cryptography",
                "argon2_cffi_bindings", "pyjwt", "typing_extensions", "attrs"} <= set(by_package)
        assert not {"bpy", "numpy", "requests", "idna", "urllib3", "certifi", "charset_normalizer", "zstandard",
                    "cython"} & set(by_package)
        # Everything the add-on runs is inside: the child entry point, the migrations, the contract docs.
        migrations = sorted(os.listdir(os.path.join(ROOT, "configurator_addon", "db", "migrations")))
        assert {"__init__.py", "child_entry.py", "cli.py", "docs/template-contract.md",
                *(f"db/migrations/{name}" for name in migrations)} <= names
        assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_archives_are_reproducible(archives, tmp_path):
    done = run_python(os.path.join(ROOT, "tools", "build_extension.py"), "--output-dir", str(tmp_path),
                      "--platform", "linux-x64", "--offline", check=True)
    (again,) = done.stdout.split()
    assert os.path.basename(again) == os.path.basename(archives["linux-x64"]) == "configurator-0.1.0-linux_x64.zip"
    with open(archives["linux-x64"], "rb") as first, open(again, "rb") as second:
        assert first.read() == second.read()
    with zipfile.ZipFile(again) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# -- installed as Blender does it ------------------------------------------------------------------
INSTALL_AND_USE = """
import importlib, os, time
import bpy

archive, templates, output, database, port = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
started = time.perf_counter()
bpy.ops.extensions.package_install_files(filepath=archive, repo="user_default", enable_on_install=True)
install_seconds = time.perf_counter() - started
package = "bl_ext.user_default.configurator"
enabled = package in bpy.context.preferences.addons

folder = os.path.dirname(sys.modules[package].__file__)
modules, failures = [], {}
for directory, dirs, files in os.walk(folder):
    dirs[:] = sorted(d for d in dirs if os.path.isfile(os.path.join(directory, d, "__init__.py")))
    for name in sorted(files):
        if name.endswith(".py"):
            relative = os.path.relpath(os.path.join(directory, name), folder)[:-3].replace(os.sep, ".")
            modules.append(package + ("" if relative == "__init__" else "." + relative.removesuffix(".__init__")))
for name in modules:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failures[name] = repr(exc)
origins = {name: importlib.import_module(name).__file__ for name in json.loads(sys.argv[6])}

settings_module = importlib.import_module(package + ".settings")
migrator = importlib.import_module(package + ".db.migrator")
engine_process = importlib.import_module(package + ".engine_process")

# The authoring operators, whose engine runs in a child process.
bpy.ops.wm.open_mainfile(filepath=templates["valid"])
inspected = sorted(bpy.ops.configurator.inspect_template())
inspection = json.loads(bpy.context.window_manager.configurator_inspection)
exported = sorted(bpy.ops.configurator.export_glb(filepath=output))
bpy.ops.wm.open_mainfile(filepath=templates["no_product"])
try:
    bpy.ops.configurator.inspect_template()
    contract_error = None
except RuntimeError as exc:  # background mode raises the operator's error reports
    contract_error = str(exc)

# The server in Blender, refused while it would listen beyond this machine with online access off.
os.environ.update({"DATABASE_URL": database, "HOST": "0.0.0.0", "PORT": port, "LOG_FORMAT": "text"})
try:
    bpy.ops.configurator.server_start()
    refused = None
except RuntimeError as exc:
    refused = str(exc)
os.environ["HOST"] = "127.0.0.1"
served = sorted(bpy.ops.configurator.server_start())
import threading, urllib.request
health = {}
def ask():
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=30) as response:
        health["status"] = response.status
thread = threading.Thread(target=ask)
thread.start()
server_control = importlib.import_module(package + ".ui.server_control")
while thread.is_alive():  # what Blender's timer does in the GUI
    server_control.drain_queue()
    time.sleep(0.01)
bpy.ops.configurator.server_stop()

result({
    "install_seconds": install_seconds, "enabled": enabled, "modules": modules, "failures": failures,
    "origins": origins, "sys_path": sys.path, "extension_folder": folder,
    "var_dir": settings_module.Settings.from_env({}).var_dir,
    "user_folder": bpy.utils.extension_path_user(package),
    "migrations": str(migrator.DEFAULT_DIRECTORY), "child_command": engine_process.child_command(["inspect", "x"]),
    "inspected": inspected, "parameters": [p["key"] for p in inspection["inspection"]["parameters"]],
    "exported": exported, "contract_error": contract_error, "refused": refused, "served": served, "health": health,
    "online_access": bpy.app.online_access,
})
"""


def test_installed_extension_works_with_only_what_blender_ships(archives, blender_site, templates, tmp_path,
                                                                   empty_database):
    user_resources = tmp_path / "blender"
    user_resources.mkdir()
    output = tmp_path / "exported.glb"
    found = run_like_blender(INSTALL_AND_USE, archives["linux-x64"], json.dumps(templates), str(output),
                             empty_database, str(free_port()), json.dumps([*BUNDLED_MODULES, *SHIPPED_MODULES]),
                             site=blender_site, user_resources=str(user_resources))
    print(f"install+enable of the linux archive: {found['install_seconds']:.2f} s")
    assert found["enabled"]
    wheels_dir = os.path.join(str(user_resources), "extensions", ".local", "lib", "python3.11", "site-packages")
    # Nothing of the venv was reachable: its site-packages are not on the path.
    venv_site = os.path.dirname(os.path.dirname(importlib.metadata.distribution("aiohttp").locate_file("aiohttp/x")))
    assert venv_site not in found["sys_path"] and wheels_dir in found["sys_path"]

    assert found["failures"] == {}
    assert len(found["modules"]) > 80 and f"{EXTENSION}.server.app" in found["modules"]
    for name in BUNDLED_MODULES:
        assert found["origins"][name].startswith(wheels_dir + os.sep), (name, found["origins"][name])
    for name in SHIPPED_MODULES:
        assert found["origins"][name].startswith(blender_site + os.sep), (name, found["origins"][name])

    # Data under Blender's folder for the extension; migrations and the child entry point inside it.
    assert found["var_dir"] == found["user_folder"] and os.path.isdir(found["var_dir"])
    assert found["migrations"] == os.path.join(found["extension_folder"], "db", "migrations")
    command = found["child_command"]
    assert command[:3] == [sys.executable, "-s", "-S"]
    assert command[3] == os.path.join(found["extension_folder"], "child_entry.py")

    # The operators, their engine in a child process started from the installed extension.
    assert found["inspected"] == ["FINISHED"]
    assert {"width", "height", "handle"} <= set(found["parameters"])
    assert found["exported"] == ["FINISHED"]
    data = output.read_bytes()
    assert "Knob Handle" in glb.names(data, "nodes")
    assert validate_glb(data)["issues"]["numErrors"] == 0
    assert found["contract_error"] and "cfg_product" in found["contract_error"]

    # The server: refused on every address while online access is off, served on localhost.
    assert found["online_access"] is False
    assert found["refused"] and "online access is off" in found["refused"] and "HOST" in found["refused"]
    assert found["served"] == ["FINISHED"] and found["health"] == {"status": 200}


# -- child processes -----------------------------------------------------------------------------
def test_inside_blender_the_child_is_that_blender_running_the_packaged_entry_point(templates, tmp_path):
    from configurator_addon import engine_process

    command = engine_process.child_command(["inspect", templates["valid"]], blender_path="/opt/blender/blender")
    entry = os.path.join(ROOT, "configurator_addon", "child_entry.py")
    assert command[:8] == ["/opt/blender/blender", "--background", "--factory-startup", "--python-exit-code", "1",
                           "--python", entry, "--"]
    assert command[-2:] == ["inspect", templates["valid"]] and "--sys-path" in command
    # Run the entry point as Blender runs a --python script: the file's code as __main__, with
    # Blender's own options before `--` and nothing of ours on the path.
    answer = tmp_path / "answer.json"
    blender_argv = [*command[:-2], "inspect", templates["valid"], "--answer", str(answer)]
    run_python("-c", "import runpy, sys\n"
               f"sys.argv = {blender_argv!r}\n"
               f"sys.path = [p for p in sys.path if p not in ('', {ROOT!r})]\n"
               f"runpy.run_path({entry!r}, run_name='__main__')", check=True)
    inspection = json.loads(answer.read_text())
    assert inspection["product_name"] == "Test Box"


# -- Blender's online access ---------------------------------------------------------------------
def test_with_online_access_off_only_what_stays_on_this_machine_is_allowed():
    import bpy

    from configurator_addon.settings import Settings
    from configurator_addon.ui import online_access

    assert bpy.app.online_access is False  # the bpy module starts with it off, as Blender does
    local = Settings(host="127.0.0.1", database_url="postgresql://u:p@w@127.0.0.1:5432/db",
                     azure_storage_connection_string="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                     "AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
                     smtp_url="smtp://localhost:25")
    assert online_access.refusal_for_server(local) is None
    assert online_access.refusal_for_server(Settings(host="::1", database_url="postgresql:///db?host=/run/pg")) is None
    for remote, named in [({"host": "0.0.0.0"}, "HOST"), ({"host": ""}, "HOST"),
                          ({"database_url": "postgresql://u:p@db.example.com/db"}, "DATABASE_URL"),
                          ({"database_url": "postgresql://u@127.0.0.1,db.example.com/db"}, "DATABASE_URL"),
                          ({"azure_storage_connection_string": "AccountName=a;AccountKey=a2V5"},
                           "AZURE_STORAGE_CONNECTION_STRING"),
                          ({"smtp_url": "smtps://mail.example.com"}, "SMTP_URL")]:
        refusal = online_access.refusal_for_server(Settings(**{"host": "127.0.0.1", **remote}))
        assert refusal and named in refusal and "Allow Online Access" in refusal, remote
    assert online_access.refusal_for_url("http://localhost:8000/api/v1/products") is None
    assert "configurator.example.com" in online_access.refusal_for_url("https://configurator.example.com/api/v1")

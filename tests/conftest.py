"""Shared fixtures: real bpy in the test process, templates built in subprocesses (`processes.py`)."""
from __future__ import annotations

import json
import os
import socket
import sys

import pytest

from processes import ROOT, last_json_line, run_python

sys.path.insert(0, ROOT)

# Fixtures for real services live beside the tests that need them.
pytest_plugins = ["fixtures_db", "fixtures_storage", "fixtures_api"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def marker_dir(tmp_path_factory):
    """Where a template's malicious script would write if Python ever ran it."""
    return str(tmp_path_factory.mktemp("markers"))


@pytest.fixture(scope="session")
def fixture_templates(tmp_path_factory, marker_dir) -> dict[str, str]:
    out = tmp_path_factory.mktemp("fixture_templates")
    done = run_python(os.path.join(ROOT, "tests", "template_fixtures.py"), str(out), marker_dir, check=True)
    return last_json_line(done)


@pytest.fixture(scope="session")
def sample_catalog(tmp_path_factory) -> list[dict]:
    """The sample products, built fresh from `templates/` scripts into a temporary folder."""
    out = tmp_path_factory.mktemp("samples")
    run_python(os.path.join(ROOT, "templates", "build_templates.py"), str(out), "--no-bake", check=True)
    with open(os.path.join(ROOT, "templates", "catalog.json"), encoding="utf-8") as handle:
        catalog = json.load(handle)
    for sample in catalog:
        sample["path"] = os.path.join(str(out), sample["blend"])
        assert os.path.isfile(sample["path"]), sample["path"]
    return catalog


@pytest.fixture(scope="session")
def baked_samples(sample_catalog, tmp_path_factory) -> dict[str, str]:
    """slug -> the sample's baked template (the engine's `bake` in a process of its own, as a
    publish runs it; 128 px tiles unless a material says, to keep the tests short)."""
    baked = {}
    for sample in sample_catalog:
        folder = tmp_path_factory.mktemp(f"bake-{sample['slug']}")
        template = folder / "template.blend"
        template.write_bytes(open(sample["path"], "rb").read())
        run_python("server_entry.py", "bake", str(template), "--resolution=128", check=True)
        baked[sample["slug"]] = str(folder / "baked.blend")
    return baked


@pytest.fixture(scope="session")
def engine():
    from configurator_addon.engine.blender.generation import Engine

    return Engine()

"""The engine process that evaluates untrusted templates is confined (docs/security.md): it
reads only Python, Blender and its templates folder, writes only its scratch folder, opens
no TCP connection and holds no secret; its time, memory and geometry are limited from
outside. Each confinement test runs the same thing unconfined beside it, so it can fail."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import struct
import sys
import textwrap
import zlib

import pytest

import processes
from configurator_addon.engine_process import run_engine_async
from configurator_addon.errors import (
    EngineProcessError,
    GeometryLimitExceeded,
    JobTimedOut,
    MemoryLimitExceeded,
    TemplateContractError,
    TemplateUnreadableError,
)
from configurator_addon.process_memory import memory_bytes
from configurator_addon.sandbox.sandboxed_engine import SandboxedEngine
from configurator_addon.services.template_inspection import TemplateInspector
from configurator_addon.settings import Settings

SECRET = b"SECRET-MARKER-42"


def _png_with(text: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))
    pixels = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00" + text) + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def secret_png(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("outside") / "secret.png"
    path.write_bytes(_png_with(SECRET))
    return str(path)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory, secret_png) -> dict[str, str]:
    out = tmp_path_factory.mktemp("bombs")
    done = processes.run_python(os.path.join(processes.ROOT, "tests", "bomb_templates.py"), str(out), secret_png,
                                check=True, env={"PYTHONPATH": os.path.join(processes.ROOT, "tests")})
    return processes.last_json_line(done)


class UncheckedEngine(SandboxedEngine):
    """A test-only build of the engine process: inspection's self-containment rules are off,
    so a template that names an outside file gets as far as Blender."""

    def command(self, args: list[str]) -> list[str]:
        code = textwrap.dedent(f"""\
            import sys
            sys.path.insert(0, {processes.ROOT!r})
            import configurator_addon.engine.blender.inspection as inspection
            inspection.self_contained_errors = lambda *args, **kwargs: []
            from configurator_addon.cli import run
            run(sys.argv[sys.argv.index("--") + 1:])
        """)
        return [sys.executable, "-c", code, "--", *args]


def _settings(tmp_path, **overrides) -> Settings:
    return Settings(var_dir=str(tmp_path / "var"), **overrides)


def _template_in(folder, path: str) -> str:
    os.makedirs(folder, exist_ok=True)
    return shutil.copy(path, os.path.join(folder, os.path.basename(path)))


@pytest.mark.parametrize("sandbox", [True, False], ids=["confined", "unconfined"])
async def test_an_image_outside_the_template_cannot_be_read_by_the_engine(tmp_path, bombs, sandbox):
    folder = str(tmp_path / "templates")
    engine = UncheckedEngine(_settings(tmp_path, engine_sandbox=sandbox), folder)
    try:
        result = await engine.generate(_template_in(folder, bombs["outside_image"]), {})
    finally:
        await engine.close()
    assert result.glb[:4] == b"glTF"
    # Unconfined, Blender embeds the outside file byte for byte; confined, it cannot open it.
    assert (SECRET in result.glb) is not sandbox


@pytest.mark.parametrize("sandbox", [True, False], ids=["confined", "unconfined"])
async def test_a_template_outside_the_templates_folder_cannot_be_opened(tmp_path, fixture_templates, sandbox):
    engine = SandboxedEngine(_settings(tmp_path, engine_sandbox=sandbox), str(tmp_path / "templates"))
    try:
        if sandbox:
            with pytest.raises(TemplateUnreadableError):
                await engine.generate(fixture_templates["valid"], {})
        else:
            assert (await engine.generate(fixture_templates["valid"], {})).glb[:4] == b"glTF"
    finally:
        await engine.close()


async def test_the_engine_process_holds_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:hunter2@db/configurator")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountKey=hunter2")
    engine = SandboxedEngine(_settings(tmp_path), str(tmp_path / "templates"))
    await engine.start()
    try:
        with open(f"/proc/{engine.pid}/environ", "rb") as handle:
            environment = dict(item.split(b"=", 1) for item in handle.read().split(b"\0") if item)
    finally:
        await engine.close()
    assert b"hunter2" not in b"".join(environment.values())
    assert set(environment) == {b"PATH", b"LANG", b"HOME", b"TMPDIR", b"CONFIGURATOR_SCRATCH_DIR"}


CONFINED_PROBE = """\
import json, os, socket, sys
sys.path.insert(0, {root!r})
from configurator_addon.sandbox import landlock
readable, writable, outside, port, confine = {readable!r}, {writable!r}, {outside!r}, {port!r}, {confine!r}
if confine:
    landlock.confine([readable], [writable])
def attempt(action):
    try:
        action()
        return "allowed"
    except PermissionError:
        return "denied"
def write(path):
    with open(path, "w") as handle:
        handle.write("x")
results = {{
    "read inside": attempt(lambda: open(os.path.join(readable, "inside.txt")).read()),
    "read outside": attempt(lambda: open(outside).read()),
    "read /etc/passwd": attempt(lambda: open("/etc/passwd").read()),
    "write scratch": attempt(lambda: write(os.path.join(writable, "out.txt"))),
    "write templates": attempt(lambda: write(os.path.join(readable, "out.txt"))),
    "connect tcp": attempt(lambda: socket.create_connection(("127.0.0.1", port), timeout=5).close()),
}}
print(json.dumps(results))
"""


@pytest.mark.parametrize("confine", [True, False], ids=["confined", "unconfined"])
def test_landlock_confines_files_and_tcp(tmp_path, confine):
    readable, writable = tmp_path / "templates", tmp_path / "scratch"
    readable.mkdir()
    writable.mkdir()
    (readable / "inside.txt").write_text("template")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        code = CONFINED_PROBE.format(root=processes.ROOT, readable=str(readable), writable=str(writable),
                                     outside=str(outside), port=listener.getsockname()[1], confine=confine)
        done = processes.run([processes.PYTHON, "-c", code], timeout=60)
    results = json.loads(done.stdout.strip().splitlines()[-1])
    expected = "denied" if confine else "allowed"
    assert results == {"read inside": "allowed", "read outside": expected, "read /etc/passwd": expected,
                       "write scratch": "allowed", "write templates": expected, "connect tcp": expected}


async def test_limits_stop_bombs_and_the_engine_goes_on(tmp_path, bombs, fixture_templates):
    # Each limit is tried where only it can end the job, so a busy machine cannot make the
    # other one fire first: the memory bomb under a time limit it never reaches, the slow box
    # (detail 9: about 4 s of Blender work in 1.6 GB here) under a memory limit it never reaches.
    limits = {"engine_memory_limit_mb": 2048, "geometry_limit_vertices": 2_000_000,
              "geometry_limit_faces": 2_000_000}
    folder = str(tmp_path / "templates")
    doubling = _template_in(folder, bombs["doubling"])
    slow = _template_in(folder, fixture_templates["slow"])
    engine = SandboxedEngine(_settings(tmp_path, **limits, job_timeout_seconds=120), folder)
    try:
        small = await engine.generate(doubling, {"doublings": 3})  # 81,608 vertices: within the budget
        assert small.geometry["vertices"] == 101 * 101 * 8
        with pytest.raises(GeometryLimitExceeded) as geometry:
            await engine.generate(doubling, {"doublings": 8})  # 2.6 million vertices
        assert geometry.value.errors[0].location == "vertices"
        with pytest.raises(MemoryLimitExceeded):
            await engine.generate(doubling, {"doublings": 40})
        assert engine.last_peak_memory_bytes < (2048 + 512) << 20  # stopped near its limit
        again = await engine.generate(doubling, {"doublings": 1})  # a new engine process, same answers
        assert again.geometry["vertices"] == 101 * 101 * 2
    finally:
        await engine.close()
    engine = SandboxedEngine(_settings(tmp_path, **limits, job_timeout_seconds=1), folder)
    try:
        with pytest.raises(JobTimedOut):
            await engine.generate(slow, {"detail": 9})
    finally:
        await engine.close()


async def test_an_upload_whose_defaults_grow_without_bound_is_stopped_at_the_memory_limit(tmp_path, bombs):
    """Inspection runs on the API's host: a template whose default configuration is a memory
    bomb is refused with INSPECTION_MEMORY once its process passes ENGINE_MEMORY_LIMIT_MB, under
    a time limit it never reaches, and the child is gone."""
    settings = _settings(tmp_path, engine_memory_limit_mb=1024, inspection_timeout_seconds=300)
    inspector = TemplateInspector(settings)
    with open(bombs["doubling_by_default"], "rb") as handle:
        template = handle.read()
    children_before = _children()
    with pytest.raises(TemplateContractError) as refused:
        await inspector.inspect(template)
    assert [(e.code, e.location) for e in refused.value.errors] == [("INSPECTION_MEMORY", "template")]
    assert "1024 MiB" in refused.value.errors[0].message
    assert all(memory_bytes(pid) == 0 for pid in _children() - children_before)
    with open(bombs["doubling"], "rb") as handle:  # the same template with small defaults inspects
        assert "doublings" in (await inspector.inspect(handle.read()))["schema"]["properties"]


async def test_a_cancelled_engine_request_stops_its_child(tmp_path, fixture_templates):
    """A server that stops cancels its renders and inspections: their Blender goes with them."""
    children_before = _children()
    request = asyncio.ensure_future(run_engine_async(
        ["generate", fixture_templates["slow"], "--config", json.dumps({"detail": 9}), "-o", str(tmp_path / "x.glb")],
        timeout=300))
    while not (started := _children() - children_before):  # the child is there
        await asyncio.sleep(0.02)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert all(memory_bytes(pid) == 0 for pid in started)
    assert not (tmp_path / "x.glb").exists()


def _children() -> set[int]:
    with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as handle:
        return {int(pid) for pid in handle.read().split()}


async def test_a_crashed_engine_fails_its_job_and_is_replaced(tmp_path, fixture_templates):
    folder = str(tmp_path / "templates")
    slow = _template_in(folder, fixture_templates["slow"])
    engine = SandboxedEngine(_settings(tmp_path), folder)
    await engine.start()
    crashed_pid = engine.pid
    try:
        job = asyncio.ensure_future(engine.generate(slow, {"detail": 9}))
        await asyncio.sleep(0.5)
        os.kill(crashed_pid, signal.SIGKILL)
        with pytest.raises(EngineProcessError) as crash:
            await job
        assert crash.value.retry_limit == 1  # a template that crashes Blender will do it again
        assert (await engine.generate(slow, {"detail": 0})).glb[:4] == b"glTF"
        assert engine.pid not in (None, crashed_pid)
    finally:
        await engine.close()


@pytest.mark.parametrize("confine", [True, False], ids=["confined", "unconfined"])
def test_a_confined_inspection_reads_only_its_uploads_folder(tmp_path, fixture_templates, confine):
    """The upload's folder holds a link to a template elsewhere: a confined inspection cannot
    follow it out, an unconfined one can."""
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "template.blend").symlink_to(fixture_templates["valid"])
    answer = upload / "answer.json"
    processes.run([processes.PYTHON, os.path.join(processes.ROOT, "server_entry.py"), "inspect",
                   str(upload / "template.blend"), "--answer", str(answer), *(["--confine"] if confine else [])],
                  env={"CONFIGURATOR_SCRATCH_DIR": str(upload)}, timeout=120)
    found = json.loads(answer.read_text())
    if confine:
        assert found["error"]["code"] == "TEMPLATE_UNREADABLE", found
    else:
        assert found["schema"]["title"] == "Test Box", found

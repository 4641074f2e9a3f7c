"""Run the engine on a snapshot of the open file, in a child Blender process.

The engine appends a template into the Blender it runs in. Inside the artist's session that
would collide with the very datablocks the snapshot was saved from (Blender renames the
appended "Knob" to "Knob.001", so variant and material names no longer match), switch the
window's scene and change preferences. A child process starts from an empty file, sees the
template exactly as the server will, and leaves the artist's session untouched.

Parent side: `inspect_open_file`, `export_open_file`. Child side: `child_main`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import bpy

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STDERR_TAIL_CHARS = 2000


class EngineProcessError(RuntimeError):
    """The child process did not produce a result (crash, time limit, missing dependency)."""


def inspect_open_file(timeout: float) -> dict:
    """`{"inspection": {...}}` or `{"error": {...}}` for the file open in this Blender."""
    return _run_on_snapshot({"command": "inspect"}, timeout)


def export_open_file(output: str, *, draco: bool, timeout: float) -> dict:
    """Export the open file with its default configuration to `output`.
    Returns `{"output", "bytes", "warnings", "timings"}` or `{"error": {...}}`."""
    request = {"command": "generate", "config": {}, "draco": draco, "output": os.path.abspath(output)}
    return _run_on_snapshot(request, timeout)


def _run_on_snapshot(request: dict, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="configurator-") as scratch:
        template = os.path.join(scratch, "template.blend")
        bpy.ops.wm.save_as_mainfile(filepath=template, copy=True, compress=False)
        request_path = os.path.join(scratch, "request.json")
        result_path = os.path.join(scratch, "result.json")
        with open(request_path, "w", encoding="utf-8") as handle:
            json.dump({**request, "template": template, "result": result_path}, handle)
        try:
            finished = subprocess.run(_child_command(request_path), stdin=subprocess.DEVNULL,
                                      capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EngineProcessError(f"the engine took longer than {timeout:g} s and was stopped") from None
        if not os.path.isfile(result_path):
            raise EngineProcessError(
                f"the engine process ended without a result (exit code {finished.returncode}):\n"
                + finished.stderr[-STDERR_TAIL_CHARS:].strip())
        with open(result_path, encoding="utf-8") as handle:
            return json.load(handle)


def _child_command(request_path: str) -> list[str]:
    # The child imports this package by its folder name ("configurator" when installed as an
    # extension). Our paths go after the child's own, which must win: they decide which `bpy`
    # is imported. Ours add what Blender set up here only, e.g. extension dependencies.
    code = (
        "import sys, importlib\n"
        f"sys.path.insert(0, {os.path.dirname(PACKAGE_DIR)!r})\n"
        f"sys.path += [path for path in {sys.path!r} if path not in sys.path]\n"
        f"importlib.import_module({os.path.basename(PACKAGE_DIR) + '.ui.engine_process'!r})"
        f".child_main({request_path!r})\n"
    )
    if bpy.app.binary_path:  # a Blender install: the same Blender, headless, without user startup
        return [bpy.app.binary_path, "--background", "--factory-startup", "--python-exit-code", "1",
                "--python-expr", code]
    return [sys.executable, "-c", code]  # the `bpy` module in plain Python


def child_main(request_path: str) -> None:
    from ..engine.blender.generation import Engine
    from ..errors import ConfiguratorError

    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    try:
        engine = Engine()
        if request["command"] == "inspect":
            result = {"inspection": engine.inspect(request["template"]).as_dict()}
        else:
            generated = engine.generate(request["template"], request["config"], draco=request["draco"])
            with open(request["output"], "wb") as handle:
                handle.write(generated.glb)
            result = {"output": request["output"], "bytes": len(generated.glb),
                      "warnings": generated.warnings, "timings": generated.timings}
    except ConfiguratorError as exc:
        result = {"error": exc.as_dict()}
    with open(request["result"], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    sys.stdout.flush()
    sys.stderr.flush()
    # Blender's own shutdown is slow and has nothing left to do for us.
    os._exit(0)


def error_lines(error: dict) -> list[str]:
    """Human lines for an engine error: the summary, then one line per problem and where it is."""
    lines = [error.get("detail") or error.get("title") or "the engine failed"]
    for problem in error.get("errors", []):
        where = problem.get("location") or problem.get("pointer")
        lines.append(f"{where}: {problem['message']}" if where else problem["message"])
    return lines

"""The one way to run Configurator in a child process: upload inspection, the authoring
operators and supervised workers all start it here.

`child_command(args)` builds the command line: a Blender binary (`BLENDER_PATH`, or the
Blender this code runs in) as `blender --background --factory-startup --python-expr … --
ARGS`, else this Python with the `bpy` module. The child imports this package by its folder
name (an installed extension's folder is not on any path) and runs `cli.run(ARGS)`.

`run_engine(args)` (and `run_engine_async`) carry one request and its answer: the child
writes the command's JSON answer to a file named by `--answer` (Blender prints its own lines
on stdout, so stdout cannot carry it). An answer holding an error is raised here as the
error's own `ConfiguratorError` class; no answer at all is `EngineProcessError`.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile

from .errors import ConfiguratorError, EngineProcessError, EngineTimedOut

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
STDERR_TAIL_CHARS = 2000

# The child puts our package's parent first, then adds what this process could import and
# it cannot (under Blender, e.g. the extension's bundled dependencies). Its own paths come
# before ours: they decide which `bpy` is imported.
_CHILD_CODE = """\
import importlib, sys
sys.path.insert(0, {parent!r})
sys.path += [path for path in {paths!r} if path not in sys.path]
arguments = sys.argv[sys.argv.index("--") + 1:]
importlib.import_module({package!r} + ".cli").run(arguments)
"""


def _running_blender() -> str | None:
    """The binary of the Blender this code runs in; None with the `bpy` module (or no bpy)."""
    bpy = sys.modules.get("bpy")
    return getattr(getattr(bpy, "app", None), "binary_path", None) or None


def child_command(args: list[str], blender_path: str | None = None) -> list[str]:
    code = _CHILD_CODE.format(parent=os.path.dirname(PACKAGE_DIR), paths=sys.path,
                              package=os.path.basename(PACKAGE_DIR))
    blender = blender_path or _running_blender()
    if blender:
        return [blender, "--background", "--factory-startup", "--python-exit-code", "1",
                "--python-expr", code, "--", *args]
    return [sys.executable, "-c", code, "--", *args]


@contextlib.contextmanager
def _answer_file():
    with tempfile.TemporaryDirectory(prefix="configurator-answer-") as folder:
        yield os.path.join(folder, "answer.json")


def _read_answer(path: str, exit_code: int, stderr: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            answer = json.load(handle)
    except (OSError, ValueError):
        raise EngineProcessError(f"the engine process ended without an answer (exit code {exit_code}):\n"
                                 + stderr[-STDERR_TAIL_CHARS:].strip()) from None
    if "error" in answer:
        raise ConfiguratorError.from_dict(answer["error"])
    return answer


def run_engine(args: list[str], *, timeout: float, blender_path: str | None = None) -> dict:
    """Run one command (`inspect PATH`, `generate PATH …`) in a child and return its answer."""
    with _answer_file() as answer:
        try:
            finished = subprocess.run(child_command([*args, "--answer", answer], blender_path),
                                      stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EngineTimedOut(f"the engine took longer than {timeout:g} s and was stopped") from None
        return _read_answer(answer, finished.returncode, finished.stderr)


async def run_engine_async(args: list[str], *, timeout: float, blender_path: str | None = None,
                           env: dict[str, str] | None = None) -> dict:
    """`run_engine` for the event loop; `env` replaces the child's whole environment."""
    with _answer_file() as answer:
        process = await asyncio.create_subprocess_exec(
            *child_command([*args, "--answer", answer], blender_path), env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise EngineTimedOut(f"the engine took longer than {timeout:g} s and was stopped") from None
        return _read_answer(answer, process.returncode, stderr.decode(errors="replace"))

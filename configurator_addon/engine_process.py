"""The one way to run Configurator in a child process: upload inspection, the authoring
operators and supervised workers all start it here.

`child_command(args)` builds the command line. Inside Blender (or with `BLENDER_PATH`) it is
that Blender binary, `blender --background --factory-startup --python child_entry.py -- ARGS`;
with the `bpy` module (the service run from the repository) it is this Python, with the
interpreter flags it runs under (`-S`, `-s`, `-I`…), `python child_entry.py -- ARGS`.
`child_entry.py` sits inside the package, so an installed extension carries it; it imports the
package by its folder name and is handed this process's `sys.path` (`--sys-path DIR`…), which
holds what the child would lack: an extension's wheels (Blender installs them into
`extensions/.local/lib/python3.X/site-packages`), the `bpy` module's folder.

`run_engine(args)` (and `run_engine_async`) carry one request and its answer: the child
writes the command's JSON answer to a file named by `--answer` (Blender prints its own lines
on stdout, so stdout cannot carry it). An answer holding an error is raised here as the
error's own `ConfiguratorError` class; no answer at all is `EngineProcessError`.

With `memory_limit_bytes`, `run_engine_async` watches the child's size and stops it past the
limit (`MemoryLimitExceeded`), the kernel's limit on its heap at four times that as the
backstop: an upload's inspection runs on the API's host, where a template whose defaults grow
without bound must not take the host down.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile

from .errors import ConfiguratorError, EngineProcessError, EngineTimedOut, MemoryLimitExceeded
from .process_memory import memory_bytes

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
CHILD_ENTRY = os.path.join(PACKAGE_DIR, "child_entry.py")
STDERR_TAIL_CHARS = 2000
MEMORY_SAMPLE_SECONDS = 0.02  # as the worker samples its engine
HEAP_BACKSTOP_FACTOR = 4


def _running_blender() -> str | None:
    """The binary of the Blender this code runs in; None with the `bpy` module (or no bpy)."""
    bpy = sys.modules.get("bpy")
    return getattr(getattr(bpy, "app", None), "binary_path", None) or None


def _interpreter_flags() -> list[str]:
    """The flags of this Python a child Python must share: one started with `-S -s` (no site
    packages) would otherwise give its child the very packages it was kept from."""
    flags = sys.flags
    if flags.isolated:
        return ["-I", *(["-S"] if flags.no_site else [])]
    return [option for option, on in (("-E", flags.ignore_environment), ("-s", flags.no_user_site),
                                      ("-S", flags.no_site)) if on]


def child_command(args: list[str], blender_path: str | None = None) -> list[str]:
    paths = [part for path in sys.path if path and os.path.isabs(path) for part in ("--sys-path", path)]
    blender = blender_path or _running_blender()
    if blender:
        return [blender, "--background", "--factory-startup", "--python-exit-code", "1",
                "--python", CHILD_ENTRY, "--", *paths, *args]
    return [sys.executable, *_interpreter_flags(), CHILD_ENTRY, "--", *paths, *args]


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
                           env: dict[str, str] | None = None, memory_limit_bytes: int | None = None) -> dict:
    """`run_engine` for the event loop; `env` replaces the child's whole environment."""
    with _answer_file() as answer:
        process = await asyncio.create_subprocess_exec(
            *child_command([*args, "--answer", answer], blender_path), env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        watch = None
        if memory_limit_bytes:
            _limit_heap(process.pid, HEAP_BACKSTOP_FACTOR * memory_limit_bytes)
            watch = asyncio.create_task(_watch_memory(process, memory_limit_bytes))
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            raise EngineTimedOut(f"the engine took longer than {timeout:g} s and was stopped") from None
        finally:
            if watch is not None:
                watch.cancel()
            if process.returncode is None:  # timed out, or the caller was cancelled (a server stopping)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await asyncio.shield(process.wait())
        if watch is not None and not watch.cancelled() and watch.done() and watch.result():
            raise MemoryLimitExceeded(f"the engine process grew past {memory_limit_bytes >> 20} MiB and was stopped")
        return _read_answer(answer, process.returncode, stderr.decode(errors="replace"))


def _limit_heap(pid: int, limit: int) -> None:
    """The kernel's limit on the child's heap (Linux; elsewhere the watch alone)."""
    if hasattr(resource, "prlimit"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            resource.prlimit(pid, resource.RLIMIT_DATA, (limit, limit))


async def _watch_memory(process: asyncio.subprocess.Process, limit: int) -> bool:
    """True once the child grew past `limit` and was killed; returns False when it ends."""
    while process.returncode is None:
        if memory_bytes(process.pid) > limit:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            return True
        await asyncio.sleep(MEMORY_SAMPLE_SECONDS)
    return False

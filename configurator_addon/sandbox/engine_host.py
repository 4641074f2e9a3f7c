"""The engine process: a warm Blender that evaluates untrusted templates for one worker.

The worker starts it (`sandbox/sandboxed_engine.py`) with two pipes and a scrubbed
environment. It imports Blender and the engine, then confines itself for good
(`landlock.confine`): from then on it can read only Python, Blender and its templates
folder, write only its scratch folder, and open no TCP connection. It holds no secret: no
database URL, no storage key, not even the worker's environment. It dies with its worker.

Requests arrive as messages (`protocol.py`): `generate` (with `draco` or `morph`, or
`format: "usdz"`) answers `result` (with the GLB, or the USDZ, as payload; a morph GLB's
ranges in `result.morph`) or `error`;
before each stage it asks the worker whether to go on (a cancelled job stops there).
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys

from ..engine_process import PACKAGE_DIR
from ..errors import ConfiguratorError, GenerationError, JobCancelled
from . import landlock
from .protocol import read_message, write_message

_PR_SET_PDEATHSIG = 1
SYSTEM_LIBRARIES = ("/usr", "/lib", "/lib64", "/dev/null", "/dev/urandom")


def add_arguments(parser) -> None:
    parser.add_argument("--fd-in", type=int, required=True, help="pipe the requests arrive on")
    parser.add_argument("--fd-out", type=int, required=True, help="pipe the answers leave by")
    parser.add_argument("--read", action="append", default=[], help="a folder the engine may read (templates)")
    parser.add_argument("--write", action="append", default=[], help="a folder the engine may write (scratch)")
    parser.add_argument("--private", action="append", default=[],
                        help="a folder that must stay unreadable even if a library path contains it")
    parser.add_argument("--heap-limit-mb", type=int, default=0, help="the kernel's limit of the heap (0: none)")
    parser.add_argument("--max-vertices", type=int, required=True)
    parser.add_argument("--max-faces", type=int, required=True)
    parser.add_argument("--niceness", type=int, default=0,
                        help="yield the CPU to the API and database beside it (heavy jobs must not slow them)")
    parser.add_argument("--no-sandbox", action="store_true", help="run unconfined (machines without Landlock)")


def readable_paths(extra: list[str], private: list[str]) -> list[str]:
    """What the engine needs to read after it has started: Python, Blender (its scripts and
    data files load lazily), this package, system libraries, and `extra`. A path that
    contains a private folder (the project folder holding `var/`, say) is left out."""
    import bpy

    paths = {p for p in sys.path if os.path.isabs(p) and os.path.isdir(p)}
    paths.discard(os.path.dirname(PACKAGE_DIR))
    paths |= {PACKAGE_DIR, os.path.dirname(os.path.abspath(bpy.__file__)), *SYSTEM_LIBRARIES}
    if bpy.app.binary_path:
        paths.add(os.path.dirname(bpy.app.binary_path))
    secrets = [os.path.abspath(p) for p in private]
    allowed = [p for p in paths
               if not any(s == p or s.startswith(p.rstrip(os.sep) + os.sep) for s in secrets)]
    return sorted(allowed) + [os.path.abspath(p) for p in extra]


def confine(args) -> int:
    """Restrict this process as the arguments say; the Landlock ABI used (0: unconfined)."""
    if args.no_sandbox:
        return 0
    return landlock.confine(readable_paths(args.read, args.private), [os.path.abspath(p) for p in args.write])


def confine_to_template(template: str, answer: str | None) -> int:
    """For one inspection: read the template's folder (also its scratch), write the answer's."""
    folders = [os.path.dirname(os.path.abspath(p)) for p in (template, answer) if p]
    return landlock.confine(readable_paths([], []), folders)


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the worker was gone before the line above took effect
        os._exit(1)


def serve(args) -> int:
    _die_with_parent()
    os.dup2(2, 1)  # Blender and its exporter print; the pipes carry only messages
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if args.niceness:
        os.nice(args.niceness)
    if args.heap_limit_mb:  # the worker's watch stops the engine first; this is the backstop
        limit = args.heap_limit_mb << 20
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    try:
        from ..engine.blender.generation import Engine
        from ..engine.blender.geometry_budget import GeometryBudget

        engine = Engine(budget=GeometryBudget(args.max_vertices, args.max_faces))
        abi = confine(args)
    except ConfiguratorError as error:
        write_message(args.fd_out, {"error": error.as_dict()})
        return 1
    write_message(args.fd_out, {"ready": {"sandbox_abi": abi}})
    while True:
        try:
            request, _ = read_message(args.fd_in)
        except EOFError:  # the worker closed the pipe: recycle or shutdown
            return 0
        if request.get("op") == "generate":
            _generate(engine, request, args.fd_in, args.fd_out)
        else:
            write_message(args.fd_out, {"error": GenerationError(f"unknown request {request.get('op')!r}").as_dict()})


def _generate(engine, request: dict, fd_in: int, fd_out: int) -> None:
    def before_stage(stage: str) -> None:
        write_message(fd_out, {"stage": stage})
        answer, _ = read_message(fd_in)
        if not answer.get("go"):
            raise JobCancelled(stage)

    try:
        result = engine.generate(request["path"], request["config"], draco=bool(request.get("draco")),
                                 morph=bool(request.get("morph")), file_format=request.get("format", "glb"),
                                 version=request.get("version"),
                                 before_stage=before_stage)
    except ConfiguratorError as error:
        write_message(fd_out, {"error": error.as_dict()})
    except Exception as exc:  # Blender or anything else: reported, and the engine goes on
        write_message(fd_out, {"error": GenerationError(f"{type(exc).__name__}: {exc}").as_dict()})
    else:
        write_message(fd_out, {"result": result.meta()}, result.glb)

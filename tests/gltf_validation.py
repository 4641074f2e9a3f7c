"""Validate GLBs with the Khronos glTF validator (npm `gltf-validator`, run by Node).

`validate_glbs` validates many GLBs (bytes or files) in one Node process; `validate_glb` is
the one-GLB form. `make node-tools` installs the validator into `tests/node/`.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable

from processes import run

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
SCRIPT = os.path.join(NODE_DIR, "validate_gltf.mjs")

Glb = bytes | str | os.PathLike  # the GLB's bytes, or the path of a .glb file


class ValidatorUnavailable(RuntimeError):
    """Node or the npm package is missing: the validator cannot run."""


def validate_glb(data: Glb, timeout: float = 120) -> dict:
    """The validator's report; `report["issues"]` holds `numErrors`, `numWarnings`, `messages`…"""
    (report,) = validate_glbs([data], timeout=timeout)
    return report


def validate_glbs(glbs: Iterable[Glb], timeout: float = 120) -> list[dict]:
    """One report per GLB, in order, from a single run of the validator."""
    glbs = list(glbs)
    if not glbs:
        return []
    node = shutil.which("node")
    if node is None:
        raise ValidatorUnavailable("node is not installed; the glTF validator needs Node.js 20 or newer")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "gltf-validator")):
        raise ValidatorUnavailable(f"gltf-validator is not installed in {NODE_DIR}; run `make node-tools`")
    with tempfile.TemporaryDirectory(prefix="gltf-validation-") as scratch:
        paths = []
        for index, glb in enumerate(glbs):
            if isinstance(glb, (bytes, bytearray, memoryview)):
                path = os.path.join(scratch, f"model-{index}.glb")
                with open(path, "wb") as handle:
                    handle.write(glb)
            else:
                path = os.path.abspath(os.fspath(glb))
            paths.append(path)
        finished = run([node, SCRIPT, *paths], cwd=NODE_DIR, timeout=timeout)
    # Exit code 1 only says some report has errors; the reports themselves are the answer.
    lines = finished.stdout.strip().splitlines()
    if finished.returncode not in (0, 1) or len(lines) != len(paths):
        raise RuntimeError(f"glTF validator failed (exit {finished.returncode}, {len(lines)} of {len(paths)} "
                           f"reports): {finished.stderr.strip()}")
    return [json.loads(line) for line in lines]

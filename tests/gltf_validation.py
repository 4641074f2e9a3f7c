"""Validate GLB bytes with the Khronos glTF validator (npm `gltf-validator`, run by Node).

`make node-tools` installs the validator into `tests/node/`.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
SCRIPT = os.path.join(NODE_DIR, "validate_gltf.mjs")


class ValidatorUnavailable(RuntimeError):
    """Node or the npm package is missing: the validator cannot run."""


def validate_glb(data: bytes, timeout: float = 120) -> dict:
    """The validator's report; `report["issues"]` holds `numErrors`, `numWarnings`, `messages`…"""
    node = shutil.which("node")
    if node is None:
        raise ValidatorUnavailable("node is not installed; the glTF validator needs Node.js 20 or newer")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "gltf-validator")):
        raise ValidatorUnavailable(f"gltf-validator is not installed in {NODE_DIR}; run `make node-tools`")
    with tempfile.TemporaryDirectory(prefix="gltf-validation-") as scratch:
        path = os.path.join(scratch, "model.glb")
        with open(path, "wb") as handle:
            handle.write(data)
        finished = subprocess.run([node, SCRIPT, path], cwd=NODE_DIR, capture_output=True, text=True,
                                  timeout=timeout)
    # Exit code 1 only says the report has errors; the report itself is the answer.
    lines = finished.stdout.strip().splitlines()
    if finished.returncode not in (0, 1) or not lines:
        raise RuntimeError(f"glTF validator failed (exit {finished.returncode}): {finished.stderr.strip()}")
    return json.loads(lines[0])

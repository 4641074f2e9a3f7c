"""Child processes of the tests, started one way.

- `run`: a command to completion (output captured as text, bounded in time), from the
  repository root unless told otherwise.
- `run_python`: the same with this interpreter (so with bpy); `run_bpy` in test_addon.py
  adds its prelude to a script on top of it.
- `start` / `stop`: a long-running child whose output goes to a log file (the server, Azurite).
- `child_environment`: this process's environment without the variables that would point a
  child at another database or storage account, plus the test's own variables.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable
# What a child must not inherit from the shell that started pytest: the tests choose them.
SERVICE_VARIABLES = ("DATABASE_URL", "AZURE_STORAGE_CONNECTION_STRING")


def child_environment(env: dict | None = None, drop: tuple[str, ...] = ()) -> dict:
    """`os.environ` without `drop`, updated with `env`."""
    environment = {k: v for k, v in os.environ.items() if k not in drop}
    environment.update(env or {})
    return environment


def run(command: list[str], *, cwd: str = ROOT, env: dict | None = None, timeout: float = 600,
        check: bool = False) -> subprocess.CompletedProcess:
    """Run `command` to completion; `env` adds to this process's environment."""
    done = subprocess.run(command, cwd=cwd, env=child_environment(env), capture_output=True, text=True,
                          timeout=timeout)
    if check:
        assert done.returncode == 0, f"{command[:2]} exited {done.returncode}:\n{output_tail(done)}"
    return done


def run_python(*args: str, env: dict | None = None, timeout: float = 600,
               check: bool = False) -> subprocess.CompletedProcess:
    """This interpreter (with bpy) on `args`, from the repository root."""
    return run([PYTHON, *args], env=env, timeout=timeout, check=check)


def output_tail(done: subprocess.CompletedProcess, chars: int = 3000) -> str:
    """The end of a finished child's stdout and stderr, for assertion messages."""
    return (done.stdout or "")[-chars:] + (done.stderr or "")[-chars:]


def last_json_line(done: subprocess.CompletedProcess, prefix: str = ""):
    """The JSON on the last stdout line starting with `prefix` (Blender prints its own lines first)."""
    lines = [line for line in done.stdout.splitlines() if line.startswith(prefix) and line.strip()]
    assert lines, output_tail(done)
    return json.loads(lines[-1][len(prefix):])


def start(command: list[str], log_path: str, *, cwd: str = ROOT, env: dict | None = None) -> subprocess.Popen:
    """A long-running child; stdout and stderr go to `log_path`. `env` is its whole environment."""
    with open(log_path, "wb") as log:  # the child holds its own copy of the descriptor
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen, timeout: float = 60, sig: int = signal.SIGTERM) -> int:
    """Ask the child to stop with `sig`; kill it past `timeout`. Returns its exit code."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def log_tail(log_path: str, chars: int = 6000) -> str:
    try:
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()[-chars:]
    except OSError:
        return ""

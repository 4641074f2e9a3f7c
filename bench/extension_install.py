"""The extension's archives and what installing one costs: the size of each platform's archive
(`tools/build_extension.py`, wheels from var/wheels/), and the time Blender takes to install the
linux archive and enable it (the first enable extracts its wheels into the user's
`extensions/.local/lib/python3.X/site-packages`), then to enable it again in a new session.

Each round is a fresh Blender user configuration (BLENDER_USER_RESOURCES) in a fresh
`python -S -s` with only `bpy` and Blender's own packages on its path, as the install test
runs it (tests/test_extension_package.py): `bpy.ops.extensions.package_install_files` without
enabling, `addon_utils.enable` timed apart; the restart is a second process on the same folder.

Reported, no target: archive sizes, install + enable (p50 of the rounds), enable on restart.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import bench_common as bc

sys.path.insert(0, os.path.join(bc.ROOT, "tools"))
import build_extension  # noqa: E402

EXTENSION = "bl_ext.user_default.configurator"
FIRST_START = """
import json, sys, time
import bpy
import addon_utils
started = time.perf_counter()
bpy.ops.extensions.package_install_files(filepath=sys.argv[1], repo="user_default", enable_on_install=False)
installed = time.perf_counter()
addon_utils.enable(sys.argv[2], default_set=True, handle_error=None)
enabled = time.perf_counter()
assert sys.argv[2] in bpy.context.preferences.addons
import importlib; importlib.import_module(sys.argv[2] + ".server.app")  # the wheels import
bpy.ops.wm.save_userpref()
print("RESULT " + json.dumps({"install": installed - started, "enable": enabled - installed}))
"""
RESTART = """
import json, sys, time
import bpy
import addon_utils
already = sys.argv[1] in bpy.context.preferences.addons
started = time.perf_counter()
addon_utils.enable(sys.argv[1], default_set=True, handle_error=None)
print("RESULT " + json.dumps({"enable": time.perf_counter() - started, "already": already}))
"""


def run_blender_like(code: str, *args: str, site: str, user: str) -> dict:
    env = {**os.environ, "PYTHONPATH": site, "BLENDER_USER_RESOURCES": user}
    done = subprocess.run([sys.executable, "-S", "-s", "-c", code, *args], cwd=user, env=env,
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        sys.exit(f"the round failed (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def main() -> int:
    args = bc.parse_args(__doc__)
    rounds = 2 if args.quick else 5
    with tempfile.TemporaryDirectory(prefix="configurator-bench-extension-") as scratch:
        bc.log("building the archives (wheels from var/wheels/)")
        webapp = os.path.join(bc.ROOT, "frontend", "dist")  # as make extension ships it, once built
        archives = build_extension.build(os.path.join(scratch, "dist"),
                                         webapp=webapp if os.path.isfile(os.path.join(webapp, "index.html")) else None)
        sizes = {os.path.basename(path): os.path.getsize(path) for path in archives}
        linux = next(path for path in archives if path.endswith("-linux_x64.zip"))
        site = os.path.join(scratch, "site")
        os.makedirs(site)
        build_extension.link_blender_site(site)
        first, restart = [], []
        for number in range(rounds):
            user = os.path.join(scratch, f"user-{number}")
            os.makedirs(user)
            bc.log(f"round {number + 1}/{rounds}")
            first.append(run_blender_like(FIRST_START, linux, EXTENSION, site=site, user=user))
            restart.append(run_blender_like(RESTART, EXTENSION, site=site, user=user)["enable"])
    install_enable = [r["install"] + r["enable"] for r in first]
    bc.print_table("install and enable the linux archive (seconds)", ["round", "install", "enable", "sum", "restart"],
                   [[i + 1, bc.fmt(r["install"], 2), bc.fmt(r["enable"], 2), bc.fmt(s, 2), bc.fmt(t, 2)]
                    for i, (r, s, t) in enumerate(zip(first, install_enable, restart, strict=True))])
    summary = [bc.summary_row(f"archive {name}", size / 2**20, unit=" MiB") for name, size in sorted(sizes.items())]
    summary += [bc.summary_row("install + enable, linux archive (p50)", bc.p50(install_enable), unit=" s"),
                bc.summary_row("enable on restart (p50)", bc.p50(restart), unit=" s")]
    bc.save_results("extension_install", summary, {"archive_bytes": sizes, "rounds": first, "restart_enable": restart},
                    quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())

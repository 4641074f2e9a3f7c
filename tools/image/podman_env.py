"""The podman set-up the image is built and tested with, kept inside the project.

Podman reads its configuration from the files `CONTAINERS_CONF` and `CONTAINERS_STORAGE_CONF`
name; this module writes both under `var/podman/` (images and containers are stored there too)
instead of touching `/etc`. What they say was measured on these machines: `crun` fails on the
hybrid cgroup hierarchy, `runc` works; podman raises a container's open-files and process
limits above what this machine lets its processes have, and runc then fails with "error
setting rlimits … operation not permitted". Measured here: open files at most the host's hard
limit (20000), processes at most 32767 (32768, and the host's own hard limit of 96549, fail
the same way), so both are set explicitly.

`python tools/image/podman_env.py` prints the settings as `export` lines for a shell:
`eval "$(python tools/image/podman_env.py)"; podman images`.
"""
from __future__ import annotations

import os
import resource
import shlex
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Resolved: podman records where its storage is and refuses the same store under another path.
PODMAN_DIR = os.path.realpath(os.path.join(ROOT, "var", "podman"))
# The most each limit may be, whatever the machine's hard limit says.
CEILINGS = {"nofile": (resource.RLIMIT_NOFILE, 1048576), "nproc": (resource.RLIMIT_NPROC, 32767)}

CONTAINERS_CONF = """\
# Written by tools/image/podman_env.py; edit that file instead.
[containers]
default_ulimits = [{ulimits}]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""

STORAGE_CONF = """\
# Written by tools/image/podman_env.py; edit that file instead.
[storage]
driver = "overlay"
graphroot = "{graphroot}"
runroot = "{runroot}"
"""


def environment(podman_dir: str = PODMAN_DIR) -> dict[str, str]:
    """The variables that point podman at the project's configuration (files written now)."""
    os.makedirs(podman_dir, exist_ok=True)
    containers_conf = os.path.join(podman_dir, "containers.conf")
    storage_conf = os.path.join(podman_dir, "storage.conf")
    _write_if_changed(containers_conf, CONTAINERS_CONF.format(ulimits=", ".join(
        f'"{name}={limit}:{limit}"' for name, limit in ulimits().items())))
    _write_if_changed(storage_conf, STORAGE_CONF.format(graphroot=os.path.join(podman_dir, "storage"),
                                                        runroot=os.path.join(podman_dir, "run")))
    return {"CONTAINERS_CONF": containers_conf, "CONTAINERS_STORAGE_CONF": storage_conf}


def ulimits() -> dict[str, int]:
    """Each limit a container gets: this machine's hard limit, or less (CEILINGS)."""
    limits = {}
    for name, (which, ceiling) in CEILINGS.items():
        hard = resource.getrlimit(which)[1]
        limits[name] = ceiling if hard == resource.RLIM_INFINITY else min(hard, ceiling)
    return limits


def _write_if_changed(path: str, text: str) -> None:
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    for name, value in environment().items():
        print(f"export {name}={shlex.quote(value)}")
    sys.exit(0)

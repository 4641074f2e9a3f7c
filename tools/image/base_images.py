"""Stand-ins for the image's two base images, made on this machine from Debian packages.

The Dockerfile starts from `node:20-bookworm-slim` (the web app's build) and
`python:3.11-slim-bookworm` (what runs). Machines that reach only PyPI, npm and Debian's
archive cannot pull those, so the image test builds from stand-ins instead, passed as the
Dockerfile's `NODE_IMAGE` and `PYTHON_IMAGE` build arguments. Each is a Debian 12 minbase
root made with `debootstrap`, shaped so that the Dockerfile runs unchanged on it:

- python: Debian's Python 3.11 with a virtual environment at `/usr/local`, so `python` and
  `pip` are on the PATH in `/usr/local/bin` and `pip install` writes to
  `/usr/local/lib/python3.11/site-packages`, as in the official image (Debian's own pip
  refuses to install into the system Python).
- node: this machine's `node` and `npm` copied to `/usr/local` (Debian 12 has Node 18 only).

One debootstrap root serves both (the node stand-in has Python in it too).

Both get this machine's CA certificates, because downloads from inside the build go through
the same TLS-inspecting egress as the host's, and variables telling pip and npm to use them.
They are imported with `podman import` under local names and labelled with a digest of what
made them; a second run with the same inputs reuses them.

    python tools/image/base_images.py            # prints the two build arguments
    python tools/image/base_images.py --rebuild  # makes them again
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from podman_env import ROOT, environment  # noqa: E402

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PYTHON_IMAGE = "localhost/configurator-standin/python:3.11-slim-bookworm"
NODE_IMAGE = "localhost/configurator-standin/node:20-bookworm-slim"
DIGEST_LABEL = "org.configurator.standin-digest"
# Part of the digest: raise it when the way a stand-in is made changes.
RECIPE_VERSION = 2
WORK_DIR = os.path.join(ROOT, "var", "image")
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
LOCAL_CA_DIR = "/usr/local/share/ca-certificates"
# Debian's python3.11 is 3.11.2; python:3.11-slim also carries netbase and tzdata.
PYTHON_PACKAGES = ["python3", "python3-venv", "netbase", "tzdata"]
COMMON_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "SSL_CERT_FILE": CA_BUNDLE,
    "PIP_CERT": CA_BUNDLE,
    "NODE_EXTRA_CA_CERTS": CA_BUNDLE,
}


def _digest(kind: str, mirror: str) -> str:
    """What the stand-in is made of: the recipe, the mirror, the certificates (and node)."""
    parts = [kind.encode(), mirror.encode(), SUITE.encode(), str(RECIPE_VERSION).encode(),
             repr((PYTHON_PACKAGES, sorted(COMMON_ENV.items()))).encode()]
    for path in [CA_BUNDLE, *sorted(_local_certificates())]:
        with open(path, "rb") as handle:
            parts.append(handle.read())
    if kind == "node":
        parts.append(subprocess.run([_host_node(), "--version"], capture_output=True, check=True).stdout)
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def _local_certificates() -> list[str]:
    if not os.path.isdir(LOCAL_CA_DIR):
        return []
    return [os.path.join(LOCAL_CA_DIR, name) for name in os.listdir(LOCAL_CA_DIR) if name.endswith(".crt")]


def _host_node() -> str:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on the PATH: the node stand-in copies this machine's Node 20")
    return os.path.realpath(node)


def _podman(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], env={**os.environ, **env}, **kwargs)


def _existing_digest(image: str, env: dict) -> str | None:
    done = _podman("image", "inspect", "--format", f'{{{{index .Labels "{DIGEST_LABEL}"}}}}', image,
                   env=env, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def _debootstrap(root: str, packages: list[str], mirror: str) -> None:
    cache = os.path.join(WORK_DIR, "debs")
    os.makedirs(cache, exist_ok=True)
    command = ["debootstrap", "--variant=minbase", f"--cache-dir={cache}"]
    if packages:
        command.append("--include=" + ",".join(packages))
    subprocess.run([*command, SUITE, root, mirror], check=True, stdout=subprocess.DEVNULL)


def _copy_certificates(root: str) -> None:
    os.makedirs(os.path.join(root, "etc/ssl/certs"), exist_ok=True)
    shutil.copyfile(CA_BUNDLE, os.path.join(root, CA_BUNDLE.lstrip("/")))
    target = os.path.join(root, LOCAL_CA_DIR.lstrip("/"))
    os.makedirs(target, exist_ok=True)
    for path in _local_certificates():
        shutil.copyfile(path, os.path.join(target, os.path.basename(path)))


def _make_python(root: str) -> None:
    # A venv at /usr/local: `python`/`pip` in /usr/local/bin, packages in its site-packages.
    subprocess.run(["chroot", root, "/usr/bin/python3", "-m", "venv", "/usr/local"], check=True)


def _make_node(root: str) -> None:
    node = _host_node()
    npm_dir = os.path.join(os.path.dirname(os.path.dirname(node)), "lib", "node_modules", "npm")
    if not os.path.isdir(npm_dir):
        raise SystemExit(f"npm is not beside node ({npm_dir})")
    shutil.copy2(node, os.path.join(root, "usr/local/bin/node"))
    shutil.copytree(npm_dir, os.path.join(root, "usr/local/lib/node_modules/npm"), symlinks=True)
    for tool in ("npm", "npx"):
        os.symlink(f"../lib/node_modules/npm/bin/{tool}-cli.js", os.path.join(root, "usr/local/bin", tool))


def _slim(root: str) -> None:
    """What debootstrap leaves that the official slim images do not carry."""
    for folder in ("var/lib/apt/lists", "var/cache/apt", "usr/share/doc", "usr/share/man"):
        path = os.path.join(root, folder)
        if os.path.isdir(path):
            for name in os.listdir(path):
                entry = os.path.join(path, name)
                if os.path.isdir(entry) and not os.path.islink(entry):
                    shutil.rmtree(entry)
                elif name != "lock":
                    os.unlink(entry)


def _import(root: str, image: str, digest: str, env: dict) -> None:
    changes = [f"ENV {name}={value}" for name, value in COMMON_ENV.items()]
    changes += [f"LABEL {DIGEST_LABEL}={digest}", 'CMD ["bash"]']
    arguments = []
    for change in changes:
        arguments += ["--change", change]
    tar = subprocess.Popen(["tar", "-C", root, "--numeric-owner", "-cf", "-", "."], stdout=subprocess.PIPE)
    try:
        _podman("import", "--quiet", *arguments, "-", image, env=env, stdin=tar.stdout, check=True,
                stdout=subprocess.DEVNULL)
    finally:
        tar.stdout.close()
        if tar.wait() != 0:
            raise SystemExit(f"tar of {root} failed")


def ensure(kinds: tuple[str, ...] = ("node", "python"), *, rebuild: bool = False, mirror: str = MIRROR,
           env: dict | None = None) -> dict[str, str]:
    """The local names of the stand-ins by kind ("python", "node"), made if missing or stale.

    One debootstrap serves both: the stale ones are copies of one root (with Python in it:
    the node stand-in carries it too, which a build stage does not mind)."""
    env = env if env is not None else environment()
    images = {kind: {"python": PYTHON_IMAGE, "node": NODE_IMAGE}[kind] for kind in kinds}
    digests = {kind: _digest(kind, mirror) for kind in kinds}
    stale = [kind for kind in kinds if rebuild or _existing_digest(images[kind], env) != digests[kind]]
    if not stale:
        return images
    os.makedirs(WORK_DIR, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK_DIR, prefix="standin-") as scratch:
        base = os.path.join(scratch, "debian")
        try:
            _debootstrap(base, PYTHON_PACKAGES, mirror)
        finally:
            _unmount_below(base)
        _copy_certificates(base)
        for kind in stale:
            root = os.path.join(scratch, kind)
            subprocess.run(["cp", "-a", base, root], check=True)
            (_make_python if kind == "python" else _make_node)(root)
            _slim(root)
            _import(root, images[kind], digests[kind], env)
            shutil.rmtree(root)
    return images


def _unmount_below(root: str) -> None:
    """A debootstrap that failed half-way can leave /proc or /sys mounted in the root; they
    must go before the scratch folder is removed."""
    with open("/proc/self/mounts", encoding="utf-8") as handle:
        points = [line.split()[1] for line in handle]
    for point in sorted((p for p in points if p == root or p.startswith(root + "/")), reverse=True):
        subprocess.run(["umount", "--lazy", point], check=False)


def build_arguments(**kwargs) -> dict[str, str]:
    """The Dockerfile's base-image build arguments, naming the stand-ins."""
    images = ensure(**kwargs)
    return {"NODE_IMAGE": images["node"], "PYTHON_IMAGE": images["python"]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="make the stand-ins even if they are current")
    parser.add_argument("--mirror", default=MIRROR, help=f"Debian mirror for debootstrap (default {MIRROR})")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("debootstrap, chroot and podman import need root")
    for name, value in build_arguments(rebuild=args.rebuild, mirror=args.mirror).items():
        print(f"--build-arg {name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

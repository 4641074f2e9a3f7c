"""The production image, built and run: `Dockerfile` and `docker-compose.yml`.

The compose file's shape is checked on its own (fast). The image itself is built with podman
from the debootstrap stand-ins of its two base images (`tools/image/base_images.py`), then
run the way docker-compose.yml runs it, against the session's PostgreSQL and Azurite on the
host network: the one-shot `migrate --seed`, an API container (`serve --role api`) and a
worker container (`serve --role worker --workers 1`). What a deployment relies on is then
observed from outside: /health answers, the sample products were seeded, a job submitted
through the API is completed by the worker container and its GLB downloads from the storage
account, both processes run as the image's non-root user, the image's HEALTHCHECK passes for
both (and fails where nothing answers), and bpy inside the image renders with Workbench on
Mesa's software rasteriser.

Needs root, podman and debootstrap (`make test-image` installs them and runs this file).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import asyncpg
import pytest
import yaml

from configurator_addon.db.embedded import SERVICE_ROLE
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from conftest import ROOT, free_port

sys.path.insert(0, os.path.join(ROOT, "tools", "image"))
import base_images  # noqa: E402
import podman_env  # noqa: E402

IMAGE = "localhost/configurator:test"
IMAGE_USER_ID = 10001
BUILD_TIMEOUT_SECONDS = 1800
START_TIMEOUT_SECONDS = 180
JOB_TIMEOUT_SECONDS = 240
GLB_MAGIC = b"glTF"


def test_compose_file_runs_the_production_topology():
    """One-shot migrate before api and worker; both scalable (no fixed names, the worker with
    no published port); every long-running service health-checked."""
    with open(os.path.join(ROOT, "docker-compose.yml"), encoding="utf-8") as handle:
        services = yaml.safe_load(handle)["services"]
    assert set(services) == {"db", "azurite", "migrate", "api", "worker"}
    assert services["migrate"]["command"][-2:] == ["migrate", "--seed"]
    assert services["migrate"].get("restart") == "no"
    for name in ("api", "worker"):
        service = services[name]
        assert "container_name" not in service, name
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert "--no-seed" in service["command"], name
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://"), name
    assert services["api"]["command"][-3:] == ["--role", "api", "--no-seed"]
    assert services["worker"]["command"][3:7] == ["--role", "worker", "--workers", "2"]
    assert "ports" not in services["worker"]
    # A range, so `--scale api=N` does not collide on one host port.
    assert all("-" in port.split(":")[0] for port in services["api"]["ports"])
    for name in ("db", "azurite", "api", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert services["worker"]["environment"]["HEALTHCHECK_URL"].endswith(
        f":{services['worker']['environment']['METRICS_PORT']}/metrics")


# --- The image, built and run --------------------------------------------------------------

def _podman(*args: str, timeout: float = 120, check: bool = True, input: bytes | None = None
            ) -> subprocess.CompletedProcess:
    done = subprocess.run(["podman", *args], env={**os.environ, **_PODMAN_ENV}, capture_output=True,
                          timeout=timeout, input=input)
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])}… exited {done.returncode}:\n"
                             f"{done.stdout.decode(errors='replace')[-4000:]}\n"
                             f"{done.stderr.decode(errors='replace')[-4000:]}")
    return done


_PODMAN_ENV: dict[str, str] = {}


@pytest.fixture(scope="module")
def podman():
    if os.geteuid() != 0 or not (shutil.which("podman") and shutil.which("debootstrap")):
        pytest.fail("the image test needs root, podman and debootstrap: run `make test-image`", pytrace=False)
    _PODMAN_ENV.update(podman_env.environment())


@pytest.fixture(scope="module")
def image(podman) -> str:
    """The image built from the working tree, on the stand-in base images. Docker format:
    OCI images cannot carry a HEALTHCHECK."""
    arguments = []
    for name, value in base_images.build_arguments(env=_PODMAN_ENV).items():
        arguments += ["--build-arg", f"{name}={value}"]
    _podman("build", "--format", "docker", "--network", "host", *arguments, "--tag", IMAGE,
            "--file", os.path.join(ROOT, "Dockerfile"), ROOT, timeout=BUILD_TIMEOUT_SECONDS)
    return IMAGE


@pytest.fixture(scope="module")
def service_database(postgres) -> str:
    """An empty database owned by the service role, as a deployment's would be."""
    import asyncio

    name = f"test_image_{uuid.uuid4().hex}"

    async def execute(statement: str) -> None:
        admin = await asyncpg.connect(postgres.admin_dsn_for("postgres"))
        try:
            await admin.execute(statement)
        finally:
            await admin.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}" OWNER "{SERVICE_ROLE}"'))
    try:
        yield postgres.dsn_for(name)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class Container:
    """A detached container of the image on the host network."""

    def __init__(self, image: str, name: str, command: list[str], env: dict[str, str],
                 volumes: tuple[str, ...] = ()):
        self.name = f"configurator-test-{name}-{uuid.uuid4().hex[:8]}"
        options = [f"--env={key}={value}" for key, value in env.items()]
        options += [f"--volume={volume}" for volume in volumes]
        _podman("run", "--detach", "--network", "host", "--name", self.name, *options, image, *command)

    def logs(self) -> str:
        done = _podman("logs", self.name, check=False)
        return (done.stdout + done.stderr).decode(errors="replace")[-6000:]

    def running(self) -> bool:
        done = _podman("inspect", "--format", "{{.State.Running}}", self.name, check=False)
        return done.stdout.strip() == b"true"

    def process_user_id(self) -> int:
        """The real uid of the container's main process, read from the host's /proc."""
        pid = _podman("inspect", "--format", "{{.State.Pid}}", self.name).stdout.decode().strip()
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            line = next(line for line in handle if line.startswith("Uid:"))
        return int(line.split()[1])

    def exec(self, *command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return _podman("exec", self.name, *command, timeout=timeout, check=False)

    def remove(self) -> None:
        _podman("rm", "--force", "--time", "10", self.name, check=False, timeout=60)


def _request(method: str, url: str, *, token: str | None = None, body: dict | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def _wait_healthy(url: str, container: Container) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert container.running(), f"{container.name} exited:\n{container.logs()}"
        if _request("GET", url)[0] == 200:
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer 200 within {START_TIMEOUT_SECONDS} s:\n{container.logs()}")


@pytest.fixture(scope="module")
def deployment(image, service_database, azurite):
    """migrate --seed, then an API container and a worker container, as docker-compose.yml."""
    env = {"DATABASE_URL": service_database, "AZURE_STORAGE_CONNECTION_STRING": azurite, "LOG_FORMAT": "json"}
    migrated = _podman("run", "--rm", "--network", "host", *[f"--env={k}={v}" for k, v in env.items()],
                       image, "python", "server_entry.py", "migrate", "--seed", timeout=600)
    api_port, metrics_port = free_port(), free_port()
    api = Container(image, "api", ["python", "server_entry.py", "serve", "--role", "api", "--no-seed"],
                    {**env, "HOST": "127.0.0.1", "PORT": str(api_port)})
    worker = Container(image, "worker",
                       ["python", "server_entry.py", "serve", "--role", "worker", "--workers", "1", "--no-seed"],
                       {**env, "METRICS_PORT": str(metrics_port),
                        "HEALTHCHECK_URL": f"http://127.0.0.1:{metrics_port}/metrics"})
    try:
        url = f"http://127.0.0.1:{api_port}"
        _wait_healthy(url + "/health", api)
        _wait_healthy(f"http://127.0.0.1:{metrics_port}/metrics", worker)
        yield {"url": url, "api": api, "worker": worker, "migrated": json.loads(migrated.stdout)}
    finally:
        api.remove()
        worker.remove()


@pytest.fixture(scope="module")
def admin_token(deployment) -> str:
    """An admin key of the demo client, made with the operator's command inside the image."""
    done = deployment["api"].exec("python", "server_entry.py", "admin", "create-key", "--client",
                                  str(DEMO_CLIENT_ID), "--kind", "secret", "--role", "admin")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return json.loads(done.stdout)["key"]



@pytest.mark.image
@pytest.mark.slow
def test_image_migrates_seeds_and_completes_a_job(deployment, admin_token):
    url = deployment["url"]
    assert deployment["migrated"]["applied"], deployment["migrated"]
    status, body = _request("GET", url + "/health")
    assert status == 200, body

    with open(os.path.join(ROOT, "templates", "catalog.json"), encoding="utf-8") as handle:
        catalog = json.load(handle)
    status, body = _request("GET", url + "/api/v1/products", token=admin_token)
    assert status == 200, body
    products = json.loads(body)["items"]
    assert sorted(p["name"] for p in products) == sorted(s["name"] for s in catalog)

    product = products[0]
    submission = {"product_id": product["id"], "config_data": {}}
    status, body = _request("POST", url + "/api/v1/jobs", token=admin_token, body=submission)
    assert status in (200, 202), body
    job = json.loads(body)
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while job["status"] not in ("COMPLETED", "FAILED", "CANCELLED") and time.monotonic() < deadline:
        time.sleep(0.5)
        status, body = _request("GET", f"{url}/api/v1/jobs/{job['id']}", token=admin_token)
        assert status == 200, body
        job = json.loads(body)
    assert job["status"] == "COMPLETED", f"{job}\n{deployment['worker'].logs()}"
    status, glb = _request("GET", job["result_url"])
    assert status == 200 and glb[:4] == GLB_MAGIC, (status, glb[:64])
    assert int.from_bytes(glb[8:12], "little") == len(glb)  # the GLB header's total length


@pytest.mark.image
@pytest.mark.slow
def test_image_processes_run_as_the_unprivileged_user(deployment):
    for role in ("api", "worker"):
        container = deployment[role]
        assert container.process_user_id() == IMAGE_USER_ID, (role, container.logs())
        done = container.exec("id", "-u")
        assert done.stdout.decode().strip() == str(IMAGE_USER_ID), role


@pytest.mark.image
@pytest.mark.slow
def test_image_healthcheck_passes_for_api_and_worker_and_fails_when_nothing_answers(deployment):
    for role in ("api", "worker"):
        container = deployment[role]
        done = _podman("healthcheck", "run", container.name, check=False)
        assert done.returncode == 0, (role, done.stdout, done.stderr, container.logs())
    silent = deployment["api"].exec("env", f"HEALTHCHECK_URL=http://127.0.0.1:{free_port()}/health",
                                    "python", "tools/image/healthcheck.py")
    assert silent.returncode == 1, silent


@pytest.mark.image
@pytest.mark.slow
def test_image_renders_workbench_on_mesa_software_gl(image):
    script = os.path.join(ROOT, "tools", "image", "workbench_render.py")
    done = _podman("run", "--rm", "--network", "none", f"--volume={script}:/check/workbench_render.py:ro",
                   image, "python", "/check/workbench_render.py", "/tmp/workbench.png", timeout=300, check=False)
    assert done.returncode == 0, (done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")[-4000:])
    result = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert result["width"] == result["height"] == 64
    assert result["lit_pixels"] > 0
    assert "llvmpipe" in result["gpu"], result

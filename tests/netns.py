"""Worker hosts on one machine: network namespaces joined to the root namespace by a bridge.

`HostNetwork` makes a bridge in the root namespace with the first address of a private /24
(PostgreSQL and Azurite listen there, `services_on`), and for each host a namespace with
its loopback up and one end of a veth pair as `eth0` (the next addresses), the other end a
port of the bridge. `WorkerHost` runs `serve --role worker --workers N --no-seed` inside a
namespace, with a hostname of its own (its own UTS namespace too), so the `worker_id` the
queue records for every job (host:pid:uuid) names the host that ran it.

`cut(host)` takes the host's port of the bridge down: frames stop both ways at once, as when
a host's cable is pulled, while both ends keep their addresses and routes (TCP on either side
sees silence, not an error, and resumes after `restore(host)`). Taking the namespace's own
end down instead would delete its routes and fail its sends at once, a different fault.

Names carry this process's pid (`cfg-h1-<pid>`, bridge `cfgb<pid>`, ports `cfg<pid>h1`),
so concurrent runs do not collide, and what a killed run left behind is found and removed by
the next one (`remove_leftovers`). Everything made is removed on `close()`, which an atexit
hook calls as well. Needs root (we are, here and in CI). Importable by bench/ too.
"""
from __future__ import annotations

import atexit
import contextlib
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable
PREFIX = "cfg"
# 10.213.N.0/24: N chosen per run among the ones no interface of this machine uses.
SUBNET_BASE = "10.213"
NAMESPACE = re.compile(rf"^{PREFIX}-h\d+-(\d+)$")
BRIDGE = re.compile(rf"^{PREFIX}b(\d+)$")


def ip(*args: str, namespace: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    command = ["ip", *(("-n", namespace) if namespace else ()), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return done


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers() -> list[str]:
    """Namespaces and bridges of runs whose process is gone (killed before its clean-up)."""
    removed = []
    for line in ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        match = NAMESPACE.match(name)
        if match and not _alive(int(match.group(1))):
            _kill_processes_in(name)
            ip("netns", "del", name, check=False)
            removed.append(name)
    for line in ip("-o", "link", "show", "type", "bridge", check=False).stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        match = BRIDGE.match(name)
        if match and not _alive(int(match.group(1))):
            ip("link", "del", name, check=False)
            removed.append(name)
    return removed


def _kill_processes_in(namespace: str) -> None:
    """SIGKILL what still runs in `namespace` (a namespace outlives its name while used)."""
    done = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True, timeout=30)
    for pid in done.stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


def _free_subnet() -> ipaddress.IPv4Network:
    used = [ipaddress.ip_interface(word).network
            for line in ip("-o", "-4", "addr", "show").stdout.splitlines()
            for word in line.split() if re.fullmatch(r"\d+\.\d+\.\d+\.\d+/\d+", word)]
    for offset in range(250):
        candidate = ipaddress.ip_network(f"{SUBNET_BASE}.{(os.getpid() + offset) % 250 + 1}.0/24")
        if not any(candidate.overlaps(network) for network in used):
            return candidate
    raise RuntimeError(f"no free /24 under {SUBNET_BASE}.0.0/16")


class HostNetwork:
    """A bridge in the root namespace and `hosts` namespaces attached to it."""

    def __init__(self, hosts: int = 2):
        remove_leftovers()
        self.tag = str(os.getpid())
        self.subnet = _free_subnet()
        addresses = self.subnet.hosts()
        self.bridge = f"{PREFIX}b{self.tag}"
        self.address = str(next(addresses))  # the root namespace's, on the bridge
        self.hosts = [f"h{i}" for i in range(1, hosts + 1)]
        self.host_addresses = {host: str(next(addresses)) for host in self.hosts}
        self._made: list[tuple[str, str]] = []
        atexit.register(self.close)
        try:
            self._make()
        except Exception:
            self.close()
            raise

    def namespace(self, host: str) -> str:
        return f"{PREFIX}-{host}-{self.tag}"

    def port(self, host: str) -> str:
        """The root end of the host's veth pair: its port of the bridge (at most 15 characters)."""
        return f"{PREFIX}{self.tag}{host}"

    @property
    def interface(self) -> str:
        """The root namespace's address with its prefix, for EmbeddedPostgres(remote_interfaces=)."""
        return f"{self.address}/{self.subnet.prefixlen}"

    def _make(self) -> None:
        prefix = self.subnet.prefixlen
        ip("link", "add", self.bridge, "type", "bridge")
        self._made.append(("link", self.bridge))
        ip("addr", "add", f"{self.address}/{prefix}", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for host in self.hosts:
            namespace, port = self.namespace(host), self.port(host)
            ip("netns", "add", namespace)
            self._made.append(("netns", namespace))
            ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            self._made.append(("link", port))
            ip("link", "set", port, "master", self.bridge)
            ip("link", "set", port, "up")
            ip("link", "set", "lo", "up", namespace=namespace)
            ip("addr", "add", f"{self.host_addresses[host]}/{prefix}", "dev", "eth0", namespace=namespace)
            ip("link", "set", "eth0", "up", namespace=namespace)
        for host in self.hosts:
            self.wait_reachable(host)

    def wait_reachable(self, host: str, timeout: float = 10) -> None:
        """Until the host can open a TCP connection to the bridge's address (its port forwards)."""
        deadline = time.monotonic() + timeout
        while not self.reachable(host):
            if time.monotonic() > deadline:
                raise RuntimeError(f"host {host} ({self.host_addresses[host]}) cannot reach {self.address} "
                                   f"after {timeout} s")
            time.sleep(0.1)

    def cut(self, host: str) -> None:
        """Pull the host's cable: its bridge port down, nothing passes either way."""
        ip("link", "set", self.port(host), "down")

    def restore(self, host: str) -> None:
        ip("link", "set", self.port(host), "up")
        self.wait_reachable(host)

    def reachable(self, host: str, timeout: float = 1.0) -> bool:
        """Whether a connection from the host's namespace to a listener of ours on the bridge's
        address opens within `timeout` (no ping here: a TCP probe, as the services are TCP)."""
        with socket.create_server((self.address, 0)) as listener:
            probe = (f"import socket; socket.create_connection(({self.address!r}, "
                     f"{listener.getsockname()[1]}), timeout={timeout})")
            done = subprocess.run(["ip", "netns", "exec", self.namespace(host), PYTHON, "-S", "-c", probe],
                                  capture_output=True, timeout=30)
        return done.returncode == 0

    def close(self) -> None:
        """Remove what was made, newest first; processes still in a namespace are killed."""
        while self._made:
            kind, name = self._made.pop()
            if kind == "netns":
                _kill_processes_in(name)
                ip("netns", "del", name, check=False)
            else:
                ip("link", "del", name, check=False)
        atexit.unregister(self.close)

    def __enter__(self) -> HostNetwork:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class WorkerHost:
    """`serve --role worker --workers N --no-seed` in a host's namespace, named `hostname`."""

    def __init__(self, network: HostNetwork, host: str, var_dir: str, *, workers: int, env: dict):
        """`env`: the whole environment of the host (DATABASE_URL and the storage connection
        string naming the bridge's address)."""
        self.network, self.host = network, host
        self.hostname = network.namespace(host)
        os.makedirs(var_dir, exist_ok=True)
        self.log_path = os.path.join(var_dir, "worker-host.log")
        environment = {**env, "CONFIGURATOR_VAR_DIR": var_dir, "LOG_FORMAT": "json"}
        command = ["ip", "netns", "exec", network.namespace(host), "unshare", "--uts", "sh", "-c",
                   'hostname "$0" && exec "$@"', self.hostname,
                   PYTHON, os.path.join(ROOT, "server_entry.py"), "serve", "--role", "worker",
                   "--workers", str(workers), "--no-seed"]
        with open(self.log_path, "wb") as log:
            # A session of its own: the supervisor, its workers and their engines stop as one group.
            self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        atexit.register(self.kill)

    def owns(self, worker_id: str | None) -> bool:
        """Whether the queue's `worker_id` (host:pid:uuid) is one of this host's workers."""
        return bool(worker_id) and worker_id.split(":")[0] == self.hostname

    def log(self, chars: int = 6000) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()[-chars:]

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM (running jobs finish), then SIGKILL the host's process group."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        return self.process.returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        atexit.unregister(self.kill)


class Services:
    """What every host of a `HostNetwork` shares, in the root namespace: PostgreSQL on loopback
    and the bridge's address, Azurite on the bridge's address (reachable from here too)."""

    def __init__(self, network: HostNetwork, workdir: str):
        from configurator_addon.db.embedded import EmbeddedPostgres
        from fixtures_storage import start_azurite

        os.makedirs(workdir, exist_ok=True)
        os.chmod(workdir, 0o755)  # as root the cluster runs as `postgres`, which must reach it
        self.postgres = EmbeddedPostgres(os.path.join(workdir, "postgres"), fast=True,
                                         remote_interfaces=(network.interface,))
        self.local_database_url = self.postgres.start()
        self.database_url = self.postgres.dsn_at(network.address)  # for the hosts
        azurite_dir = os.path.join(workdir, "azurite")
        os.makedirs(azurite_dir, exist_ok=True)
        try:
            self.azurite, self.storage = start_azurite(azurite_dir, host=network.address)
        except Exception:
            self.postgres.stop()
            raise
        atexit.register(self.close)

    def host_environment(self, extra: dict | None = None) -> dict:
        """A worker host's environment: this process's, pointed at the shared services."""
        return {**os.environ, "DATABASE_URL": self.database_url, "AZURE_STORAGE_CONNECTION_STRING": self.storage,
                **(extra or {})}

    def close(self) -> None:
        if self.azurite.poll() is None:
            self.azurite.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.azurite.wait(10)
            if self.azurite.poll() is None:
                self.azurite.kill()
        self.postgres.stop()
        atexit.unregister(self.close)

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

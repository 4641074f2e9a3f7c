"""Two worker hosts, each in a network namespace of its own (`netns.py`), against one
PostgreSQL and one Azurite in the root namespace, with the API (`serve --role api`) beside
them: jobs spread over both hosts; a host whose link is cut mid-job has its job rescued by
the other once the lease expires, its late completion after the link comes back is refused,
and it then claims jobs again.

Which host ran a job is read from the database: the queue records the `worker_id`
(host:pid:uuid) of the worker that claimed it, and each host has a hostname of its own.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass

import asyncpg
import pytest

import processes
from fixtures_server import ServerProcess
from netns import HostNetwork, Services, WorkerHost

pytestmark = pytest.mark.slow

SLOW = {"detail": 8}  # a few seconds of Blender work: a job to cut a host in the middle of
# The lease timeout is the job time limit + 10 s (settings.py): 30 s before a rescue.
HOST_SETTINGS = {"BLENDER_TIMEOUT_SECONDS": "20", "JOB_MAX_RETRIES": "3"}
WAIT_SECONDS = 180


@dataclass
class Site:
    network: HostNetwork
    services: Services
    api: ServerProcess
    hosts: list[WorkerHost]
    products: dict[str, str]  # template fixture name -> product id

    def host_of(self, worker_id: str) -> WorkerHost:
        return next(host for host in self.hosts if host.owns(worker_id))


def wait_for_log(host: WorkerHost, text: str, timeout: float = 240) -> None:
    """Until the host's log holds `text` (what its processes announce)."""
    deadline = time.monotonic() + timeout
    while text not in host.log(10**7):
        assert time.monotonic() < deadline, f"host {host.host} never logged {text!r}:\n{host.log()}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def site(tmp_path_factory, fixture_templates):
    workdir = str(tmp_path_factory.mktemp("many-hosts"))
    # Not under pytest's basetemp: as root the cluster runs as `postgres` (fixtures_db.py says why).
    shared = tempfile.mkdtemp(prefix="configurator-hosts-")
    with HostNetwork(2) as network, Services(network, shared) as services:
        api = ServerProcess(os.path.join(workdir, "api"), "--role", "api", "--no-seed", env={
            "DATABASE_URL": services.local_database_url, "AZURE_STORAGE_CONNECTION_STRING": services.storage,
            **HOST_SETTINGS})
        hosts = [WorkerHost(network, host, os.path.join(workdir, host), workers=1,
                            env=processes.child_environment({
                                "DATABASE_URL": services.database_url,
                                "AZURE_STORAGE_CONNECTION_STRING": services.storage, **HOST_SETTINGS}))
                 for host in network.hosts]
        try:
            asyncio.run(api.wait_ready(timeout=240))
            products = {name: asyncio.run(api.upload(fixture_templates[name], name))["id"]
                        for name in ("valid", "slow")}
            for host in hosts:  # each worker has its engine warm, and claims from now on
                wait_for_log(host, '"engine process started"')
            yield Site(network, services, api, hosts, products)
        finally:
            for host in hosts:
                host.stop(timeout=30)
            api.stop()
    shutil.rmtree(shared, ignore_errors=True)


async def job_row(conn, job_id: str):
    return await conn.fetchrow("SELECT status, worker_id, lease_id, attempt, retry_count, progress, completed_at "
                               "FROM jobs WHERE id = $1::uuid", job_id)


async def test_jobs_spread_over_both_hosts(site):
    jobs = [await site.api.submit(site.products["valid"], {"width": 0.3 + i * 0.03}) for i in range(20)]
    done = [await site.api.wait_job(job["id"], timeout=WAIT_SECONDS) for job in jobs]
    assert [j["status"] for j in done] == ["COMPLETED"] * 20, [(j["error_code"], j["error_message"]) for j in done]
    conn = await asyncpg.connect(site.services.local_database_url)
    try:
        rows = [await job_row(conn, job["id"]) for job in jobs]
    finally:
        await conn.close()
    per_host = {host.host: sum(1 for r in rows if host.owns(r["worker_id"])) for host in site.hosts}
    assert sum(per_host.values()) == 20, [r["worker_id"] for r in rows]  # every job ran on one of them
    assert all(count > 0 for count in per_host.values()), per_host


# The statements of one host that wait for a lock (the row `conn` holds: directly, or behind
# another statement queued for it first).
HELD_FROM = """
    SELECT count(*) FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND cardinality(pg_blocking_pids(pid)) > 0
      AND client_addr = $1::inet AND query LIKE $2
"""


async def wait_held(conn, address: str, pattern: str, timeout: float = WAIT_SECONDS) -> None:
    """Until a statement from `address` matching `pattern` waits for a lock (ours)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await conn.execute("SELECT pg_stat_clear_snapshot()")  # a transaction sees one snapshot otherwise
        if await conn.fetchval(HELD_FROM, address, pattern):
            return
        assert loop.time() < deadline, f"no statement {pattern!r} from {address} waited behind the lock"
        await asyncio.sleep(0.05)


def engine_waits_for_a_request(worker_pid: int) -> bool:
    """Whether the worker's engine process sleeps in read() on its request pipe: done with
    its job's Blender work (between stages it waits only the moment the worker takes to say go)."""
    with open(f"/proc/{worker_pid}/task/{worker_pid}/children") as handle:
        for pid in handle.read().split():
            with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                args = cmd.read().decode(errors="replace").split("\0")
            if "engine-host" not in args:
                continue
            request_fd = int(args[args.index("--fd-in") + 1])
            with open(f"/proc/{pid}/syscall") as syscall:
                fields = syscall.read().split()  # "running" while it runs
            return len(fields) > 1 and fields[0] == "0" and int(fields[1], 16) == request_fd  # read(fd_in) on x86-64
    return False


async def wait_until_engine_done(worker_pid: int, steady: int = 20, timeout: float = WAIT_SECONDS) -> None:
    """Until the engine has waited for a request `steady` samples in a row (50 ms apart)."""
    loop = asyncio.get_running_loop()
    deadline, seen = loop.time() + timeout, 0
    while seen < steady:
        seen = seen + 1 if engine_waits_for_a_request(worker_pid) else 0
        assert loop.time() < deadline, "the engine never finished the job"
        await asyncio.sleep(0.05)


async def wait_claimed(conn, job_id: str, host: WorkerHost, timeout: float = WAIT_SECONDS) -> None:
    """Until the job is PROCESSING on one of `host`'s workers."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        row = await job_row(conn, job_id)
        if row["status"] == "PROCESSING" and host.owns(row["worker_id"]):
            return
        assert row["status"] in ("PROCESSING", "QUEUED") and loop.time() < deadline, dict(row)
        await asyncio.sleep(0.05)


async def victims_completion(conn, victim: WorkerHost, address: str, job_id: str,
                             timeout: float = WAIT_SECONDS) -> str:
    """"refused" once the victim has logged that its completion found the lease lost, "waits
    for the row" if its completion statement waits behind our lock (it matched the row)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if "lease lost before completion; result dropped" in logged_for_job(victim, job_id):
            return "refused"
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        if await conn.fetchval(HELD_FROM, address, "%SET status = 'COMPLETED'%"):
            return "waits for the row"
        assert loop.time() < deadline, f"the victim never tried to complete the job:\n{victim.log()}"
        await asyncio.sleep(0.1)


def logged_for_job(host: WorkerHost, job_id: str) -> list[str]:
    """The messages the host's processes logged about the job."""
    messages = []
    for line in host.log(10**7).splitlines():
        if line.startswith("{") and job_id in line:
            try:
                messages.append(json.loads(line)["message"])
            except (ValueError, KeyError):
                pass
    return messages


async def test_cut_host_has_its_job_rescued_by_the_other_and_rejoins(site):
    conn = await asyncpg.connect(site.services.local_database_url)
    cut = None
    try:
        job = await site.api.submit(site.products["slow"], SLOW)
        await site.api.wait_job(job["id"], statuses=("PROCESSING",))
        # Hold the job's row: no statement of its worker about it lands until we let go, so it
        # cannot complete before its link is cut, however fast it runs.
        held = conn.transaction()
        await held.start()
        running = await conn.fetchrow("SELECT status, progress, worker_id, lease_id FROM jobs "
                                      "WHERE id = $1::uuid FOR UPDATE", job["id"])
        assert running["status"] == "PROCESSING" and running["progress"] < 90, dict(running)
        victim = site.host_of(running["worker_id"])
        rescuer = next(host for host in site.hosts if host is not victim)
        # Its Blender work done, the worker's report of the upload stage (90) waits behind our
        # lock; it will store the GLB and complete the job once that report is answered.
        await wait_until_engine_done(int(running["worker_id"].split(":")[1]))
        await wait_held(conn, site.network.host_addresses[victim.host], "UPDATE jobs SET progress = $3,%")
        site.network.cut(victim.host)
        cut = victim
        await held.rollback()  # the report lands now; its answer is lost on the cut link

        # The victim's heartbeats stop; once its lease has expired the other host rescues the job.
        await wait_claimed(conn, job["id"], rescuer)
        # Hold the row again while the rescuer works on it, so that the victim's late completion
        # arrives while the job is PROCESSING under the rescuer's lease: only the lease refuses it.
        # Nobody can rescue the job from the rescuer meanwhile: both workers are busy with it.
        held = conn.transaction()
        await held.start()
        rescuing = await conn.fetchrow("SELECT status, progress, worker_id FROM jobs WHERE id = $1::uuid FOR UPDATE",
                                       job["id"])
        assert rescuing["status"] == "PROCESSING" and rescuer.owns(rescuing["worker_id"]), dict(rescuing)
        assert rescuing["progress"] < 90, dict(rescuing)
        site.network.restore(victim.host)
        cut = None
        # The answer reaches the victim, which stores its GLB and completes on the lease it lost:
        # refused at once (the fenced UPDATE matches no row, so it does not even wait for our
        # lock). Were the lease not checked, the completion would match the PROCESSING row and
        # wait behind our lock instead.
        outcome = await victims_completion(conn, victim, site.network.host_addresses[victim.host], job["id"])
        await held.rollback()
        assert outcome == "refused", f"the victim's late completion {outcome}"

        done = await site.api.wait_job(job["id"], timeout=WAIT_SECONDS)
        assert done["status"] == "COMPLETED", (done["error_code"], done["error_message"])
        assert rescuer.owns(done["worker_id"]), done["worker_id"]
        assert done["retry_count"] == 1 and done["progress"] == 100, done
        await asyncio.to_thread(wait_for_log, rescuer, '"job completed"')
        # The victim's completion was refused and its result dropped; the rescuer's is the one.
        assert "lease lost before completion; result dropped" in logged_for_job(victim, job["id"])
        assert "job completed" not in logged_for_job(victim, job["id"])
        assert logged_for_job(rescuer, job["id"]).count("job completed") == 1

        # Back on the network, the victim claims jobs again: two at a time for two hosts, until
        # one of its worker's completes (the other host, idle as well, may take either).
        for i in range(10):
            pair = [await site.api.submit(site.products["valid"], {"width": 0.5 + i * 0.02 + k * 0.01})
                    for k in range(2)]
            finished = [await site.api.wait_job(j["id"], timeout=WAIT_SECONDS) for j in pair]
            assert [f["status"] for f in finished] == ["COMPLETED"] * 2, finished
            if any(victim.owns(f["worker_id"]) for f in finished):
                break
        else:
            raise AssertionError(f"host {victim.host} claimed nothing after its link came back:\n{victim.log()}")
    finally:
        if cut is not None:
            site.network.restore(cut.host)
        await conn.close()

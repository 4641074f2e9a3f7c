"""Faults under load: a real `serve --workers 2` on a PostgreSQL cluster and an Azurite of
its own, four storefront shoppers (the limits raised, as bench/load.py does), and one fault
at a time — workers SIGKILLed every few seconds, PostgreSQL restarted, Azurite away for 20 s.

After each fault the shoppers stop and the queue drains; then, from the database, the blob
store, the server's structured log and every answer the shoppers got (`bench/faults.py`,
whose longer runs these are): every job a shopper submitted exists and is terminal —
COMPLETED, or FAILED with WORKER_CRASHED/WORKER_LOST only when every one of its attempts was
killed under it (its retries spent: what the queue promises), nothing else; none completed
twice (at most one "job completed" event per job id, and one for every job a worker
computed unless that worker was killed between its COMPLETE and its log line); the GLB of
every completed job is in the store; no 5xx but 503, and 503 only while the fault lasted
(plus a few seconds' grace); and a fresh job completes afterwards.

One server for the three faults (its start, seeding and warm-up take a minute or more; at a
load average of 17 they took 3.5 minutes); each fault starts from a drained queue."""
from __future__ import annotations

import asyncio
import os
import sys

import pytest

from processes import ROOT

sys.path.insert(0, os.path.join(ROOT, "bench"))
import faults  # noqa: E402  (bench/ is not a package)

SHOPPERS = 4


@pytest.fixture(scope="module")
def rig():
    """The rig and the shoppers' load, started on a loop of their own (a module fixture
    outlives every test's loop); everything on it is closed within that loop."""
    rig = faults.Rig(workers=2)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(rig.start())
        load = loop.run_until_complete(faults.Load.prepare(rig))
        yield rig, load
    finally:
        loop.close()
        rig.stop()


def assert_survived(outcome: dict) -> None:
    assert outcome["submitted"] > 0 and outcome["computed_by_workers"] > 0, outcome
    assert faults.problems(outcome) == [], outcome


@pytest.mark.slow
async def test_workers_killed_every_few_seconds_lose_and_repeat_no_job(rig):
    rig, load = rig
    outcome = await faults.under_load(rig, load, faults.kill_workers, shoppers=SHOPPERS, seconds=48,
                                      fault_after=3, every=3, lasting=42)
    assert_survived(outcome)
    kills = [a for a in outcome["actions"] if a.startswith("killed")]
    assert len(kills) >= 10, outcome["actions"]
    assert any(a.endswith("mid-job") for a in kills), kills
    assert outcome["retried"] > 0, outcome  # the kills landed on jobs, which were run again
    assert outcome["503"] == 0, outcome  # the API process was never touched


@pytest.mark.slow
async def test_postgres_restarted_under_load_loses_no_job(rig):
    rig, load = rig
    outcome = await faults.under_load(rig, load, faults.restart_postgres, shoppers=SHOPPERS, seconds=24,
                                      fault_after=8, down=3)
    assert_survived(outcome)
    assert outcome["actions"] == ["postgres stopped", "postgres started"]
    assert outcome["sockets_dropped"] == 0, outcome  # job sockets stayed open through the restart


@pytest.mark.slow
async def test_storage_away_for_20_s_under_load_jobs_wait_and_the_api_says_503(rig):
    rig, load = rig
    outcome = await faults.under_load(rig, load, faults.storage_outage, shoppers=SHOPPERS, seconds=32,
                                      fault_after=4, lasting=20)
    assert_survived(outcome)
    assert outcome["held_through_outage"] > 0, outcome  # jobs made meanwhile waited, and completed
    [probe] = outcome["probes"]  # an upload while Azurite was away: refused, and soon
    assert (probe["status"], probe["code"], probe["content_type"]) == (
        503, "STORAGE_UNAVAILABLE", "application/problem+json"), probe
    assert int(probe["retry_after"]) > 0 and probe["seconds"] < 20, probe

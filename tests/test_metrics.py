"""Prometheus metrics of a real `serve --workers 1`: scraped from METRICS_PORT (its own
listener; the public port does not serve them), the worker process's figures included."""
from __future__ import annotations

import asyncio
import os
import signal
import time

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from conftest import free_port
from fixtures_server import ServerProcess


async def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """Every sample: (name, sorted labels) -> value."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            text = await response.text()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def with_label(samples: dict, name: str, **labels) -> dict[tuple, float]:
    """The samples of `name` whose labels include `labels`."""
    return {key: v for key, v in samples.items()
            if key[0] == name and set(labels.items()) <= set(key[1])}


async def test_metrics_listener_counts_jobs_stages_cache_http_and_worker_restarts(tmp_path):
    metrics_port = free_port()
    # An engine process for each job: it holds only that job's template loaded, while the
    # worker's folder keeps every sample's file, so the template gauge tells memory from disk.
    server = ServerProcess(str(tmp_path / "var"), "--workers", "1",
                           env={"METRICS_PORT": str(metrics_port), "WORKER_RECYCLE_JOBS": "1"})
    try:
        await server.wait_ready(timeout=240)
        # Not on the public listener.
        status, _ = await server.fetch_bytes("/metrics")
        assert status in (401, 404), status

        status, listing = await server.request("GET", "/api/v1/products")
        assert status == 200
        cabinet = next(p for p in listing["items"] if p["name"] == "Kitchen base cabinet")
        # Seeding queued one preview job per sample product: let the worker finish them first.
        deadline = time.monotonic() + 60
        while value(samples := await scrape(metrics_port), "configurator_jobs_total",
                    status="COMPLETED") < len(listing["items"]):
            assert time.monotonic() < deadline, f"the previews were not made:\n{server.log()}"
            await asyncio.sleep(0.2)
        previews = value(samples, "configurator_jobs_total", status="COMPLETED")
        assert previews == len(listing["items"])
        config = {"width": 0.73}  # not the default: the seeded preview is not this result
        job = await server.submit(cabinet["id"], config)
        assert job["status"] != "COMPLETED"
        done = await server.wait_job(job["id"])
        assert done["status"] == "COMPLETED", (done["error_code"], done["error_message"])

        samples = await scrape(metrics_port)
        # Recorded in the worker process, served by the supervisor's listener.
        assert value(samples, "configurator_jobs_total", status="COMPLETED") == previews + 1
        for stage in ("wait", "load", "apply", "export", "upload"):
            assert value(samples, "configurator_job_stage_seconds_count", stage=stage) >= 1, stage
        assert value(samples, "configurator_template_cache_entries") == 1
        assert value(samples, "configurator_result_cache_misses_total") == 1
        assert value(samples, "configurator_result_cache_hits_total") == 0
        assert value(samples, "configurator_queue_depth") == 0
        assert ("configurator_queue_depth", ()) in samples

        # The same configuration again: answered from the result cache.
        again = await server.submit(cabinet["id"], config)
        assert again["status"] == "COMPLETED"
        samples = await scrape(metrics_port)
        assert value(samples, "configurator_result_cache_hits_total") == 1
        assert value(samples, "configurator_result_cache_misses_total") == 1

        # Requests by route pattern, never by the path with the job's id in it.
        polls = with_label(samples, "configurator_http_request_duration_seconds_count",
                           route="/api/v1/jobs/{id}", method="GET", status="200")
        assert sum(polls.values()) >= 1, sorted(k for k in samples if "http" in k[0])[:20]
        assert value(samples, "configurator_http_request_duration_seconds_count",
                     route="/api/v1/jobs", method="POST", status="200") == 1
        assert value(samples, "configurator_http_request_duration_seconds_count",
                     route="/api/v1/jobs", method="POST", status="202") == 1
        assert not [k for k in samples if k[0].startswith("configurator_http") and job["id"] in str(k[1])]

        # A killed worker is restarted and counted; its figures outlive it.
        os.kill(int(done["worker_id"].split(":")[1]), signal.SIGKILL)
        deadline = time.monotonic() + 60
        while value(samples, "configurator_worker_restarts_total") < 1:
            assert time.monotonic() < deadline, f"no restart counted:\n{server.log()}"
            await asyncio.sleep(0.2)
            samples = await scrape(metrics_port)
        assert value(samples, "configurator_worker_restarts_total") == 1
        assert value(samples, "configurator_jobs_total", status="COMPLETED") == previews + 1
        assert value(samples, "configurator_job_stage_seconds_count", stage="export") >= 1
    finally:
        code = server.stop()
    assert code == 0, server.log()

"""The service's Prometheus metrics and the calls that record them.

The metrics are made on first use, not at import: a process that supervises workers first
turns on prometheus_client's multiprocess mode (`enable_multiprocess`), and a metric made
before that would keep its figures in this process's memory, where the scrape, which reads
the files every process writes, never sees them. Worker processes inherit
PROMETHEUS_MULTIPROC_DIR from the supervisor, so they are in that mode from their start."""
from __future__ import annotations

import os
import shutil

from prometheus_client import Counter, Gauge, Histogram, values

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
STAGES = ("wait", "load", "apply", "export", "upload")
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Metrics:
    def __init__(self):
        self.jobs = Counter("configurator_jobs", "Jobs a worker finished with, by the status they were left in "
                            "(QUEUED: handed back for a retry)", ["status"])
        self.queue_depth = Gauge("configurator_queue_depth", "Jobs waiting in the queue (status QUEUED), "
                                 "read from the database at each scrape", multiprocess_mode="mostrecent")
        self.job_stage_seconds = Histogram("configurator_job_stage_seconds", "Time a completed job spent in "
                                           "each stage", ["stage"], buckets=STAGE_BUCKETS)
        self.cache_hits = Counter("configurator_result_cache_hits", "Job submissions answered from the result "
                                  "cache")
        self.cache_misses = Counter("configurator_result_cache_misses", "Job submissions not answered from the "
                                    "result cache (a new job, or one joined in flight)")
        self.worker_restarts = Counter("configurator_worker_restarts", "Worker processes the supervisor "
                                       "started again after they exited")
        self.template_cache_entries = Gauge("configurator_template_cache_entries", "Template versions held "
                                            "loaded in the worker's engine", multiprocess_mode="livemax")
        self.http_seconds = Histogram("configurator_http_request_duration_seconds", "HTTP requests by route "
                                      "pattern and status", ["route", "method", "status"], buckets=HTTP_BUCKETS)


_metrics: _Metrics | None = None


def metrics() -> _Metrics:
    global _metrics
    if _metrics is None:
        _metrics = _Metrics()
    return _metrics


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def enable_multiprocess(directory: str) -> None:
    """Every process started from here on (the workers inherit the environment) writes its
    figures to files in `directory`, emptied first: what a previous run left is not ours."""
    if _metrics is not None:
        raise RuntimeError("metrics were made before multiprocess mode was turned on")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    os.environ[MULTIPROC_ENV] = directory
    values.ValueClass = values.get_value_class()  # chosen at import, before the variable was set


def process_exited(pid: int) -> None:
    """A worker process is gone: its live gauges no longer count (its counters do)."""
    directory = multiprocess_dir()
    if directory:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, directory)


# -- recording ---------------------------------------------------------------------------------
def job_finished(status: str) -> None:
    metrics().jobs.labels(status=status).inc()


def job_stages(timings: dict) -> None:
    """From a completed job's `timings` (milliseconds: wait_ms, load_ms, ...)."""
    histogram = metrics().job_stage_seconds
    for stage in STAGES:
        value = timings.get(f"{stage}_ms")
        if isinstance(value, (int, float)):
            histogram.labels(stage=stage).observe(max(0.0, float(value)) / 1000)


def result_cache(hit: bool) -> None:
    (metrics().cache_hits if hit else metrics().cache_misses).inc()


def worker_restarted() -> None:
    metrics().worker_restarts.inc()


def template_cache_entries(count: int) -> None:
    """The template versions the worker's engine holds loaded (warm), as its last job left them."""
    metrics().template_cache_entries.set(count)


def http_request(route: str, method: str, status: int, seconds: float) -> None:
    metrics().http_seconds.labels(route=route, method=method, status=str(status)).observe(seconds)


def queue_depth(count: int) -> None:
    metrics().queue_depth.set(count)

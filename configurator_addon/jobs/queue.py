"""Queue operations on PostgreSQL. Each is one autocommit statement from `queries.sql`;
no transaction is held while Blender works, and every worker update is lease-fenced."""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..db.queries import load_queries
from ..errors import ConfiguratorError, ConflictError

SQL = load_queries(os.path.join(os.path.dirname(__file__), "queries.sql"))
QUEUED_CHANNEL = "configurator_jobs_queued"
TERMINAL_STATUSES = ("COMPLETED", "FAILED", "CANCELLED")
EVENTS_CHANNEL = "configurator_job_events"
PRIORITIES = ("live", "background")
# How long a background job may be due before it is claimed as if it were live: long enough
# that speculative work never delays a person waiting while the workers keep up, short enough
# that a steady stream of live jobs cannot starve it for good (docs/service.md, "Priority").
BACKGROUND_AGEING_SECONDS = 60.0


@dataclass(frozen=True)
class Lease:
    """What a worker holds while it processes a claimed job."""

    job_id: object
    lease_id: object


class JobQueue:
    def __init__(self, pool, *, retry_base_delay_seconds: float = 1.0,
                 background_ageing_seconds: float = BACKGROUND_AGEING_SECONDS):
        self.pool = pool
        self.retry_base_delay_seconds = retry_base_delay_seconds
        self.background_ageing_seconds = background_ageing_seconds

    # -- submitting ----------------------------------------------------------------------
    async def submit(self, *, client_id, product_id, configuration_id, user_id, template_blob_path,
                     template_version, config_data, options, cache_key, max_retries, traceparent=None,
                     priority: str = "live"):
        """Returns (job row, created). A result that exists already completes the new job at
        once, without Blender; an identical job in flight is shared (and counts one more
        request, so one requester's cancel does not stop it for the others; a live request
        raises a background job to live). `traceparent`: the submitting request's span, which
        the worker's spans of a new job continue. `priority`: one of PRIORITIES."""
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}, not {priority!r}")
        args = (client_id, product_id, configuration_id, user_id, template_blob_path, template_version,
                config_data, options, cache_key, max_retries, traceparent, priority)
        async with self.pool.acquire() as conn:
            for _ in range(3):  # the in-flight job may finish between our insert and our read
                row = await conn.fetchrow(SQL.submit_job, *args)
                if row is not None:
                    return row, True
                existing = await conn.fetchrow(SQL.join_in_flight_job, client_id, cache_key, priority)
                if existing is not None:
                    return existing, False
            raise ConflictError("the job could not be submitted; try again")

    async def get(self, job_id, client_id):
        return await self.pool.fetchrow(SQL.get_job, job_id, client_id)

    async def request_cancel(self, job_id, client_id):
        return await self.pool.fetchrow(SQL.request_cancel, job_id, client_id)

    # -- working -------------------------------------------------------------------------
    async def claim(self, worker_id: str):
        """The next job to work on (live before background, fair across clients), or None."""
        return await self.pool.fetchrow(SQL.claim_job, worker_id, self.background_ageing_seconds)

    async def heartbeat(self, lease: Lease) -> bool | None:
        """True if cancellation was requested, False if not, None if the lease is lost."""
        return await self.pool.fetchval(SQL.heartbeat, lease.job_id, lease.lease_id)

    async def report_progress(self, lease: Lease, progress: int) -> bool | None:
        return await self.pool.fetchval(SQL.report_progress, lease.job_id, lease.lease_id, progress)

    async def complete(self, lease: Lease, *, blob_path: str, result_url: str, timings: dict, byte_size: int):
        """The completed row, or None when the lease was lost (the result is then dropped)."""
        return await self.pool.fetchrow(SQL.complete_job, lease.job_id, lease.lease_id, blob_path, result_url,
                                        timings, byte_size)

    async def release(self, lease: Lease, error: ConfiguratorError):
        """Retry later if the error is recoverable and attempts remain (its own limit included),
        else fail."""
        return await self.pool.fetchrow(SQL.release_job, lease.job_id, lease.lease_id, error.code,
                                        error.detail[:2000], error.recoverable, self.retry_base_delay_seconds,
                                        error.retry_limit)

    async def cancel_processing(self, lease: Lease):
        return await self.pool.fetchrow(SQL.cancel_processing_job, lease.job_id, lease.lease_id)

    # -- housekeeping --------------------------------------------------------------------
    async def rescue_abandoned(self, lease_timeout_seconds: float) -> list:
        return await self.pool.fetch(SQL.rescue_abandoned_jobs, lease_timeout_seconds,
                                     self.retry_base_delay_seconds)

    async def queue_stale_pending(self, older_than_seconds: float = 30.0) -> list:
        return await self.pool.fetch(SQL.queue_stale_pending_jobs, older_than_seconds)

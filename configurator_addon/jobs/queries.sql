-- The job queue (ARCHITECTURE §5). Every update a worker makes is fenced by its lease:
-- WHERE id = $1 AND lease_id = $2 AND status = 'PROCESSING'. Zero rows = lease lost.

-- name: submit_job
-- One round trip. A job whose result already exists is born COMPLETED (no Blender); any
-- other is born QUEUED (the trigger announces it) unless an identical job is in flight:
-- then nothing is inserted and the caller shares that one. $11: the submitting request's
-- W3C traceparent, which the worker's spans continue (NULL: not traced). $12: the priority,
-- 'live' or 'background'.
WITH cached AS (
    SELECT blob_path FROM results WHERE client_id = $1 AND cache_key = $9
)
INSERT INTO jobs (client_id, product_id, configuration_id, user_id, template_blob_path, template_version,
                  config_data, options, cache_key, max_retries, traceparent, priority,
                  status, progress, result_blob_path, completed_at, timings)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
       CASE WHEN cached.blob_path IS NULL THEN 'QUEUED' ELSE 'COMPLETED' END,
       CASE WHEN cached.blob_path IS NULL THEN 0 ELSE 100 END,
       cached.blob_path,
       CASE WHEN cached.blob_path IS NULL THEN NULL ELSE now() END,
       CASE WHEN cached.blob_path IS NULL THEN '{}'::jsonb ELSE '{"cached": true}'::jsonb END
FROM (SELECT 1) AS one LEFT JOIN cached ON true
ON CONFLICT (client_id, cache_key) WHERE status IN ('PENDING', 'QUEUED', 'PROCESSING') DO NOTHING
RETURNING *;

-- name: join_in_flight_job
-- Another request for the job already computing this result. A live request ($3) raises a
-- background job to live: someone is waiting for it now.
UPDATE jobs SET requesters = requesters + 1, updated_at = now(),
                priority = CASE WHEN $3 = 'live' THEN 'live' ELSE priority END
WHERE client_id = $1 AND cache_key = $2 AND status IN ('PENDING', 'QUEUED', 'PROCESSING')
RETURNING *;

-- name: claim_job
-- One statement, no transaction held while Blender works. Live jobs before background ones
-- (docs/service.md, "Priority"): a background job counts as live once it has been due for $2
-- seconds, so a steady stream of live jobs cannot starve it for good. Within a rank, fair
-- across clients: the one with the fewest jobs PROCESSING now, then the one served least
-- recently (its latest claim is oldest, or it has none), then the one waiting longest; within
-- that client and priority its oldest claimable job. The clients with QUEUED jobs are found by
-- skipping through jobs_claimable_by_client, one index probe per client, so a large backlog
-- of one client costs nothing. A client whose candidate job another claimer holds is passed
-- over (SKIP LOCKED) for the next client and priority in that order, so a locked live job
-- never lets its client's background job go before another client's live one.
WITH RECURSIVE waiting (client_id) AS (
    (SELECT client_id FROM jobs WHERE status = 'QUEUED' ORDER BY client_id LIMIT 1)
    UNION ALL
    SELECT (SELECT j.client_id FROM jobs j
            WHERE j.status = 'QUEUED' AND j.client_id > waiting.client_id
            ORDER BY j.client_id LIMIT 1)
    FROM waiting WHERE waiting.client_id IS NOT NULL
), clients AS (
    SELECT w.client_id,
           (SELECT count(*) FROM jobs p
            WHERE p.client_id = w.client_id AND p.status = 'PROCESSING') AS processing,
           (SELECT max(s.started_at) FROM jobs s
            WHERE s.client_id = w.client_id AND s.started_at IS NOT NULL) AS last_claimed
    FROM waiting w
    WHERE w.client_id IS NOT NULL
), candidates AS (
    SELECT c.client_id, level.priority, c.processing, c.last_claimed,
           (SELECT min(q.run_after) FROM jobs q
            WHERE q.client_id = c.client_id AND q.priority = level.priority AND q.status = 'QUEUED') AS due
    FROM clients c CROSS JOIN (VALUES ('live'), ('background')) AS level (priority)
), ranked AS (
    SELECT *, CASE WHEN priority = 'live' OR due <= now() - make_interval(secs => $2) THEN 0 ELSE 1 END AS rank
    FROM candidates WHERE due <= now()
), next AS MATERIALIZED (
    SELECT job.id
    FROM (SELECT * FROM ranked ORDER BY rank, processing, last_claimed NULLS FIRST, due, client_id) AS c
    CROSS JOIN LATERAL (
        SELECT id FROM jobs
        WHERE client_id = c.client_id AND priority = c.priority AND status = 'QUEUED' AND run_after <= now()
        ORDER BY run_after, created_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    ) AS job
    ORDER BY c.rank, c.processing, c.last_claimed NULLS FIRST, c.due, c.client_id
    LIMIT 1
)
UPDATE jobs j
SET status = 'PROCESSING', attempt = j.attempt + 1, lease_id = gen_random_uuid(), worker_id = $1,
    heartbeat_at = now(), started_at = now(), progress = 0, updated_at = now(),
    timings = j.timings || jsonb_build_object('wait_ms', round(extract(epoch FROM now() - j.run_after) * 1000))
FROM next
WHERE j.id = next.id
RETURNING j.*;

-- name: heartbeat
-- Returns whether cancellation was requested; no row = lease lost.
UPDATE jobs SET heartbeat_at = now()
WHERE id = $1 AND lease_id = $2 AND status = 'PROCESSING'
RETURNING cancel_requested_at IS NOT NULL AS cancel_requested;

-- name: report_progress
UPDATE jobs SET progress = $3, heartbeat_at = now(), updated_at = now()
WHERE id = $1 AND lease_id = $2 AND status = 'PROCESSING'
RETURNING cancel_requested_at IS NOT NULL AS cancel_requested;

-- name: complete_job
-- The GLB is already stored at its content-addressed path; record it as a reusable result too.
WITH done AS (
    UPDATE jobs
    SET status = 'COMPLETED', progress = 100, result_blob_path = $3, result_url = $4,
        timings = timings || $5::jsonb, completed_at = now(), updated_at = now(),
        error_code = NULL, error_message = NULL
    WHERE id = $1 AND lease_id = $2 AND status = 'PROCESSING'
    RETURNING *
), remembered AS (
    INSERT INTO results (client_id, cache_key, blob_path, byte_size)
    SELECT client_id, cache_key, result_blob_path, $6 FROM done
    ON CONFLICT (client_id, cache_key) DO NOTHING
)
SELECT * FROM done;

-- name: release_job
-- After an error: retry later (recoverable, attempts left), else fail; a requested cancel wins.
-- $3 error_code, $4 error_message, $5 recoverable, $6 base delay in seconds, $7 the error's own
-- retry limit (NULL: the job's max_retries; 1 for a deterministic failure of the job itself).
UPDATE jobs
SET status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'CANCELLED'
                  WHEN $5 AND retry_count < least(max_retries, coalesce($7, max_retries)) THEN 'QUEUED'
                  ELSE 'FAILED' END,
    retry_count = retry_count + CASE WHEN cancel_requested_at IS NULL AND $5
                                          AND retry_count < least(max_retries, coalesce($7, max_retries))
                                     THEN 1 ELSE 0 END,
    run_after = now() + make_interval(secs => $6 * power(2, retry_count)),
    error_code = $3, error_message = $4, lease_id = NULL, progress = 0,
    completed_at = CASE WHEN cancel_requested_at IS NOT NULL
                             OR NOT ($5 AND retry_count < least(max_retries, coalesce($7, max_retries)))
                        THEN now() END,
    updated_at = now()
WHERE id = $1 AND lease_id = $2 AND status = 'PROCESSING'
RETURNING *;

-- name: cancel_processing_job
-- The worker honours a requested cancel between stages.
UPDATE jobs SET status = 'CANCELLED', lease_id = NULL, completed_at = now(), updated_at = now()
WHERE id = $1 AND lease_id = $2 AND status = 'PROCESSING'
RETURNING *;

-- name: request_cancel
-- Withdraws one request. When none is left, PENDING/QUEUED stop at once and PROCESSING is
-- asked to stop. Terminal jobs are returned unchanged. (SET reads the row as it was.)
UPDATE jobs
SET requesters = CASE WHEN status IN ('PENDING', 'QUEUED', 'PROCESSING') THEN greatest(requesters - 1, 0)
                      ELSE requesters END,
    status = CASE WHEN requesters <= 1 AND status IN ('PENDING', 'QUEUED') THEN 'CANCELLED' ELSE status END,
    cancel_requested_at = CASE WHEN requesters <= 1 AND status = 'PROCESSING'
                               THEN coalesce(cancel_requested_at, now()) ELSE cancel_requested_at END,
    completed_at = CASE WHEN requesters <= 1 AND status IN ('PENDING', 'QUEUED') THEN now() ELSE completed_at END,
    updated_at = now()
WHERE id = $1 AND client_id = $2
RETURNING *;

-- name: rescue_abandoned_jobs
-- PROCESSING jobs whose worker stopped heart-beating: retry with backoff, fail when attempts
-- are spent, cancel when asked. The status check is inside the UPDATE, so a late heartbeat
-- or completion and a rescue never both win. $1 lease timeout (s), $2 base delay (s).
UPDATE jobs
SET status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'CANCELLED'
                  WHEN retry_count < max_retries THEN 'QUEUED'
                  ELSE 'FAILED' END,
    retry_count = retry_count + CASE WHEN cancel_requested_at IS NULL AND retry_count < max_retries
                                     THEN 1 ELSE 0 END,
    run_after = now() + make_interval(secs => $2 * power(2, retry_count)),
    error_code = 'WORKER_LOST',
    error_message = 'the worker processing this job stopped responding',
    lease_id = NULL, progress = 0,
    completed_at = CASE WHEN cancel_requested_at IS NOT NULL OR retry_count >= max_retries THEN now() END,
    updated_at = now()
WHERE status = 'PROCESSING' AND heartbeat_at < now() - make_interval(secs => $1)
RETURNING *;

-- name: queue_stale_pending_jobs
-- A job left PENDING (its creator died between insert and enqueue) becomes claimable.
UPDATE jobs SET status = 'QUEUED', updated_at = now()
WHERE status = 'PENDING' AND created_at < now() - make_interval(secs => $1)
RETURNING id;

-- name: get_job
SELECT * FROM jobs WHERE id = $1 AND client_id = $2;

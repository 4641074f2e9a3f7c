-- Fairness across clients (docs/service.md, "Fairness").
--
-- Claims pick a client first, then that client's oldest claimable job: the queue is read
-- per client, and the least recently served client is found from its latest claim.
DROP INDEX jobs_claimable;
CREATE INDEX jobs_claimable_by_client ON jobs (client_id, run_after, created_at) WHERE status = 'QUEUED';
CREATE INDEX jobs_started_by_client ON jobs (client_id, started_at) WHERE started_at IS NOT NULL;

-- Job submissions per client: a token bucket, refilled lazily when a submission takes a token.
-- `tokens` is the level at `updated_at`.
CREATE TABLE submission_buckets (
    client_id   uuid PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    tokens      double precision NOT NULL CHECK (tokens >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

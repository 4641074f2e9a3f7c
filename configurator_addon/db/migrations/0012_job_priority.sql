-- Job priority (docs/service.md, "Priority"): `live` for a model a person is waiting for (the
-- default), `background` for one made in case it is asked for (the configurator's speculative
-- neighbours of the shown configuration). Claims take live jobs before background ones, across
-- all clients; a background job due for longer than the queue's ageing time counts as live, so
-- it is never starved for good. A live request that joins a background job in flight raises it.
-- Not part of the cache key: the result is the same model.
ALTER TABLE jobs ADD COLUMN priority text NOT NULL DEFAULT 'live' CHECK (priority IN ('live', 'background'));

-- The claim reads each client's oldest due job of each priority: one index probe per client and
-- priority. Still led by client_id for the skip through the clients with QUEUED jobs, and still
-- holding run_after for KEDA's index-only count of the due ones (deploy/keda/claimable_jobs.sql).
DROP INDEX jobs_claimable_by_client;
CREATE INDEX jobs_claimable_by_client ON jobs (client_id, priority, run_after, created_at) WHERE status = 'QUEUED';

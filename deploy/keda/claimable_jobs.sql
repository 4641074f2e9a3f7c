-- The jobs a worker may claim now: the rows `claim_job` (configurator_addon/jobs/queries.sql) can
-- take, QUEUED and due. A retry waiting out its backoff is QUEUED too but not counted: no worker
-- could take it yet, so it must not start a replica that would only sit idle until it is due.
-- KEDA's postgresql scaler runs this on every poll (deploy/main.bicep); tests/test_deploy.py
-- checks its count against what the real queue claims. It is an index-only count on
-- jobs_claimable (the partial index of QUEUED jobs by run_after).
SELECT count(*) FROM jobs WHERE status = 'QUEUED' AND run_after <= now()

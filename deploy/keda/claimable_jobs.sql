-- The jobs a worker may claim now: the rows `claim_job` (configurator_addon/jobs/queries.sql) can
-- take, QUEUED and due. A retry waiting out its backoff is QUEUED too but not counted: no worker
-- could take it yet, so it must not start a replica that would only sit idle until it is due.
-- KEDA's postgresql scaler runs this on every poll (deploy/main.bicep); tests/test_deploy.py
-- checks its count against what the real queue claims. An index-only scan of a partial index of
-- QUEUED jobs: 12 ms with 50,000 due and as many waiting (bench/keda_query.py), every 30 s.
SELECT count(*) FROM jobs WHERE status = 'QUEUED' AND run_after <= now()

-- The retention sweep (services/retention.py). Deletions run in batches ($2 rows at most)
-- and skip rows another transaction holds, so a backlog never holds long locks; each
-- candidate query names every reason to keep a row, so nothing else can match it.

-- name: try_lock
-- Session-level, on the sweep's own connection (closing it releases the lock): one sweep at
-- a time across all replicas; the others skip their turn.
SELECT pg_try_advisory_lock($1);

-- name: delete_expired_jobs
-- Finished jobs (completed, failed, cancelled) finished more than $1 seconds ago. Queued and
-- running jobs are never matched, however old. FOR UPDATE re-checks a row changed meanwhile.
WITH doomed AS (
    SELECT id FROM jobs
    WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED')
      AND coalesce(completed_at, updated_at) < now() - make_interval(secs => $1)
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
DELETE FROM jobs j USING doomed
WHERE j.id = doomed.id
RETURNING j.id;

-- name: unreferenced_glbs
-- Of the listed GLBs ($1 paths, $2 their clients, NULL for a folder that is no client id,
-- $3 their cache keys), those that nothing refers to: no job (of any status, by result path
-- or by the client's cache key: a running job writes exactly that blob), no cached result
-- (by path or by key) and no product's preview (its current default configuration's key).
SELECT g.path
FROM unnest($1::text[], $2::uuid[], $3::text[]) AS g(path, client_id, cache_key)
WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.result_blob_path = g.path)
  AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.client_id = g.client_id AND j.cache_key = g.cache_key)
  AND NOT EXISTS (SELECT 1 FROM results r WHERE r.blob_path = g.path)
  AND NOT EXISTS (SELECT 1 FROM results r WHERE r.client_id = g.client_id AND r.cache_key = g.cache_key)
  AND NOT EXISTS (SELECT 1 FROM products p WHERE p.client_id = g.client_id AND p.default_cache_key = g.cache_key);

-- name: delete_expired_results
-- Cached results made more than $1 seconds ago that no job (the record of every use: a cache
-- hit is a job too) and no product preview of the same client refers to any more.
WITH doomed AS (
    SELECT r.client_id, r.cache_key FROM results r
    WHERE r.created_at < now() - make_interval(secs => $1)
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.client_id = r.client_id AND j.cache_key = r.cache_key)
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.result_blob_path = r.blob_path)
      AND NOT EXISTS (SELECT 1 FROM products p WHERE p.client_id = r.client_id AND p.default_cache_key = r.cache_key)
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
DELETE FROM results r USING doomed
WHERE r.client_id = doomed.client_id AND r.cache_key = doomed.cache_key
RETURNING r.client_id, r.cache_key, r.blob_path;

-- name: delete_retired_template_versions
-- Template versions other than their product's current one, superseded (the next version
-- uploaded) more than $1 seconds ago, that no configuration of the product was saved with and
-- no unfinished job of the product reads. The product row is locked too (NO KEY UPDATE: job
-- and configuration inserts still pass), so a template replacement running meanwhile, which
-- may re-upload the same template, waits for this transaction or makes it skip the product.
WITH doomed AS (
    SELECT v.product_id, v.schema_version
    FROM product_versions v
    JOIN products p ON p.id = v.product_id
    WHERE v.schema_version <> p.schema_version
      AND NOT EXISTS (SELECT 1 FROM configurations c
                      WHERE c.client_id = p.client_id AND c.product_id = p.id
                        AND c.product_schema_version = v.schema_version)
      AND NOT EXISTS (SELECT 1 FROM jobs j
                      WHERE j.client_id = p.client_id AND j.product_id = p.id
                        AND j.template_blob_path = v.template_blob_path
                        AND j.status IN ('PENDING', 'QUEUED', 'PROCESSING'))
      AND (SELECT min(n.created_at) FROM product_versions n
           WHERE n.product_id = v.product_id AND n.schema_version > v.schema_version)
          < now() - make_interval(secs => $1)
    ORDER BY v.product_id, v.schema_version
    LIMIT $2
    FOR UPDATE OF v SKIP LOCKED
    FOR NO KEY UPDATE OF p SKIP LOCKED
)
DELETE FROM product_versions v USING doomed, products p
WHERE v.product_id = doomed.product_id AND v.schema_version = doomed.schema_version AND p.id = v.product_id
RETURNING p.client_id, v.product_id, v.schema_version, v.template_blob_path;

-- name: unreferenced_templates
-- Of the template blobs $1 (of versions just deleted, in this transaction), those neither a
-- product nor a remaining template version names: the same template uploaded again later has
-- the same path, and its blob then belongs to the newer version. (Unfinished jobs reading a
-- path kept its version above.)
SELECT t.path
FROM unnest($1::text[]) AS t(path)
WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.template_blob_path = t.path)
  AND NOT EXISTS (SELECT 1 FROM product_versions v WHERE v.template_blob_path = t.path);

-- name: delete_idle_rate_buckets
-- Storefront rate buckets (per key, per address) untouched for $1 seconds: full again, so
-- deleting them changes nothing, and addresses do not pile up.
DELETE FROM rate_buckets WHERE updated_at < now() - make_interval(secs => $1)
RETURNING name;

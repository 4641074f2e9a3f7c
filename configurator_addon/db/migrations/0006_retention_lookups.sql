-- The retention sweep asks, for each candidate GLB and cached result, whether any job refers
-- to it: by the client's cache key (every status, not only the jobs in flight that
-- jobs_one_in_flight_per_result covers) and by result path. Without these it scans jobs.
CREATE INDEX jobs_by_cache_key ON jobs (client_id, cache_key);
CREATE INDEX jobs_by_result_blob ON jobs (result_blob_path) WHERE result_blob_path IS NOT NULL;

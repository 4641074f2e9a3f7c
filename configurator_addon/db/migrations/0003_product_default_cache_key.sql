-- The result cache key of each product's default configuration, so listing products finds
-- their preview GLB with a join instead of recomputing keys per request.
ALTER TABLE products ADD COLUMN default_cache_key text;
ALTER TABLE product_versions ADD COLUMN default_cache_key text;

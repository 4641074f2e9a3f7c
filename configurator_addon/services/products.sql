-- Products and their template versions. Every statement is scoped by client_id ($1).

-- name: list_products
-- Summaries (no schema), each with the blob of its default configuration's GLB if generated,
-- and the number of products in all pages (one round trip for a page).
-- With the current version's thumbnails (NULL until rendered).
SELECT p.id, p.name, p.description, p.template_version, p.schema_version, p.created_at, p.updated_at,
       r.blob_path AS preview_blob_path, v.thumbnails, count(*) OVER () AS total
FROM products p
LEFT JOIN results r ON r.client_id = p.client_id AND r.cache_key = p.default_cache_key
LEFT JOIN product_versions v ON v.product_id = p.id AND v.schema_version = p.schema_version
WHERE p.client_id = $1
ORDER BY p.created_at DESC, p.id DESC
LIMIT $2 OFFSET $3;

-- name: count_products
SELECT count(*) FROM products WHERE client_id = $1;

-- name: get_product
SELECT p.*, r.blob_path AS preview_blob_path, v.thumbnails
FROM products p
LEFT JOIN results r ON r.client_id = p.client_id AND r.cache_key = p.default_cache_key
LEFT JOIN product_versions v ON v.product_id = p.id AND v.schema_version = p.schema_version
WHERE p.client_id = $1 AND p.id = $2;

-- name: insert_product
INSERT INTO products (id, client_id, name, description, template_blob_path, template_version, config_schema,
                      parameters, default_cache_key)
VALUES ($2, $1, $3, $4, $5, $6, $7, $8, $9)
RETURNING *, NULL::text AS preview_blob_path, NULL::jsonb AS thumbnails;

-- name: insert_product_version
INSERT INTO product_versions (product_id, schema_version, template_blob_path, template_version, config_schema,
                              parameters, default_cache_key)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: update_product_template
UPDATE products
SET template_blob_path = $3, template_version = $4, config_schema = $5, parameters = $6,
    default_cache_key = $7, schema_version = schema_version + 1, updated_at = now()
WHERE client_id = $1 AND id = $2
RETURNING *, (SELECT blob_path FROM results r WHERE r.client_id = $1 AND r.cache_key = $7) AS preview_blob_path,
          NULL::jsonb AS thumbnails;

-- name: find_product_by_name
SELECT * FROM products WHERE client_id = $1 AND name = $2;

-- name: set_version_thumbnails
-- The rendered thumbnails of one template version of the client's product ($4: JSON array).
UPDATE product_versions v SET thumbnails = $4
FROM products p
WHERE p.client_id = $1 AND p.id = $2 AND v.product_id = p.id AND v.template_version = $3;

-- name: versions_without_thumbnails
-- Every client's products whose current version has no thumbnails yet (seeded, made before
-- they existed, or whose render was cut short by a restart), oldest first.
SELECT p.id, p.client_id, p.template_version, p.template_blob_path
FROM products p
JOIN product_versions v ON v.product_id = p.id AND v.schema_version = p.schema_version
WHERE v.thumbnails IS NULL
ORDER BY p.created_at, p.id;

-- name: try_catch_up_lock
-- Session-level: one thumbnail catch-up at a time across all API processes.
SELECT pg_try_advisory_lock($1);

-- name: release_catch_up_lock
SELECT pg_advisory_unlock($1);

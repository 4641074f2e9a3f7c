-- Products and their template versions. Every statement is scoped by client_id ($1).

-- name: list_products
SELECT p.*
FROM products p
WHERE p.client_id = $1
ORDER BY p.created_at DESC, p.id DESC
LIMIT $2 OFFSET $3;

-- name: count_products
SELECT count(*) FROM products WHERE client_id = $1;

-- name: get_product
SELECT * FROM products WHERE client_id = $1 AND id = $2;

-- name: get_product_version
SELECT v.* FROM product_versions v JOIN products p ON p.id = v.product_id
WHERE p.client_id = $1 AND v.product_id = $2 AND v.schema_version = $3;

-- name: insert_product
INSERT INTO products (id, client_id, name, description, template_blob_path, template_version, config_schema,
                      parameters)
VALUES ($2, $1, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: insert_product_version
INSERT INTO product_versions (product_id, schema_version, template_blob_path, template_version, config_schema,
                              parameters)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: update_product_template
UPDATE products
SET template_blob_path = $3, template_version = $4, config_schema = $5, parameters = $6,
    schema_version = schema_version + 1, updated_at = now()
WHERE client_id = $1 AND id = $2
RETURNING *;

-- name: find_product_by_name
SELECT * FROM products WHERE client_id = $1 AND name = $2;

-- name: find_results
-- Generated GLBs among the given cache keys (e.g. products' default configurations).
SELECT cache_key, blob_path FROM results WHERE client_id = $1 AND cache_key = ANY($2::text[]);

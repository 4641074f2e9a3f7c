-- A product's stored versions and the saved configurations checked against one of them.
-- Every statement is scoped by client_id ($1): product_versions has no client column, so
-- its rows are reached through their product, of that client.

-- name: list_versions
-- Newest first; a version with no properties (or no schema) counts 0 parameters.
SELECT pv.schema_version, pv.template_version, pv.created_at,
       (SELECT count(*) FROM json_object_keys(
            CASE WHEN json_typeof(pv.config_schema -> 'properties') = 'object'
                 THEN pv.config_schema -> 'properties' END)) AS parameter_count
FROM product_versions pv
JOIN products p ON p.id = pv.product_id
WHERE p.client_id = $1 AND pv.product_id = $2
ORDER BY pv.schema_version DESC;

-- name: get_version
SELECT pv.schema_version, pv.config_schema, pv.parameters
FROM product_versions pv
JOIN products p ON p.id = pv.product_id
WHERE p.client_id = $1 AND pv.product_id = $2 AND pv.schema_version = $3;

-- name: previous_version
-- The newest version stored before $3 (the retention sweep may have deleted n-1).
SELECT pv.schema_version, pv.config_schema, pv.parameters
FROM product_versions pv
JOIN products p ON p.id = pv.product_id
WHERE p.client_id = $1 AND pv.product_id = $2 AND pv.schema_version < $3
ORDER BY pv.schema_version DESC
LIMIT 1;

-- name: configurations_page
-- The product's saved configurations, every owner's and whatever their schema version,
-- newest first, a page at a time after the key ($3 created_at, $4 id) of the previous page's last.
SELECT id, name, config_data, created_at
FROM configurations
WHERE client_id = $1 AND product_id = $2
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $5;

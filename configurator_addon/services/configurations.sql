-- Saved configurations. Every statement is scoped by client_id ($1), and by whose rows the
-- caller sees (services/configurations.py, `Visibility`): $2 a user's own, $3 those made with
-- one API key; NULL for either means no such narrowing.

-- name: list_configurations
SELECT c.*
FROM configurations c
WHERE c.client_id = $1 AND ($2::uuid IS NULL OR c.user_id = $2) AND ($3::uuid IS NULL OR c.api_key_id = $3)
  AND ($4::uuid IS NULL OR c.product_id = $4)
ORDER BY c.created_at DESC, c.id DESC
LIMIT $5 OFFSET $6;

-- name: count_configurations
SELECT count(*) FROM configurations
WHERE client_id = $1 AND ($2::uuid IS NULL OR user_id = $2) AND ($3::uuid IS NULL OR api_key_id = $3)
  AND ($4::uuid IS NULL OR product_id = $4);

-- name: get_configuration
SELECT * FROM configurations
WHERE client_id = $1 AND ($2::uuid IS NULL OR user_id = $2) AND ($3::uuid IS NULL OR api_key_id = $3)
  AND id = $4;

-- name: insert_configuration
INSERT INTO configurations (client_id, user_id, api_key_id, product_id, name, config_data, product_schema_version)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: update_configuration
-- $5 a new name or NULL; $6 new values and $7 their schema version, or NULL. New values drop
-- the thumbnails of the old ones (the API says null until the new ones are rendered).
UPDATE configurations
SET name = coalesce($5, name),
    config_data = coalesce($6, config_data),
    product_schema_version = coalesce($7, product_schema_version),
    thumbnails = CASE WHEN $6::jsonb IS NULL OR $6::jsonb = config_data THEN thumbnails END,
    updated_at = now()
WHERE client_id = $1 AND ($2::uuid IS NULL OR user_id = $2) AND ($3::uuid IS NULL OR api_key_id = $3)
  AND id = $4
RETURNING *;

-- name: names_like
-- The name keys (configuration_name_key, migration 0013) of a user's configurations that start
-- with the key $3: where a free name is looked for.
SELECT configuration_name_key(name) AS name_key FROM configurations
WHERE client_id = $1 AND user_id = $2 AND starts_with(configuration_name_key(name), configuration_name_key($3));

-- name: configuration_template
-- What a configuration's thumbnails are rendered from: its values and the template of the
-- schema version they were saved with.
SELECT c.config_data, v.template_blob_path, v.template_version
FROM configurations c
JOIN product_versions v ON v.product_id = c.product_id AND v.schema_version = c.product_schema_version
WHERE c.client_id = $1 AND c.id = $2;

-- name: set_configuration_thumbnails
-- Recorded only while the configuration still holds the values drawn ($3).
UPDATE configurations SET thumbnails = $4
WHERE client_id = $1 AND id = $2 AND config_data = $3::jsonb
RETURNING id;

-- name: delete_configuration
DELETE FROM configurations
WHERE client_id = $1 AND ($2::uuid IS NULL OR user_id = $2) AND ($3::uuid IS NULL OR api_key_id = $3)
  AND id = $4
RETURNING id;

-- name: get_owner
SELECT user_id FROM configurations WHERE client_id = $1 AND id = $2;

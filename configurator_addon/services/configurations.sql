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

-- name: rename_configuration
UPDATE configurations SET name = $5, updated_at = now()
WHERE client_id = $1 AND ($2::uuid IS NULL OR user_id = $2) AND ($3::uuid IS NULL OR api_key_id = $3)
  AND id = $4
RETURNING *;

-- name: delete_configuration
DELETE FROM configurations
WHERE client_id = $1 AND ($2::uuid IS NULL OR user_id = $2) AND ($3::uuid IS NULL OR api_key_id = $3)
  AND id = $4
RETURNING id;

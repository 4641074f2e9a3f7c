-- Saved configurations. Every statement is scoped by client_id ($1).

-- name: list_configurations
SELECT c.*
FROM configurations c
WHERE c.client_id = $1 AND ($2::uuid IS NULL OR c.product_id = $2)
ORDER BY c.created_at DESC, c.id DESC
LIMIT $3 OFFSET $4;

-- name: count_configurations
SELECT count(*) FROM configurations WHERE client_id = $1 AND ($2::uuid IS NULL OR product_id = $2);

-- name: get_configuration
SELECT * FROM configurations WHERE client_id = $1 AND id = $2;

-- name: insert_configuration
INSERT INTO configurations (client_id, product_id, user_id, name, config_data, product_schema_version)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: rename_configuration
UPDATE configurations SET name = $3, updated_at = now()
WHERE client_id = $1 AND id = $2
RETURNING *;

-- name: delete_configuration
DELETE FROM configurations WHERE client_id = $1 AND id = $2
RETURNING id;

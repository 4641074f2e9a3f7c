-- name: create_client
INSERT INTO clients (name) VALUES ($1)
RETURNING id, name, disabled_at, created_at;

-- name: get_client
SELECT id, name, disabled_at, created_at FROM clients WHERE id = $1;

-- name: list_clients
SELECT id, name, disabled_at, created_at FROM clients ORDER BY created_at, id;

-- name: disable_client
-- Only a client that is not disabled yet: the first disabling time is kept.
UPDATE clients SET disabled_at = now(), updated_at = now()
WHERE id = $1 AND disabled_at IS NULL
RETURNING id, name, disabled_at, created_at;

-- name: enable_client
UPDATE clients SET disabled_at = NULL, updated_at = now()
WHERE id = $1 AND disabled_at IS NOT NULL
RETURNING id, name, disabled_at, created_at;

-- name: create_key
-- $1 client; $8 the user creating it (NULL: the operator), who must belong to that client
-- (no row otherwise). Only the key's hash and its first characters are stored.
INSERT INTO api_keys (client_id, kind, role, name, shown_prefix, key_hash, allowed_origins, created_by)
SELECT $1, $2, $3, $4, $5, $6, $7, $8
WHERE $8::uuid IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $8 AND client_id = $1)
RETURNING id, client_id, kind, role, name, shown_prefix, allowed_origins, created_at;

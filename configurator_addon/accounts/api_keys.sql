-- name: create_key
-- $1 client; $8 the user creating it (NULL: the operator), who must belong to that client
-- (no row otherwise). Only the key's hash and its first characters are stored.
INSERT INTO api_keys (client_id, kind, role, name, shown_prefix, key_hash, allowed_origins, created_by)
SELECT $1, $2, $3, $4, $5, $6, $7, $8
WHERE $8::uuid IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $8 AND client_id = $1)
RETURNING id, client_id, kind, role, name, shown_prefix, allowed_origins, created_at, last_used_at, revoked_at,
          created_by;

-- name: client_keys
-- A client's keys for its admins, newest first: never the hash.
SELECT id, client_id, kind, role, name, shown_prefix, allowed_origins, created_at, last_used_at, revoked_at,
       created_by
FROM api_keys WHERE client_id = $1
ORDER BY created_at DESC, id DESC;

-- name: client_key
SELECT id, client_id, kind, role, name, shown_prefix, allowed_origins, created_at, last_used_at, revoked_at,
       created_by
FROM api_keys WHERE id = $1 AND client_id = $2;

-- name: revoke_key
-- $2 the client acting: another client's key is not touched (no row).
UPDATE api_keys SET revoked_at = now()
WHERE id = $1 AND client_id = $2 AND revoked_at IS NULL
RETURNING id, client_id, kind, role, name, shown_prefix, allowed_origins, created_at, last_used_at, revoked_at,
          created_by;

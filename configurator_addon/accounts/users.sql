-- name: create_user
-- $1 client; the email is unique across all clients, whatever its case (users_by_email).
INSERT INTO users (client_id, email, name, role, password_hash, password_changed_at)
VALUES ($1, $2, $3, $4, $5, CASE WHEN $5::text IS NULL THEN NULL ELSE now() END)
RETURNING id, client_id, email, name, role, created_at;

-- name: list_users
SELECT id, client_id, email, name, role, created_at, password_hash IS NOT NULL AS has_password
FROM users WHERE client_id = $1
ORDER BY created_at, id;

-- name: lock_admins
-- The client's admins, locked in a fixed order: changes that could leave none are taken in turn.
SELECT id FROM users WHERE client_id = $1 AND role = 'admin' ORDER BY id FOR UPDATE;

-- name: user_of_client
-- Another client's user is no row, like an unknown one.
SELECT id, client_id, email, name, role, created_at, password_hash IS NOT NULL AS has_password
FROM users WHERE client_id = $1 AND id = $2
FOR UPDATE;

-- name: update_user
UPDATE users SET name = $3, role = $4, updated_at = now()
WHERE client_id = $1 AND id = $2
RETURNING id, client_id, email, name, role, created_at, password_hash IS NOT NULL AS has_password;

-- name: live_sessions
SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL;

-- name: delete_user
-- Its sessions, refresh tokens and links go with it (ON DELETE CASCADE).
DELETE FROM users WHERE client_id = $1 AND id = $2;

-- name: client_name
SELECT name FROM clients WHERE id = $1;

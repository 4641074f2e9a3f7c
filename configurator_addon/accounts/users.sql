-- name: create_user
-- $1 client; the email is unique across all clients, whatever its case (users_by_email).
INSERT INTO users (client_id, email, name, role, password_hash, password_changed_at)
VALUES ($1, $2, $3, $4, $5, CASE WHEN $5::text IS NULL THEN NULL ELSE now() END)
RETURNING id, client_id, email, name, role, created_at;

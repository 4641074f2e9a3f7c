-- name: create_secret
-- The first process to need a secret makes it; the others keep the one already there.
INSERT INTO service_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;

-- name: read_secret
SELECT value FROM service_secrets WHERE name = $1;

-- name: user_for_login
-- The user an email names (emails are unique regardless of case), with the client's state.
SELECT u.id, u.email, u.name, u.role, u.password_hash, u.client_id, c.name AS client_name,
       c.disabled_at IS NOT NULL AS client_disabled
FROM users u JOIN clients c ON c.id = u.client_id
WHERE lower(u.email) = lower($1);

-- name: user_by_id
SELECT u.id, u.email, u.name, u.role, u.password_hash, u.client_id, c.name AS client_name,
       c.disabled_at IS NOT NULL AS client_disabled
FROM users u JOIN clients c ON c.id = u.client_id
WHERE u.id = $1;

-- name: rehash_password
UPDATE users SET password_hash = $2 WHERE id = $1;

-- name: set_password
-- A new password spends the user's outstanding reset and invitation links too.
WITH spent AS (UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL)
UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1;

-- name: create_session
INSERT INTO sessions (user_id, client_id, expires_at, user_agent, ip)
VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5)
RETURNING id;

-- name: add_refresh_token
INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2);

-- name: refresh_token_for_use
-- The token with its session, user and client; locked, so two uses of one token are seen in turn.
SELECT r.session_id, r.replaced_at IS NOT NULL AS replaced,
       s.revoked_at IS NOT NULL OR s.expires_at <= now() AS session_dead,
       u.id AS user_id, u.email, u.name, u.role, u.client_id, c.name AS client_name,
       c.disabled_at IS NOT NULL AS client_disabled
FROM refresh_tokens r
JOIN sessions s ON s.id = r.session_id
JOIN users u ON u.id = s.user_id
JOIN clients c ON c.id = s.client_id
WHERE r.token_hash = $1
FOR UPDATE OF r;

-- name: replace_refresh_token
UPDATE refresh_tokens SET replaced_at = now() WHERE token_hash = $1 AND replaced_at IS NULL;

-- name: session_of_refresh_token
SELECT r.session_id, s.user_id, s.client_id
FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
WHERE r.token_hash = $1;

-- name: revoke_session
UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
RETURNING user_id, client_id;

-- name: revoke_other_sessions
UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL
RETURNING id;

-- name: forget_refresh_tokens
-- The session's earlier refresh tokens: unknown from now on (not reuses: nothing to revoke).
DELETE FROM refresh_tokens WHERE session_id = $1;

-- name: session_state
-- What every request's session is checked against (cached a few seconds per process).
SELECT s.revoked_at IS NOT NULL OR s.expires_at <= now() AS dead,
       c.disabled_at IS NOT NULL AS client_disabled, u.role
FROM sessions s
JOIN users u ON u.id = s.user_id
JOIN clients c ON c.id = s.client_id
WHERE s.id = $1;

-- name: api_key_by_hash
-- A key presented as a bearer token, with its client's state; marks when it was last seen.
UPDATE api_keys k SET last_used_at = now()
FROM clients c
WHERE k.key_hash = $1 AND c.id = k.client_id
RETURNING k.id, k.client_id, k.kind, k.role, k.allowed_origins, k.revoked_at IS NOT NULL AS revoked,
          c.disabled_at IS NOT NULL AS client_disabled;

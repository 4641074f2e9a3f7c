-- name: user_for_reset
-- The user an email names (whatever its case), and how many links they were sent lately.
SELECT u.id, u.email, u.name, u.client_id, c.name AS client_name,
       (SELECT count(*) FROM password_resets r
        WHERE r.user_id = u.id AND r.created_at > now() - make_interval(secs => $2)) AS recent_tokens
FROM users u JOIN clients c ON c.id = u.client_id
WHERE lower(u.email) = lower($1);

-- name: add_token
INSERT INTO password_resets (token_hash, user_id, expires_at)
VALUES ($1, $2, now() + make_interval(secs => $3));

-- name: token_is_usable
SELECT EXISTS (SELECT 1 FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now());

-- name: use_token
-- Single use: only an unused, unexpired token is marked used (and names its user).
UPDATE password_resets r SET used_at = now()
FROM users u
WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now() AND u.id = r.user_id
RETURNING r.user_id, u.client_id, u.password_hash IS NOT NULL AS had_password;

-- name: use_other_tokens
-- Once a password is set, the user's other links are spent too.
UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL;

-- name: set_password
UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1;

-- name: revoke_sessions
UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL
RETURNING id;

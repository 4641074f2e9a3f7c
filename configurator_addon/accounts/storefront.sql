-- The server's own storefront key (accounts/storefront.py), kept in `service_secrets`.

-- name: lock_storefront
SELECT pg_advisory_xact_lock(hashtext('configurator.storefront_key'));

-- name: storefront_key
-- The key while it can be used: not revoked, its client not disabled.
SELECT convert_from(s.value, 'UTF8') AS key
FROM service_secrets s
JOIN api_keys k ON k.key_hash = sha256(s.value)
JOIN clients c ON c.id = k.client_id
WHERE s.name = $1 AND k.revoked_at IS NULL AND c.disabled_at IS NULL;

-- name: save_storefront_key
INSERT INTO service_secrets (name, value) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, created_at = now();

-- name: set_first_password
-- Only while the user has none: a password someone set is never replaced.
UPDATE users SET password_hash = $2, password_changed_at = now()
WHERE id = $1 AND password_hash IS NULL
RETURNING id, client_id, email;

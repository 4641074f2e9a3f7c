-- Accounts (docs/accounts.md): users log in with email + password; sessions are refresh-token
-- families; API keys (secret and publishable) belong to a client; a disabled client keeps its
-- data and loses access; security events are audited.

ALTER TABLE clients ADD COLUMN disabled_at timestamptz;

ALTER TABLE users ADD COLUMN password_hash text;  -- NULL until the user sets one (invited)
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
CREATE UNIQUE INDEX users_by_email ON users (lower(email));

CREATE TABLE api_keys (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id        uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN ('secret', 'publishable')),
    -- Secret keys act with a role; publishable keys only as a storefront.
    role             text NOT NULL CHECK (role IN ('admin', 'member', 'viewer', 'storefront')),
    name             text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    shown_prefix     text NOT NULL,              -- the first characters, for listings
    key_hash         bytea NOT NULL UNIQUE,      -- sha256 of the whole key
    allowed_origins  text[] NOT NULL DEFAULT '{}',
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_used_at     timestamptz,
    revoked_at       timestamptz,
    CHECK ((kind = 'publishable') = (role = 'storefront'))
);
CREATE INDEX api_keys_by_client ON api_keys (client_id, created_at DESC);

-- A session is a family of refresh tokens: each use replaces the token; reusing a replaced
-- one revokes the whole family (someone else holds a copy).
CREATE TABLE sessions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id     uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    user_agent    text NOT NULL DEFAULT '',
    ip            text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    token_hash    bytea PRIMARY KEY,
    session_id    uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    replaced_at   timestamptz                        -- used once: any later use is a reuse
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

CREATE TABLE password_resets (
    token_hash    bytea PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);

-- Failed logins per email and address, for throttling (kept a day).
CREATE TABLE login_failures (
    email         text NOT NULL,
    ip            text NOT NULL,
    failed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_by_email_ip ON login_failures (lower(email), ip, failed_at);

-- Secrets the service generates for itself and shares across processes (the session signing key).
CREATE TABLE service_secrets (
    name          text PRIMARY KEY,
    value         bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_events (
    id            bigserial PRIMARY KEY,
    client_id     uuid REFERENCES clients (id) ON DELETE CASCADE,  -- NULL: platform events
    actor         text NOT NULL,        -- 'user:<id>', 'key:<id>', 'operator', 'anonymous'
    action        text NOT NULL,        -- 'login.succeeded', 'key.created', 'client.disabled', …
    target        text NOT NULL DEFAULT '',
    detail        jsonb NOT NULL DEFAULT '{}',
    ip            text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_by_client ON audit_events (client_id, at DESC, id DESC);

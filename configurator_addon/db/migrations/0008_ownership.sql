-- Who made a saved configuration (docs/accounts.md, "Roles"): a user (`user_id`) or an API key
-- (`api_key_id`: a secret key of an integration, or a storefront's publishable key). Viewers
-- see their own; a publishable key reads back only the configurations made with it.
ALTER TABLE configurations ADD COLUMN api_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL;
CREATE INDEX configurations_by_user ON configurations (client_id, user_id, created_at DESC, id DESC)
    WHERE user_id IS NOT NULL;
CREATE INDEX configurations_by_api_key ON configurations (client_id, api_key_id, created_at DESC, id DESC)
    WHERE api_key_id IS NOT NULL;

-- Token buckets by name (services/submission_limits.py): a client's job submissions
-- ('client:<id>'), and a storefront's writes per publishable key ('key:<id>') and per
-- caller's address ('ip:<address>'). They replace `submission_buckets` (clients only): a
-- bucket is only a rate limit's memory, so starting afresh loses nothing.
CREATE TABLE rate_buckets (
    name        text PRIMARY KEY,
    tokens      float8 NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
DROP TABLE submission_buckets;

-- The migrator's own bookkeeping (configurator_addon/db/migrator.py).

-- name: create_schema_migrations
-- One row per applied migration file, written in the same transaction as the file.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,          -- sha256 of the file's bytes, hex
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- name: applied_migrations
SELECT version, name, checksum FROM schema_migrations ORDER BY version;

-- name: record_migration
INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3);

-- name: lock
-- Session-level: held across the per-file transactions until `unlock`.
SELECT pg_advisory_lock($1);

-- name: unlock
SELECT pg_advisory_unlock($1);

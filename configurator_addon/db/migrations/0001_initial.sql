-- Clients, users, products (with template versions), configurations, jobs, results.
-- Every tenant-owned row carries client_id; every query filters by it.

CREATE TABLE clients (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id   uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    email       text NOT NULL,
    name        text NOT NULL,
    role        text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member', 'viewer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, email)
);

CREATE TABLE products (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id           uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description         text NOT NULL DEFAULT '',
    template_blob_path  text NOT NULL,
    template_version    text NOT NULL,          -- sha256 of the template bytes
    schema_version      integer NOT NULL DEFAULT 1,
    config_schema       json NOT NULL,          -- json, not jsonb: keeps the authored key order
    parameters          jsonb NOT NULL DEFAULT '[]',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, id)
);
CREATE INDEX products_by_client ON products (client_id, created_at DESC, id DESC);

-- Every template a product ever had; configurations point at the schema they were saved with.
CREATE TABLE product_versions (
    product_id          uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    schema_version      integer NOT NULL,
    template_blob_path  text NOT NULL,
    template_version    text NOT NULL,
    config_schema       json NOT NULL,          -- json, not jsonb: keeps the authored key order
    parameters          jsonb NOT NULL DEFAULT '[]',
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, schema_version)
);

CREATE TABLE configurations (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id               uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    product_id              uuid NOT NULL,
    user_id                 uuid REFERENCES users (id) ON DELETE SET NULL,
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    config_data             jsonb NOT NULL,
    product_schema_version  integer NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, product_id) REFERENCES products (client_id, id) ON DELETE CASCADE
);
CREATE INDEX configurations_by_client ON configurations (client_id, created_at DESC, id DESC);
CREATE INDEX configurations_by_product ON configurations (client_id, product_id, created_at DESC, id DESC);

-- Generated GLBs by content: a job whose cache key is here completes without Blender.
CREATE TABLE results (
    client_id   uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    cache_key   text NOT NULL,
    blob_path   text NOT NULL,
    byte_size   bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, cache_key)
);

CREATE TABLE jobs (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id            uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    product_id           uuid NOT NULL,
    configuration_id     uuid REFERENCES configurations (id) ON DELETE SET NULL,
    user_id              uuid REFERENCES users (id) ON DELETE SET NULL,
    template_blob_path   text NOT NULL,
    template_version     text NOT NULL,
    config_data          jsonb NOT NULL,          -- complete (defaults filled), validated
    options              jsonb NOT NULL DEFAULT '{}',
    cache_key            text NOT NULL,
    status               text NOT NULL DEFAULT 'PENDING'
                         CHECK (status IN ('PENDING', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    progress             smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    result_url           text,
    result_blob_path     text,
    error_code           text,
    error_message        text,
    retry_count          integer NOT NULL DEFAULT 0,
    max_retries          integer NOT NULL DEFAULT 3,
    attempt              integer NOT NULL DEFAULT 0,
    run_after            timestamptz NOT NULL DEFAULT now(),
    lease_id             uuid,
    worker_id            text,
    heartbeat_at         timestamptz,
    cancel_requested_at  timestamptz,
    timings              jsonb NOT NULL DEFAULT '{}',   -- wait/load/apply/export/upload ms
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    started_at           timestamptz,
    completed_at         timestamptz,
    FOREIGN KEY (client_id, product_id) REFERENCES products (client_id, id) ON DELETE CASCADE
);
-- The queue: claimable jobs in order, and stale leases to rescue.
CREATE INDEX jobs_claimable ON jobs (run_after, created_at) WHERE status = 'QUEUED';
CREATE INDEX jobs_leased ON jobs (heartbeat_at) WHERE status = 'PROCESSING';
-- Identical jobs in flight share one computation.
CREATE UNIQUE INDEX jobs_one_in_flight_per_result ON jobs (client_id, cache_key)
    WHERE status IN ('PENDING', 'QUEUED', 'PROCESSING');
CREATE INDEX jobs_by_client ON jobs (client_id, created_at DESC, id DESC);

-- The demo client used until accounts exist.
INSERT INTO clients (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'Demo Manufacturer');
INSERT INTO users (id, client_id, email, name, role)
VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001',
        'demo@example.com', 'Demo User', 'admin');

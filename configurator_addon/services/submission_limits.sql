-- Job submissions per client: a token bucket in the database, so that every API process
-- counts against the same one (docs/service.md, "Fairness").

-- name: take_submission_token
-- One statement: refill the client's bucket for the time since it last gave a token (at
-- $2 tokens per second, up to $3), then take one if a whole token is there. A client's first
-- submission creates its bucket full, less the token it takes. A refused submission changes
-- nothing (the row is only locked), so the bucket keeps refilling from its last take.
-- `wait_seconds` is how long until the next token, read from the statement's snapshot: a
-- take that another process committed meanwhile can make it short (never negative).
-- `known` is false for an unknown client, which has no bucket and nothing to submit to.
WITH taken AS (
    INSERT INTO submission_buckets AS b (client_id, tokens, updated_at)
    SELECT id, $3::float8 - 1, now() FROM clients WHERE id = $1
    ON CONFLICT (client_id) DO UPDATE
    SET tokens = least($3::float8, b.tokens + $2::float8
                       * greatest(0, extract(epoch FROM now() - b.updated_at)::float8)) - 1,
        updated_at = greatest(b.updated_at, now())
    WHERE least($3::float8, b.tokens + $2::float8
                * greatest(0, extract(epoch FROM now() - b.updated_at)::float8)) >= 1
    RETURNING b.tokens
)
SELECT EXISTS (SELECT FROM taken) AS taken,
       EXISTS (SELECT FROM clients WHERE id = $1) AS known,
       (SELECT greatest(0, 1 - least($3::float8, s.tokens + $2::float8
                                     * greatest(0, extract(epoch FROM now() - s.updated_at)::float8))) / $2::float8
        FROM submission_buckets s WHERE s.client_id = $1) AS wait_seconds;

-- name: take_named_token
-- The same bucket, by name ('key:<id>', 'ip:<address>': a storefront's key and its shoppers'
-- addresses); a name's first take creates its bucket full, less the token it takes.
WITH taken AS (
    INSERT INTO rate_buckets AS b (name, tokens, updated_at)
    VALUES ($1, $3::float8 - 1, now())
    ON CONFLICT (name) DO UPDATE
    SET tokens = least($3::float8, b.tokens + $2::float8
                       * greatest(0, extract(epoch FROM now() - b.updated_at)::float8)) - 1,
        updated_at = greatest(b.updated_at, now())
    WHERE least($3::float8, b.tokens + $2::float8
                * greatest(0, extract(epoch FROM now() - b.updated_at)::float8)) >= 1
    RETURNING b.tokens
)
SELECT EXISTS (SELECT FROM taken) AS taken,
       (SELECT greatest(0, 1 - least($3::float8, s.tokens + $2::float8
                                     * greatest(0, extract(epoch FROM now() - s.updated_at)::float8))) / $2::float8
        FROM rate_buckets s WHERE s.name = $1) AS wait_seconds;

-- Token buckets by name (services/submission_limits.py), in the database so that every API
-- process counts against the same one (docs/service.md, "Fairness").

-- name: take_token
-- One statement: refill bucket $1 for the time since it last gave a token (at $2 tokens per
-- second, up to $3), then take one if a whole token is there. A name's first take creates its
-- bucket full, less the token it takes. A refused take changes nothing (the row is only
-- locked), so the bucket keeps refilling from its last take. `wait_seconds` is how long until
-- the next token, read from the statement's snapshot: a take that another process committed
-- meanwhile can make it short (never negative).
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

-- Attempts per email and address (logins, password-reset requests), for throttling. A reset
-- request's address is 'password-reset:<ip>', so the two never count against each other.

-- name: lock_attempts
-- Serialises the attempts on one email and address, so parallel ones count one by one.
SELECT pg_advisory_xact_lock(hashtextextended('attempts:' || lower($1) || '|' || $2, 0));

-- name: recent_attempts
-- Attempts in the window ($3 s), and when the one that blocks the next ($4th most recent)
-- leaves it.
SELECT count(*) AS attempts,
       (SELECT failed_at FROM login_failures
        WHERE lower(email) = lower($1) AND ip = $2 AND failed_at > now() - make_interval(secs => $3)
        ORDER BY failed_at DESC OFFSET $4 - 1 LIMIT 1) + make_interval(secs => $3) - now() AS wait
FROM login_failures
WHERE lower(email) = lower($1) AND ip = $2 AND failed_at > now() - make_interval(secs => $3);

-- name: record_attempt
-- Rows are kept a day; older ones of the same email and address go here too.
WITH pruned AS (
    DELETE FROM login_failures
    WHERE lower(email) = lower($1) AND ip = $2 AND failed_at < now() - interval '1 day'
)
INSERT INTO login_failures (email, ip) VALUES (lower($1), $2)
RETURNING failed_at;

-- name: forget_attempt
DELETE FROM login_failures
WHERE ctid = (SELECT ctid FROM login_failures
              WHERE lower(email) = lower($1) AND ip = $2 AND failed_at = $3 LIMIT 1);

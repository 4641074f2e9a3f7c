-- name: record_event
INSERT INTO audit_events (client_id, actor, action, target, detail, ip)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: client_events
-- Newest first, keyset-paged by (at, id).
SELECT id, actor, action, target, detail, ip, at FROM audit_events
WHERE client_id = $1 AND ($2::bigint IS NULL OR id < $2)
ORDER BY at DESC, id DESC
LIMIT $3;

-- name: record_event
INSERT INTO audit_events (client_id, actor, action, target, detail, ip)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: client_events
-- Newest first, keyset-paged by (at, id): $2 is the id of the last event of the previous page,
-- and the page goes on from its place (an id that is not one of this client's events: no rows).
SELECT id, actor, action, target, detail, ip, at FROM audit_events
WHERE client_id = $1
  AND ($2::bigint IS NULL
       OR (at, id) < (SELECT e.at, e.id FROM audit_events e WHERE e.id = $2 AND e.client_id = $1))
ORDER BY at DESC, id DESC
LIMIT $3;

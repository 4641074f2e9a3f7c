-- Template bakes (services/template_bakes.py): the lock that keeps a version's bake between a
-- publish that reuses it and the retention sweep that collects unused ones. Two-int advisory
-- locks ($1 the bakes' namespace, the other key the hash of "{client}/{version}": a collision
-- only makes an unrelated publish and sweep wait for each other), a key space apart from the
-- bigint keys other locks use.

-- name: hold_shared
-- A publish, in the transaction that stores its version row (released at its end), before it
-- checks that the record it relies on is still there. Publishes share it; it waits for a
-- sweep deleting this bake to finish.
SELECT pg_advisory_xact_lock_shared($1, hashtext($2));

-- name: try_hold
-- The sweep, while it checks and deletes one bake; false while a publish holds it.
SELECT pg_try_advisory_lock($1, hashtext($2));

-- name: release
SELECT pg_advisory_unlock($1, hashtext($2));

-- name: unused_bakes
-- Of the bakes named ($1 their clients, $2 their versions), those no product of the same
-- client has as a version or as its current template. Only the same client's products count.
SELECT g.client_id, g.version
FROM unnest($1::uuid[], $2::text[]) AS g(client_id, version)
WHERE NOT EXISTS (SELECT 1 FROM product_versions v JOIN products p ON p.id = v.product_id
                  WHERE p.client_id = g.client_id AND v.template_version = g.version)
  AND NOT EXISTS (SELECT 1 FROM products p WHERE p.client_id = g.client_id AND p.template_version = g.version);

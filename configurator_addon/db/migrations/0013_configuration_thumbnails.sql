-- Saved configurations' own thumbnails and unique names (services/configurations.py).
--
-- `thumbnails`: images of the configuration's values rendered on the server after it is saved
-- (a JSON array of {"width", "height", "content_type", "blob_path"}, as a product version's),
-- NULL until they are made, and NULL again when the values change (a render that finishes
-- after that is not recorded: the images must be of the values beside them).
--
-- Names: a user cannot have two saved configurations whose names are equal ignoring case and
-- runs of white space ("My  Cabinet " is "my cabinet"). The scope is the maker, a user of a
-- client: colleagues may each have a "Kitchen", and configurations made with an API key (a
-- storefront's anonymous shoppers share one publishable key) are not narrowed. Of existing
-- duplicates the newest keeps its name and the others get the start of their id after it
-- ("Kitchen (3f2a9c1e)": unique, where " (2)" could meet a name already taken), so the index
-- can be made.
ALTER TABLE configurations ADD COLUMN thumbnails jsonb;

CREATE FUNCTION configuration_name_key(name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN lower(btrim(regexp_replace(name, '\s+', ' ', 'g')));

WITH ranked AS (
    SELECT id, name, row_number() OVER (PARTITION BY client_id, user_id, configuration_name_key(name)
                                        ORDER BY created_at DESC, id DESC) AS rank
    FROM configurations
    WHERE user_id IS NOT NULL
)
UPDATE configurations c
SET name = btrim(left(r.name, 189)) || ' (' || left(r.id::text, 8) || ')'
FROM ranked r
WHERE c.id = r.id AND r.rank > 1;

CREATE UNIQUE INDEX configurations_unique_name_per_user
    ON configurations (client_id, user_id, configuration_name_key(name))
    WHERE user_id IS NOT NULL;

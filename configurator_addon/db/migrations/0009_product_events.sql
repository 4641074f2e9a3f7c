-- A product's new template version is announced by the database itself (as job changes are,
-- 0002), so an open configurator follows it whichever process replaced the template
-- (GET /api/v1/products/{id}/events).

CREATE FUNCTION notify_product_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.schema_version IS DISTINCT FROM NEW.schema_version THEN
        PERFORM pg_notify('configurator_product_events',
                          json_build_object('id', NEW.id, 'schema_version', NEW.schema_version)::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_notify AFTER UPDATE OF schema_version ON products
    FOR EACH ROW EXECUTE FUNCTION notify_product_change();

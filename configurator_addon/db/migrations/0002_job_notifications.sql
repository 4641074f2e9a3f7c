-- Wake-up hints and progress events for jobs, sent by the database itself so that no code
-- path can forget them. LISTEN is a hint only: workers also poll.

CREATE FUNCTION notify_job_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'QUEUED' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'QUEUED') THEN
        PERFORM pg_notify('configurator_jobs_queued', NEW.id::text);
    END IF;
    IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status OR OLD.progress IS DISTINCT FROM NEW.progress THEN
        PERFORM pg_notify('configurator_job_events',
                          json_build_object('id', NEW.id, 'status', NEW.status, 'progress', NEW.progress)::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OF status, progress ON jobs
    FOR EACH ROW EXECUTE FUNCTION notify_job_change();

-- The W3C traceparent of the request that submitted a job (docs/service.md, "Traces"): the
-- worker that claims it, another process, continues that request's trace. NULL when tracing
-- was off at submission. Kept through retries; a request that joins the job in flight leaves
-- it as the first submitter set it.

ALTER TABLE jobs ADD COLUMN traceparent text;

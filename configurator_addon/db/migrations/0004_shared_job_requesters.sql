-- Identical requests share one job; each keeps its own say over cancelling it. A cancel
-- withdraws one request, and the job stops only when no request wants it any more.
ALTER TABLE jobs ADD COLUMN requesters integer NOT NULL DEFAULT 1 CHECK (requesters >= 0);

"""The durable job queue (claim, heartbeat, complete, retry, rescue, cancel) and the worker
that runs claimed jobs through the engine (ARCHITECTURE §5)."""

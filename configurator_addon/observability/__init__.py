"""Prometheus metrics: their definitions and recording calls (`metrics.py`), the HTTP
request histogram's middleware (`http_metrics.py`) and the listener that serves them on a port
of its own (`listener.py`). docs/service.md, "Metrics", lists them."""

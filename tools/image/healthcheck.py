"""The image's HEALTHCHECK: exit 0 when the process in this container answers, 1 otherwise.

An API container answers `/health` on $PORT. A worker container has no public listener; it
sets HEALTHCHECK_URL to its metrics listener (METRICS_PORT, on 127.0.0.1 inside the
container), which the supervising process serves from the same event loop that keeps the
workers running, so an answer there means the supervisor is alive. Standard library only: it
runs every 30 s, and importing the service would cost more than the check.
"""
from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 4.0


def url() -> str:
    return os.environ.get("HEALTHCHECK_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"


def main() -> int:
    target = url()
    try:
        with urllib.request.urlopen(target, timeout=TIMEOUT_SECONDS) as response:
            response.read()
            status = response.status
    except (urllib.error.URLError, OSError) as exc:
        print(f"{target}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"{target}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

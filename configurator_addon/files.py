"""Writing files so that readers see the old content or the new, never half of it."""
from __future__ import annotations

import os
import tempfile


def write_atomically(path: str, data: bytes, *, durable: bool = False, mode: int = 0o644) -> None:
    """Write `data` beside `path`, then rename it over `path`. `durable` also flushes it to
    disk before the rename (for blobs, which must survive a crash once acknowledged)."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # mkstemp creates 0600
        os.replace(temporary, path)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise

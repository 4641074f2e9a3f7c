"""A process's memory, read from /proc: this one's resident size for the template cache's
bounds, an engine process's size for its memory limit and recycling."""
from __future__ import annotations

import os

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _statm(pid) -> list[int]:
    with open(f"/proc/{pid}/statm") as handle:
        return [int(field) for field in handle.read().split()]


def rss_bytes(pid="self") -> int:
    try:
        return _statm(pid)[1] * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


def memory_bytes(pid) -> int:
    """The larger of a process's resident size and its heap (data + stack, what the kernel's
    RLIMIT_DATA counts); 0 once it is gone."""
    try:
        fields = _statm(pid)
        return max(fields[1], fields[5]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0

"""Messages between a worker and its engine process, over a pair of pipes.

A message is a JSON header and an optional binary payload (a GLB), framed by their two
lengths. The engine side reads and writes with blocking calls (it has nothing else to do);
the worker side with asyncio streams.
"""
from __future__ import annotations

import asyncio
import json
import os
import struct

_FRAME = struct.Struct("!II")
MAX_HEADER_BYTES = 16 << 20


def encode(header: dict, payload: bytes = b"") -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode()
    return _FRAME.pack(len(text), len(payload)) + text + payload


def _read_exactly(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int) -> tuple[dict, bytes]:
    header_size, payload_size = _FRAME.unpack(_read_exactly(fd, _FRAME.size))
    if header_size > MAX_HEADER_BYTES:
        raise EOFError("a message header is too large")
    header = json.loads(_read_exactly(fd, header_size))
    return header, _read_exactly(fd, payload_size)


def write_message(fd: int, header: dict, payload: bytes = b"") -> None:
    view = memoryview(encode(header, payload))
    while view:
        view = view[os.write(fd, view):]


async def read_message_async(reader: asyncio.StreamReader) -> tuple[dict, bytes]:
    try:
        header_size, payload_size = _FRAME.unpack(await reader.readexactly(_FRAME.size))
        if header_size > MAX_HEADER_BYTES:
            raise EOFError("a message header is too large")
        header = json.loads(await reader.readexactly(header_size))
        return header, await reader.readexactly(payload_size)
    except asyncio.IncompleteReadError as exc:
        raise EOFError("the engine process closed its pipe") from exc

"""The receive path for file content: request body → file, with constant memory.

A body of at least ``direct_min_bytes`` is read straight from the socket by a worker
thread where the platform allows (:mod:`._direct`); the connection then closes after the
response. Any other body is read through aiohttp, which hands it over in socket-sized
pieces (≤ 256 KiB): writing each piece with its own syscall and letting the pieces be
freed at once keeps the allocator busy (DESIGN §6), so pieces are gathered into batches
of about 4 MiB and written with one ``os.writev`` to a raw file descriptor. Memory stays
bounded by the batch size plus aiohttp's own flow-control window.

Example (inside a handler)::

    received = await receive_content(request, directory / "file.part", 1 << 20)
    received.size, received.direct
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote

from aiohttp import web

from ._direct import receive_direct
from ._recycle import OpenContent, open_new

__all__ = [
    "BATCH_BYTES",
    "Received",
    "receive_content",
    "receive_to_file",
    "send_temporary",
    "stream_file",
]

BATCH_BYTES: Final = 4 * 1024 * 1024
_SEND_CHUNK: Final = 1024 * 1024


def _write_all(fd: int, pieces: list[bytes]) -> None:
    view_pieces: list[bytes | memoryview] = list(pieces)
    while view_pieces:
        written = os.writev(fd, view_pieces)
        while written and view_pieces:
            first = view_pieces[0]
            if written >= len(first):
                written -= len(first)
                view_pieces.pop(0)
            else:
                view_pieces[0] = memoryview(first)[written:]
                written = 0


@dataclass(frozen=True, slots=True)
class Received:
    """A stored body: its byte count, and whether it was read directly from the socket
    (the connection must then close after the response)."""

    size: int
    direct: bool


async def receive_content(
    request: web.Request,
    path: Path,
    direct_min_bytes: int | None,
    open_content: OpenContent = open_new,
) -> Received:
    """Stream the request body into ``path``; directly from the socket when it is large.

    ``open_content`` opens the file (a new one, or a reused one that is truncated to
    the body's size at the end). On any error (client gone, cancelled) the partial file
    is removed and the error re-raised.
    """
    length = request.content_length
    if direct_min_bytes is not None and length is not None and length >= direct_min_bytes:
        size = await receive_direct(request, path, open_content)
        if size is not None:
            return Received(size, direct=True)
    return Received(await receive_to_file(request, path, open_content), direct=False)


async def receive_to_file(
    request: web.Request, path: Path, open_content: OpenContent = open_new
) -> int:
    """Stream the request body into ``path``; the byte count (see :func:`receive_content`)."""
    fd = open_content(path)
    total = 0
    try:
        batch: list[bytes] = []
        pending = 0
        content = request.content
        while True:
            piece = await content.readany()
            if not piece:
                break
            batch.append(piece)
            pending += len(piece)
            if pending >= BATCH_BYTES:
                _write_all(fd, batch)
                total += pending
                batch, pending = [], 0
        if batch:
            _write_all(fd, batch)
            total += pending
        os.ftruncate(fd, total)  # a reused file may have been longer
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    os.close(fd)
    return total


def stream_file(
    path: Path, name: str, content_type: str = "application/octet-stream"
) -> web.FileResponse:
    """Send a file as an attachment (sendfile where the platform allows)."""
    return web.FileResponse(
        path,
        chunk_size=_SEND_CHUNK,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        },
    )


async def send_temporary(
    request: web.Request, path: Path, name: str, content_type: str
) -> web.StreamResponse:
    """Send a file made for this one answer, in pieces, and remove it (sent or not)."""
    try:
        stream = path.open("rb", buffering=0)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # the open descriptor keeps the content readable
    with stream:
        size = os.fstat(stream.fileno()).st_size
        response = web.StreamResponse(
            headers={
                "Content-Type": content_type,
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            }
        )
        response.content_length = size
        await response.prepare(request)
        while chunk := await asyncio.to_thread(stream.read, _SEND_CHUNK):
            await response.write(chunk)
        await response.write_eof()
    return response

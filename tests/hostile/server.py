"""A raw HTTP/1.1 peer on 127.0.0.1 that answers each request with scripted bytes.

One request per connection: the server reads the request (line, headers and a
``Content-Length`` body), records it, runs the reply script for it and closes, so a
reply may break HTTP in any way without confusing the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType

#: Any wait on the server's side ends after this (a bound, not a measurement).
SERVER_BOUND = 5.0


@dataclass
class Seen:
    """One request as it reached the socket."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


Reply = Callable[[Seen, asyncio.StreamWriter], Awaitable[None]]
Route = Callable[[Seen], Reply]


@dataclass
class ScriptedServer:
    """``route(seen)`` picks the reply script for each request."""

    route: Route
    seen: list[Seen] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def requests(self, method: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            async with asyncio.timeout(SERVER_BOUND):
                seen = await _read_request(reader)
                if seen is None:
                    return
                self.seen.append(seen)
                await self.route(seen)(seen, writer)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> Seen | None:
    line = await reader.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (raw := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return Seen(method, path, headers, body)


# ---------------------------------------------------------------- reply scripts


def raw(data: bytes) -> Reply:
    """Write ``data`` as it is, then close."""

    async def reply(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()

    return reply


def head(
    status: str = "200 OK", headers: dict[str, str] | list[tuple[str, str]] | None = None
) -> bytes:
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    lines = [f"HTTP/1.1 {status}", "Connection: close"] + [f"{k}: {v}" for k, v in items]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def http(
    status: str = "200 OK",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    length: bool = True,
) -> Reply:
    """A well-formed answer (``Content-Length`` set unless ``length`` is false)."""
    extra = dict(headers or {})
    extra.setdefault("Content-Type", "application/json")
    if length:
        extra["Content-Length"] = str(len(body))
    return raw(head(status, extra) + body)


def reset_after(data: bytes) -> Reply:
    """Write ``data``, then reset the connection (RST, not FIN)."""

    async def reply(seen: Seen, writer: asyncio.StreamWriter) -> None:
        if data:
            writer.write(data)
            await writer.drain()
            await asyncio.sleep(0.02)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    return reply


def stall_after(data: bytes, *, seconds: float = SERVER_BOUND - 1) -> Reply:
    """Write ``data``, then send nothing for ``seconds``."""

    async def reply(seen: Seen, writer: asyncio.StreamWriter) -> None:
        if data:
            writer.write(data)
            await writer.drain()
        await asyncio.sleep(seconds)

    return reply


def drip(data: bytes, *, every: float, step: int = 1) -> Reply:
    """Write ``data`` ``step`` bytes at a time, one step every ``every`` seconds."""

    async def reply(seen: Seen, writer: asyncio.StreamWriter) -> None:
        for start in range(0, len(data), step):
            writer.write(data[start : start + step])
            await writer.drain()
            await asyncio.sleep(every)

    return reply


def endless(prefix: bytes, *, limit: int, sent: list[int], chunk: int = 64 * 1024) -> Reply:
    """Write ``prefix``, then zeros until the peer goes or ``limit`` bytes are sent;
    ``sent`` gets the number of bytes written."""

    async def reply(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(prefix)
        block = b"\0" * chunk
        total = 0
        try:
            while total < limit:
                writer.write(block)
                await writer.drain()
                total += chunk
        finally:
            sent.append(total)

    return reply


def gzip_bomb(size: int) -> bytes:
    return gzip.compress(b"\0" * size, compresslevel=9)


def deflate_bomb(size: int) -> bytes:
    return zlib.compress(b"\0" * size, 9)

"""A small HTTP/1.1 peer on 127.0.0.1 that reads whole requests and answers through a handler.

It serves as an origin server and as a plain-http forward proxy at once: a request
that came through a proxy has an absolute-form target (``GET http://host:port/...``),
a direct one an origin-form target (``GET /...``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import attrs


@attrs.define
class Seen:
    """One request as the peer read it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def proxied(self) -> bool:
        return self.target.startswith("http://")


Handler = Callable[[Seen, asyncio.StreamWriter], Awaitable[None]]


def response(body: bytes, status: int = 200) -> bytes:
    return (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


async def answer_json(seen: Seen, writer: asyncio.StreamWriter) -> None:
    writer.write(response(b'{"data": {"password": "p"}}'))


class Peer:
    """``async with Peer(handler) as peer``: ``peer.url``, ``peer.seen`` (every request)."""

    def __init__(self, handler: Handler = answer_json) -> None:
        self.handler = handler
        self.seen: list[Seen] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            line, *fields = head.split("\r\n")
            method, target, _ = line.split(" ", 2)
            headers = {}
            for item in fields:
                if ":" in item:
                    name, value = item.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            seen = Seen(method, target, headers, body)
            self.seen.append(seen)
            async with asyncio.timeout(20):
                await self.handler(seen, writer)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def __aenter__(self) -> Peer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

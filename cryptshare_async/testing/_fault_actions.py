"""What a fired fault does, one class per action: delay, error status, dropped request,
and act-then-lose-the-answer (dropped, truncated, or replaced by a proxy's 502).

A :class:`~._faults.FaultRule` names its actions with flat fields (so that it reads the
same in Python and in the control endpoint's JSON); :meth:`FaultRule.action` turns them
into one chain of these classes, the only place their order is decided: an optional
:class:`Delay`, then exactly one of :class:`DropRequest`, :class:`LoseAnswer`,
:class:`Truncate`, :class:`ErrorStatus`, :class:`PassThrough`.

Each action is called with the request and ``run``, the emulator's handler (errors
already mapped to the API's error answers), and returns the response to send.

Example::

    action = Delay(0.5, then=ErrorStatus(503, 5000, retry_after=2))
    response = await action(request, run)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from ._responses import CLOSE_CONNECTION, error_response

__all__ = [
    "Delay",
    "DropRequest",
    "ErrorStatus",
    "FaultAction",
    "LoseAnswer",
    "PassThrough",
    "Truncate",
]

Run = Callable[[web.Request], Awaitable[web.StreamResponse]]

_BAD_GATEWAY: Final = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


class FaultAction:
    """One thing a fault does to a request."""

    async def __call__(self, request: web.Request, run: Run) -> web.StreamResponse:
        raise NotImplementedError


def _gone(request: web.Request) -> web.Response:
    """The connection is cut: this response only ends the handler, nobody reads it."""
    request[CLOSE_CONNECTION] = True
    return web.Response(status=500)


@dataclass(frozen=True, slots=True)
class PassThrough(FaultAction):
    """Handle the request normally (what is left of a pure delay)."""

    async def __call__(self, request: web.Request, run: Run) -> web.StreamResponse:
        return await run(request)


@dataclass(frozen=True, slots=True)
class Delay(FaultAction):
    """Wait ``seconds``, then do ``then``."""

    seconds: float
    then: FaultAction

    async def __call__(self, request: web.Request, run: Run) -> web.StreamResponse:
        await asyncio.sleep(self.seconds)
        return await self.then(request, run)


@dataclass(frozen=True, slots=True)
class ErrorStatus(FaultAction):
    """Answer ``status`` with the API's error body, without handling the request."""

    status: int
    code: int
    retry_after: float | None = None

    async def __call__(self, request: web.Request, run: Run) -> web.StreamResponse:
        response = error_response(self.status, self.code)
        if self.retry_after is not None:
            response.headers["Retry-After"] = f"{self.retry_after:g}"
        return response


@dataclass(frozen=True, slots=True)
class DropRequest(FaultAction):
    """Read ``after_bytes`` of the request body, then cut the connection (not handled)."""

    after_bytes: int

    async def __call__(self, request: web.Request, run: Run) -> web.StreamResponse:
        remaining = self.after_bytes
        while remaining > 0:
            chunk = await request.content.read(min(remaining, 1 << 16))
            if not chunk:
                break
            remaining -= len(chunk)
        if request.transport is not None:
            request.transport.abort()
        return _gone(request)


@dataclass(frozen=True, slots=True)
class LoseAnswer(FaultAction):
    """Handle the request completely (its state changes), then lose the answer:
    ``"drop"`` cuts the connection before any byte of it, ``"bad_gateway"`` sends a
    proxy's HTML 502 instead. An answer already streamed can only be cut where it is."""

    mode: str = "drop"

    async def __call__(self, request: web.Request, run: Run) -> web.StreamResponse:
        response = await run(request)
        if self.mode == "bad_gateway" and not response.prepared:
            request[CLOSE_CONNECTION] = True
            return web.Response(status=502, text=_BAD_GATEWAY, content_type="text/html")
        if request.transport is not None:
            request.transport.abort()
        return _gone(request)


@dataclass(frozen=True, slots=True)
class Truncate(FaultAction):
    """Handle the request completely, then send the answer's head with its full
    ``Content-Length`` and only half its body (a bodiless answer is cut in its head)."""

    async def __call__(self, request: web.Request, run: Run) -> web.StreamResponse:
        response = await run(request)
        transport = request.transport
        if transport is not None:
            if isinstance(response, web.Response) and not response.prepared:
                transport.write(_truncated(response))
                transport.close()  # after sending what was written: the cut is in the body
            else:
                transport.abort()
        return _gone(request)


def _truncated(response: web.Response) -> bytes:
    body = response.body if isinstance(response.body, bytes) else b""
    reason = response.reason or ""
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if not body:
        return head[: len(head) // 2]
    return head + body[: len(body) // 2]

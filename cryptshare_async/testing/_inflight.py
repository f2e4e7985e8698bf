"""The requests being handled, so that closing the emulator cancels them at once.

aiohttp's shutdown waits for running handlers (60 s by default), and a handler may sit in
an injected delay or wait for a stalled client's body. The emulator is a test server: on
close, the requests still running are cancelled (the clients see the connection drop)
and awaited, so that nothing they do outlives the emulator.

Example::

    inflight = InFlight()
    app = web.Application(middlewares=[inflight.middleware])
    app.on_shutdown.append(inflight.on_shutdown)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

__all__ = ["InFlight"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class InFlight:
    """Tracks the task of every request being handled; cancels them on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            return await handler(request)
        finally:
            self._tasks.discard(task)

    async def cancel_all(self) -> None:
        """Cancel every request being handled and wait until their handlers have ended."""
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks.difference_update(tasks)

    async def on_shutdown(self, _app: web.Application) -> None:
        """``Application.on_shutdown`` hook: runs after the sites stopped accepting."""
        await self.cancel_all()

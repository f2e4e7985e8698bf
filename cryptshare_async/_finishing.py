"""Finishing what was started: requests whose effect must be known even when cancelled.

A request cancelled in flight may still have been carried out by the server (a file
registered, a session created). Waiting for its answer is the only way to learn the new
id and undo it. :func:`run_to_end` hands that job to the client's clean-ups: the
cancelled caller waits for it at most the client's ``cleanup_grace`` and then re-raises
the cancellation; what is left goes on in the background until ``aclose()``.

Example::

    tracking_id = await run_to_end(create, cleanups, "session", undo=delete_session)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from ._cleanup import Cleanups

__all__ = ["run_to_end"]

T = TypeVar("T")


async def run_to_end(
    start: Callable[[], Awaitable[T]],
    cleanups: Cleanups,
    what: Literal["file", "session"],
    *,
    undo: Callable[[T], Awaitable[object]],
    tracking_id: str | None = None,
) -> T:
    """Await ``start()``; if cancelled meanwhile, have ``cleanups`` wait for it and undo
    its result with ``undo`` (within the grace period, else in the background), then
    re-raise the cancellation."""
    request: asyncio.Future[T] = asyncio.ensure_future(start())
    try:
        return await asyncio.shield(request)
    except asyncio.CancelledError:
        task = cleanups.undo_late(what, request, undo, tracking_id=tracking_id)
        await cleanups.wait(task)
        raise

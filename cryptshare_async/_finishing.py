"""Finishing what was started: requests whose effect must be known even when cancelled.

A request cancelled in flight may still have been carried out by the server (a file
registered, a session created). Waiting for its answer is the only way to learn the new
id and undo it, so these helpers let such a request finish under a shield and then
re-raise the cancellation.

Example::

    tracking_id = await run_to_end(create, on_late_success=delete_session)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["run_to_end", "settle"]

T = TypeVar("T")


async def settle(future: asyncio.Future[T]) -> bool:
    """Wait until ``future`` is done, whatever happens; True if we were cancelled meanwhile."""
    cancelled = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            cancelled = cancelled or not future.done()
        except BaseException:
            break
    return cancelled


async def run_to_end(
    start: Callable[[], Awaitable[T]], *, on_late_success: Callable[[T], Awaitable[object]]
) -> T:
    """Await ``start()``; if cancelled meanwhile, let it finish, undo its result with
    ``on_late_success`` (which must not raise), then re-raise the cancellation."""
    task: asyncio.Future[T] = asyncio.ensure_future(start())
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await settle(task)
        if not task.cancelled() and task.exception() is None:
            await settle(asyncio.ensure_future(on_late_success(task.result())))
        raise

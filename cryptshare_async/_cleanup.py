"""Clean-ups the client owns: undoing what a failed or cancelled call left on the server.

A cancelled call may leave a file registered or a session created (the request was in
flight), and a failed upload leaves its registered file. The call starts the clean-up
as a task of the client's :class:`Cleanups`, waits for it at most ``grace`` seconds
(also through further cancellations), then returns or raises; a clean-up still running
then goes on in the background, and :meth:`CryptshareClient.aclose` awaits it (at most
``close_timeout`` seconds). A clean-up rides out transient failures (5xx, 429, a lost
or garbled answer, a connection error): it tries again, up to :data:`CLEANUP_ATTEMPTS`
times in all (each request also retried by the client's ``RetryPolicy``); removing
twice is harmless. A clean-up that fails for good is logged and recorded in
:attr:`CryptshareClient.cleanup_failures`.

Example::

    async with CryptshareClient(url, client_id=cid, cleanup_grace=1.0) as client:
        ...
    for failure in client.cleanup_failures:
        print(failure.what, failure.tracking_id, failure.file_id, failure.error)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final, Literal, TypeVar

from attrs import define

from . import _public
from ._errors import (
    ApiVersionUnsupportedError,
    NotFoundError,
    RateLimitedError,
    ResponseParseError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
)
from ._threads import wait_through_cancellation

__all__ = [
    "DEFAULT_CLEANUP_GRACE",
    "DEFAULT_CLOSE_TIMEOUT",
    "CleanupFailure",
    "Cleanups",
    "note_outcome",
    "retry_transient",
]

_log = logging.getLogger("cryptshare_async.cleanup")
T = TypeVar("T")

DEFAULT_CLEANUP_GRACE: Final = 1.0
"""Seconds a failed or cancelled call waits for its in-flight request or clean-up."""

DEFAULT_CLOSE_TIMEOUT: Final = 10.0
"""Seconds :meth:`CryptshareClient.aclose` waits for clean-ups still running."""

CLEANUP_ATTEMPTS: Final = 4
"""Attempts a clean-up makes while the server fails transiently (5xx, 429, lost answers)."""
#: Pause before the next attempt: doubled each time from this, capped (also a 429's hint).
_PAUSE: Final = 0.2
_MAX_PAUSE: Final = 2.0


@define(frozen=True, slots=True)
class CleanupFailure:
    """A clean-up that did not complete: what was to be removed, and why not.

    ``what`` is ``"file"`` (a registered file; ``file_id`` is ``None`` while a
    registration's answer never came) or ``"session"`` (a transfer session;
    ``tracking_id`` is ``None`` while its creation's answer never came). ``error`` is
    the exception's type name (``"ServerError"``, ``"TimeoutError"`` when
    ``aclose()`` stopped waiting, ...); no message, so no secret can slip in.

    Example::

        CleanupFailure(what="file", tracking_id="20260101-x", file_id="f1", error="ServerError")
    """

    what: Literal["file", "session"]
    tracking_id: str | None
    file_id: str | None
    error: str

    def describe(self) -> str:
        if self.what == "session":
            return f"transfer session {self.tracking_id or '(id never received)'}"
        file_id = self.file_id or "(id never received)"
        return f"file {file_id} of transfer session {self.tracking_id}"


class _Target:
    """What a clean-up removes; the ids may be learnt while it runs."""

    def __init__(
        self, what: Literal["file", "session"], tracking_id: str | None, file_id: str | None
    ) -> None:
        self.what = what
        self.tracking_id = tracking_id
        self.file_id = file_id

    def failure(self, error: BaseException) -> CleanupFailure:
        return CleanupFailure(self.what, self.tracking_id, self.file_id, type(error).__name__)


class Cleanups:
    """The client's registry of clean-up tasks and of the clean-ups that failed."""

    def __init__(
        self,
        *,
        grace: float = DEFAULT_CLEANUP_GRACE,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    ) -> None:
        self.grace = grace
        self.close_timeout = close_timeout
        self._tasks: set[asyncio.Task[CleanupFailure | None]] = set()
        self._failures: list[CleanupFailure] = []

    @property
    def failures(self) -> tuple[CleanupFailure, ...]:
        return tuple(self._failures)

    @property
    def pending(self) -> int:
        """How many clean-ups are still running."""
        return len(self._tasks)

    # ------------------------------------------------------------ starting

    def remove_file(
        self, tracking_id: str, file_id: str, remove: Callable[[str], Awaitable[object]]
    ) -> asyncio.Task[CleanupFailure | None]:
        """Start removing a registered file: ``await remove(file_id)``.

        A 404 counts as removed: the server no longer has the file (an earlier attempt
        whose answer was lost removed it, or the session itself is gone).
        """

        async def work() -> None:
            try:
                await remove(file_id)
            except ApiVersionUnsupportedError:
                raise
            except NotFoundError:
                return

        return self._start(_Target("file", tracking_id, file_id), work)

    def delete_session(
        self, tracking_id: str, delete: Callable[[], Awaitable[object]]
    ) -> asyncio.Task[CleanupFailure | None]:
        """Start deleting a transfer session: ``await delete()``."""
        return self._start(_Target("session", tracking_id, None), delete)

    def undo_late(
        self,
        what: Literal["file", "session"],
        request: asyncio.Future[T],
        undo: Callable[[T], Awaitable[object]],
        *,
        tracking_id: str | None = None,
        id_of: Callable[[T], str] = str,
    ) -> asyncio.Task[CleanupFailure | None]:
        """Start waiting for ``request`` (cancelled by its caller while in flight) and,
        if it succeeded after all, undoing its result with ``undo(result)``."""
        target = _Target(what, tracking_id, None)

        async def finish() -> None:
            try:
                result = await request
            except Exception:  # the request failed: there is nothing to undo
                return
            if what == "file":
                target.file_id = id_of(result)
            else:
                target.tracking_id = id_of(result)
            await undo(result)

        return self._start(target, finish)

    def _start(
        self, target: _Target, work: Callable[[], Awaitable[object]]
    ) -> asyncio.Task[CleanupFailure | None]:
        task = asyncio.get_running_loop().create_task(self._guard(target, work))
        self._tasks.add(task)

        def done(task: asyncio.Task[CleanupFailure | None]) -> None:
            self._tasks.discard(task)
            if task.cancelled():  # by aclose() running out of time, or the loop ending
                self._record(target.failure(TimeoutError()), "was given up when the client closed")

        task.add_done_callback(done)
        return task

    async def _guard(
        self, target: _Target, work: Callable[[], Awaitable[object]]
    ) -> CleanupFailure | None:
        # ``work`` is called here, not earlier: a task cancelled before its first step
        # must not leave a coroutine that was never awaited.
        try:
            await retry_transient(work)
        except Exception as exc:
            return self._record(target.failure(exc), "failed")
        return None

    def _record(self, failure: CleanupFailure, how: str) -> CleanupFailure:
        self._failures.append(failure)
        _log.warning(
            "clean-up of %s %s (%s); remove it yourself or let the server's expiry do it",
            failure.describe(),
            how,
            failure.error,
        )
        return failure

    # ------------------------------------------------------------ waiting

    async def wait(self, task: asyncio.Task[CleanupFailure | None]) -> bool:
        """Wait for ``task`` at most ``grace`` seconds, through cancellations; True if
        the caller was cancelled meanwhile (it must re-raise then). A task still running
        goes on in the background."""
        return await wait_through_cancellation(task, bound=self.grace)

    async def aclose(self) -> None:
        """Await every clean-up still running (also those started meanwhile), at most
        ``close_timeout`` seconds in all; cancel (and record as failed) those left then."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.close_timeout
        while self._tasks:
            tasks = set(self._tasks)
            remaining = deadline - loop.time()
            if remaining > 0:
                await asyncio.wait(tasks, timeout=remaining)
                continue
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)


async def retry_transient(work: Callable[[], Awaitable[object]]) -> None:
    """``await work()``, again after a transient failure, :data:`CLEANUP_ATTEMPTS` times
    at most (for removals: removing twice is harmless); the last failure propagates."""
    attempt = 0
    while True:
        attempt += 1
        try:
            await work()
        except Exception as exc:
            if attempt < CLEANUP_ATTEMPTS and _transient(exc):
                await asyncio.sleep(_pause(exc, attempt))
                continue
            raise
        return


def _transient(error: Exception) -> bool:
    """A failure that trying again may cure (the server may have acted already: a
    clean-up removes, and removing twice is harmless)."""
    if isinstance(error, ResponseTooLargeError):
        return False
    return isinstance(error, ServerError | RateLimitedError | TransportError | ResponseParseError)


def _pause(error: Exception, attempt: int) -> float:
    hint = error.retry_after if isinstance(error, RateLimitedError) else None
    return min(_MAX_PAUSE, hint if hint is not None else _PAUSE * 2 ** (attempt - 1))


def note_outcome(
    error: BaseException, task: asyncio.Task[CleanupFailure | None], what: str
) -> None:
    """Add a note to ``error`` on how the clean-up of ``what`` went, if not plainly."""
    if not task.done():
        error.add_note(
            f"the removal of {what} goes on in the background; CryptshareClient.aclose() waits"
            " for it and records a failure in client.cleanup_failures"
        )
    elif not task.cancelled() and (failure := task.result()) is not None:
        error.add_note(
            f"{what} could not be removed ({failure.error}); remove it or delete the session"
        )


_public.claim(globals())

"""The thread-worker kit: work in worker threads, and waits that outlast a cancellation.

Everything CPU-heavy (hashing, copying) runs in a worker thread so the event loop stays
responsive; hashlib and zlib release the GIL for buffers over 2 KiB, so a worker and the
loop use both cores. The pieces, one job each:

- :func:`run_in_thread`: one piece of work in its own thread, with a stop flag, a
  progress relay, and a shielded join (a cancelled caller returns only once the thread
  has stopped);
- :class:`Producer`: a thread producing items for the event loop through a bounded
  hand-off (memory stays at ``depth`` items), stopped between two items on close;
- :class:`Lane`: a thread consuming items in order, handed over by the event loop or by
  another thread through a bounded hand-off;
- :func:`wait_through_cancellation`: await a future to its end even if the caller is
  cancelled meanwhile, optionally for at most a bound.

Example::

    digest = await run_in_thread(lambda stop, advance: hash_file(stop, advance), progress=p)
    lane = Lane(hasher.update, depth=4, name="cryptshare-hash")
    await lane.aput(chunk)
    await lane.adrain()          # every chunk hashed (re-raises the lane's error)
    await lane.aclose()          # thread ended, also when the caller is being cancelled
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Final, Generic, Protocol, TypeVar

__all__ = [
    "Advance",
    "Lane",
    "Producer",
    "ProgressSink",
    "Stopped",
    "run_in_thread",
    "wait_through_cancellation",
]

T = TypeVar("T")

Advance = Callable[[int], None]
"""``advance(done)``: called by a worker thread with the amount of work done so far."""

#: How often a worker blocked on a full hand-off looks at its stop flag anyway.
_POLL: Final = 1.0


class ProgressSink(Protocol):
    """Where a worker's progress goes (e.g. ``ProgressReporter``), on the event loop."""

    def report(self, done: int, /) -> Awaitable[None]: ...


class Stopped(Exception):
    """Raised by :meth:`Lane.put` after the lane was closed."""


# ------------------------------------------------------------------ waiting


async def wait_through_cancellation(
    future: asyncio.Future[T], *, bound: float | None = None
) -> bool:
    """Wait until ``future`` is done, also while the caller is being cancelled (each
    cancellation is absorbed); with ``bound``, wait at most that many seconds in all.

    Returns True if the caller was cancelled meanwhile: the caller must then re-raise
    :class:`asyncio.CancelledError` itself once it has dealt with ``future``. The
    future's own outcome (result, exception, cancellation) is left to the caller.
    """
    loop = asyncio.get_running_loop()
    deadline = None if bound is None else loop.time() + bound
    cancelled = False
    while not future.done():
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            break
        try:
            await asyncio.wait((future,), timeout=remaining)
        except asyncio.CancelledError:
            cancelled = True
    return cancelled


def _deliver(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _call_soon(loop: asyncio.AbstractEventLoop, func: Callable[[T], None], arg: T) -> bool:
    """Schedule ``func(arg)`` on ``loop`` from a thread; False if the loop is closed."""
    try:
        loop.call_soon_threadsafe(func, arg)
    except RuntimeError:  # the loop is closed: nobody is left to tell
        return False
    return True


class _Thread:
    """A daemon thread whose end the event loop can await (shielded) and then join."""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        self._loop = asyncio.get_running_loop()
        self._ended: asyncio.Future[None] = self._loop.create_future()
        self._target = target
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            self._target()
        finally:
            _call_soon(self._loop, _deliver, self._ended)

    async def join(self) -> None:
        """Wait until the thread has ended, even if cancelled meanwhile (then re-raise)."""
        if self._thread.ident is None:
            return
        cancelled = await wait_through_cancellation(self._ended)
        # The thread has signalled its last step and is only returning: joining takes
        # microseconds and makes "no thread left" hold once join() returns.
        self._thread.join(timeout=1.0)
        if cancelled:
            raise asyncio.CancelledError

    def join_blocking(self) -> None:
        self._thread.join()


# ------------------------------------------------------------------ progress


class _Relay:
    """Carries a worker's progress counts to ``progress`` on the event loop (the latest
    count wins, so a fast worker costs at most one loop wake-up per count)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, progress: ProgressSink) -> None:
        self._loop = loop
        self._progress = progress
        self._done = 0
        self._wake: asyncio.Future[None] = loop.create_future()

    def advance(self, done: int) -> None:  # worker thread
        self._done = done
        _call_soon(self._loop, _deliver, self._wake)

    async def forward(self, future: asyncio.Future[T]) -> None:
        """Report each count until ``future`` is done, then the last one if it succeeded."""
        await self._progress.report(0)
        while not future.done():
            await asyncio.wait((future, self._wake), return_when=asyncio.FIRST_COMPLETED)
            if self._wake.done():
                self._wake = self._loop.create_future()
            if not future.done():
                await self._progress.report(self._done)
        if not future.cancelled() and future.exception() is None:
            await self._progress.report(self._done)


def _ignore(_done: int) -> None:
    pass


async def run_in_thread(
    work: Callable[[threading.Event, Advance], T],
    *,
    progress: ProgressSink | None = None,
    name: str = "cryptshare-worker",
) -> T:
    """Run ``work(stop, advance)`` in its own thread and return its result.

    On cancellation, or when ``progress`` raises, ``stop`` is set and the thread is
    awaited before the exception propagates unchanged; ``work`` must check ``stop``
    between steps (e.g. between chunks). ``advance(done)`` reports progress to
    ``progress`` on the event loop. A dedicated thread (not the default executor) keeps
    long passes from starving ``getaddrinfo`` and other short executor jobs.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    stop = threading.Event()
    relay = _Relay(loop, progress) if progress is not None else None

    def settle(outcome: tuple[bool, object]) -> None:
        if future.done():
            return
        ok, value = outcome
        if ok:
            future.set_result(value)  # type: ignore[arg-type]
        else:
            assert isinstance(value, BaseException)
            future.set_exception(value)

    def target() -> None:
        outcome: tuple[bool, object]
        try:
            outcome = (True, work(stop, relay.advance if relay is not None else _ignore))
        except BaseException as exc:
            outcome = (False, exc)
        _call_soon(loop, settle, outcome)

    thread = _Thread(target, name)
    thread.start()
    try:
        if relay is not None:
            await relay.forward(future)
        return await asyncio.shield(future)
    except BaseException:
        stop.set()
        await thread.join()
        if future.done() and not future.cancelled():
            future.exception()  # retrieved: the caller's exception is the one that counts
        raise


# ------------------------------------------------------------------ producer → loop


class Producer(Generic[T]):
    """A worker thread taking items from the iterator ``produce()`` returns; the event
    loop takes them with ``await get()``.

    The worker waits for room before it asks for the next item, so at most ``depth``
    items are produced ahead of the loop and memory stays bounded whatever the
    producer's speed. An exception the iterator raises is handed to the loop's next
    :meth:`get`. The thread starts with the first :meth:`get`; :meth:`aclose` stops it
    between two items and awaits its end.
    """

    def __init__(self, produce: Callable[[], Iterator[T]], *, depth: int, name: str) -> None:
        self._produce = produce
        self._loop = asyncio.get_running_loop()
        self._items: collections.deque[tuple[bool, T | BaseException]] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._space = threading.Semaphore(depth)
        self._stop = threading.Event()
        self._thread = _Thread(self._work, name)
        self._started = False

    async def get(self) -> T:
        """The next item; re-raises the producer's exception; :class:`StopAsyncIteration`
        once the iterator is exhausted."""
        if not self._started:
            self._started = True
            self._thread.start()
        while not self._items:
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        ok, item = self._items[0]
        if ok or not isinstance(item, StopAsyncIteration):
            self._items.popleft()  # an end stays, for every later get()
            self._space.release()
        if not ok:
            assert isinstance(item, BaseException)
            raise item
        return item  # type: ignore[return-value]

    async def aclose(self) -> None:
        """Stop the producer and wait until its thread has ended (shielded)."""
        self._stop.set()
        self._space.release()  # wake a producer waiting for room
        await self._thread.join()

    # -------------------------------------------------------- worker thread side

    def _work(self) -> None:
        iterator = self._produce()
        try:
            while self._wait_for_room():
                try:
                    item = next(iterator)
                except StopIteration:
                    self._hand_over((False, StopAsyncIteration()))
                    return
                if not self._hand_over((True, item)):
                    return
        except BaseException as exc:  # delivered to the consumer, which re-raises it
            self._hand_over((False, exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def _wait_for_room(self) -> bool:
        while not self._space.acquire(timeout=_POLL):
            if self._stop.is_set():
                return False
        return not self._stop.is_set()

    def _hand_over(self, entry: tuple[bool, T | BaseException]) -> bool:
        return _call_soon(self._loop, self._append, entry)

    # -------------------------------------------------------- event loop side

    def _append(self, entry: tuple[bool, T | BaseException]) -> None:
        self._items.append(entry)
        waiter = self._waiter
        if waiter is not None:
            _deliver(waiter)


# ------------------------------------------------------------------ caller → thread


class Lane(Generic[T]):
    """A worker thread calling ``consume(item)`` for each item, in order.

    Items come from the event loop (:meth:`aput`) or from another thread (:meth:`put`);
    at most ``depth`` items are outstanding (waiting or being consumed), so a caller
    whose :meth:`put` returned may reuse the buffer it gave ``depth`` puts ago. The
    first exception ``consume`` raises is re-raised by every later ``put``, ``drain``
    and ``aput``/``adrain``; the items after it are skipped.
    Close it with :meth:`close` (thread side, or a ``with`` block) or :meth:`aclose`.
    """

    def __init__(self, consume: Callable[[T], None], *, depth: int, name: str) -> None:
        if depth < 1:
            raise ValueError("depth must be >= 1")
        self._consume = consume
        self._depth = depth
        self._cond = threading.Condition()
        self._items: collections.deque[T] = collections.deque()
        self._outstanding = 0
        self._closing = False
        self._discard = False
        self._error: BaseException | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()
        self._ended = threading.Event()
        self._thread: _Thread | threading.Thread
        if self._loop is not None:
            self._thread = _Thread(self._work, name)
        else:
            self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def __enter__(self) -> Lane[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close(discard=exc_info[0] is not None)

    # -------------------------------------------------------- caller side

    def put(self, item: T) -> None:
        """Hand ``item`` over, waiting (blocking) while ``depth`` items are outstanding."""
        with self._cond:
            while self._outstanding >= self._depth and self._error is None:
                self._cond.wait()
            self._append(item)

    async def aput(self, item: T) -> None:
        """Hand ``item`` over from the event loop, awaiting space without blocking it."""
        while True:
            with self._cond:
                if self._outstanding < self._depth or self._error is not None:
                    self._append(item)
                    return
                waiter = self._add_waiter()
            await waiter

    def drain(self) -> None:
        """Wait (blocking) until every item is consumed; re-raise the consumer's error."""
        with self._cond:
            while self._outstanding and self._error is None:
                self._cond.wait()
            self._raise_error()

    async def adrain(self) -> None:
        """Await until every item is consumed; re-raise the consumer's error."""
        while True:
            with self._cond:
                if not self._outstanding or self._error is not None:
                    self._raise_error()
                    return
                waiter = self._add_waiter()
            await waiter

    def close(self, *, discard: bool = False) -> None:
        """End the thread after the items given (or skip them: ``discard``) and join it."""
        self._shut(discard)
        if isinstance(self._thread, _Thread):
            self._thread.join_blocking()
        else:
            self._thread.join()

    async def aclose(self, *, discard: bool = True) -> None:
        """End the thread (skipping waiting items unless ``discard`` is false) and await
        its end, even if the caller is cancelled meanwhile."""
        self._shut(discard)
        if isinstance(self._thread, _Thread):
            await self._thread.join()
        else:  # made outside a loop: its end is only seen by a blocking join
            self._thread.join()

    def _shut(self, discard: bool) -> None:
        with self._cond:
            self._closing = True
            self._discard = self._discard or discard
            self._cond.notify_all()

    def _append(self, item: T) -> None:  # holding the lock
        self._raise_error()
        if self._closing:
            raise Stopped("the lane is closed")
        self._items.append(item)
        self._outstanding += 1
        self._cond.notify_all()

    def _raise_error(self) -> None:  # holding the lock
        if self._error is not None:
            raise self._error

    def _add_waiter(self) -> asyncio.Future[None]:  # holding the lock
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiters.append((loop, waiter))
        return waiter

    # -------------------------------------------------------- worker thread side

    def _work(self) -> None:
        for item in self._take():
            try:
                if self._error is None and not self._discard:
                    self._consume(item)
            except BaseException as exc:  # handed to the caller's next call
                self._error = exc
            finally:
                with self._cond:
                    self._outstanding -= 1
                    self._cond.notify_all()
                    waiters, self._waiters = self._waiters, []
                for loop, waiter in waiters:
                    _call_soon(loop, _deliver, waiter)

    def _take(self) -> Iterator[T]:
        while True:
            with self._cond:
                while not self._items and not self._closing:
                    self._cond.wait()
                if not self._items:
                    return
                item = self._items.popleft()
            yield item

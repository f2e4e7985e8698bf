"""The fast chunk producer: a worker thread reads and hashes chunks ahead of the sender.

DESIGN §6: a thread hop costs ~100-180 µs, so hashing 1-2 MiB chunks in a thread that
runs ahead of the event loop (bounded queue) lets hashing and sending use both cores,
while hashing in the loop would serialise them. ``benchmarks/upload.py`` compares this
reader with aiofiles.

Example::

    reader = ChunkReader(read_at, size, hasher=resolve_algorithm("SHA256").new())
    async with contextlib.aclosing(reader):
        async for chunk in reader:
            await send(chunk.data)
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
from collections.abc import Callable
from typing import Final, TypeVar

from attrs import define

from ._hashing import Hasher
from ._progress import ProgressReporter

__all__ = ["DEFAULT_CHUNK_SIZE", "Advance", "ChunkReader", "ReadAt", "ReadChunk", "run_in_thread"]

DEFAULT_CHUNK_SIZE: Final = 1 << 20
DEFAULT_DEPTH: Final = 3

ReadAt = Callable[[int, int], "bytes | memoryview"]
"""``read_at(offset, n)``: up to ``n`` bytes at ``offset``; fewer only at the end."""

T = TypeVar("T")


@define(frozen=True, slots=True)
class ReadChunk:
    """One chunk of content. Only the final chunk carries ``digest``, ``short`` (the
    source ended before ``size``) and ``overrun`` (the source has bytes beyond ``size``)."""

    data: bytes | memoryview
    end: int
    final: bool = False
    digest: str | None = None
    short: bool = False
    overrun: bool = False


class _Stop(Exception):
    """The consumer went away; the worker ends quietly."""


class ChunkReader:
    """Reads ``size`` bytes with ``read_at`` in a worker thread, hashing as it goes.

    At most ``depth`` chunks wait in the queue, so memory stays at ``depth * chunk_size``
    whatever the file size. :meth:`aclose` stops the thread between two chunks and waits
    until it has ended (also when the caller is being cancelled), so no thread work is
    left behind and the file may be closed right after.
    """

    def __init__(
        self,
        read_at: ReadAt,
        size: int,
        *,
        hasher: Hasher | None,
        has_more: Callable[[int], bool] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        depth: int = DEFAULT_DEPTH,
    ) -> None:
        self._read_at = read_at
        self._size = size
        self._hasher = hasher
        self._has_more = has_more
        self._chunk_size = chunk_size
        self._loop = asyncio.get_running_loop()
        self._items: collections.deque[ReadChunk | BaseException] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._space = threading.Semaphore(depth)
        self._stop = threading.Event()
        self._finished: asyncio.Future[None] = self._loop.create_future()
        self._thread: threading.Thread | None = None
        self._exhausted = False

    def __aiter__(self) -> ChunkReader:
        return self

    async def __anext__(self) -> ReadChunk:
        if self._exhausted:
            raise StopAsyncIteration
        if self._thread is None:
            self._start()
        while not self._items:
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        self._space.release()
        if isinstance(item, BaseException):
            self._exhausted = True
            raise item
        if item.final:
            self._exhausted = True
        return item

    async def aclose(self) -> None:
        """Stop the worker and wait until it has ended (shielded from cancellation)."""
        self._exhausted = True
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        self._space.release()  # wake a worker waiting for queue space
        try:
            await wait_uncancellable(self._finished)
        finally:
            # The worker has signalled its last step and is only returning: joining
            # takes microseconds and makes "no thread left" hold once aclose() returns.
            thread.join(timeout=1.0)

    # ----------------------------------------------------------- worker thread side

    def _start(self) -> None:
        thread = threading.Thread(target=self._work, name="cryptshare-upload-reader", daemon=True)
        self._thread = thread
        thread.start()

    def _work(self) -> None:
        try:
            try:
                self._produce()
            except _Stop:
                pass
            except BaseException as exc:  # delivered to the consumer, which re-raises it
                self._deliver(exc)
        except _Stop:  # the loop closed while delivering
            pass
        finally:
            with contextlib.suppress(_Stop):
                self._call(_set_done, self._finished)

    def _produce(self) -> None:
        offset, size, chunk_size, hasher = 0, self._size, self._chunk_size, self._hasher
        while True:
            self._wait_for_space()
            want = min(chunk_size, size - offset)
            data = self._read_full(offset, want) if want else b""
            if hasher is not None and data:
                hasher.update(data)
            offset += len(data)
            short = len(data) < want
            if short or offset >= size:
                overrun = not short and self._has_more is not None and self._has_more(offset)
                digest = hasher.hexdigest() if hasher is not None else None
                self._deliver(ReadChunk(data, offset, True, digest, short, overrun))
                return
            self._deliver(ReadChunk(data, offset))

    def _read_full(self, offset: int, want: int) -> bytes | memoryview:
        data = self._read_at(offset, want)
        if len(data) >= want:
            return data
        parts = [bytes(data)]
        got = len(data)
        while got < want and data:
            data = self._read_at(offset + got, want - got)
            parts.append(bytes(data))
            got += len(data)
        return b"".join(parts)

    def _wait_for_space(self) -> None:
        while not self._space.acquire(timeout=1.0):
            if self._stop.is_set():
                raise _Stop
        if self._stop.is_set():
            raise _Stop

    def _deliver(self, item: ReadChunk | BaseException) -> None:
        self._call(self._put, item)

    def _call(self, func: Callable[[T], None], arg: T) -> None:
        try:
            self._loop.call_soon_threadsafe(func, arg)
        except RuntimeError:  # the loop is closed: nobody is left to deliver to
            raise _Stop from None

    # ----------------------------------------------------------- event loop side

    def _put(self, item: ReadChunk | BaseException) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def wait_uncancellable(future: asyncio.Future[T]) -> T:
    """Await ``future`` to the end even if the caller is cancelled meanwhile; then
    re-raise the cancellation. Used where work must not be left behind."""
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            if future.done():
                if future.cancelled():
                    raise
                result = future.result()
                break
            cancelled = True
            continue
        break
    if cancelled:
        raise asyncio.CancelledError
    return result


Advance = Callable[[int], None]
"""``advance(done)``: called by a worker thread with the bytes it has processed so far."""


async def run_in_thread(
    work: Callable[[threading.Event, Advance], T], *, progress: ProgressReporter | None = None
) -> T:
    """Run ``work(stop, advance)`` in its own thread and return its result.

    On cancellation ``stop`` is set and the thread is awaited before the cancellation
    propagates; ``work`` must check ``stop`` between steps (e.g. between chunks).
    ``advance(done)`` reports progress: each call wakes the event loop, which hands the
    latest count to ``progress``; if ``progress`` raises, the work is stopped the same
    way and the exception propagates unchanged.
    A dedicated thread (not the default executor) keeps long hashing passes from
    starving ``getaddrinfo`` and other short executor jobs.
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
        with contextlib.suppress(RuntimeError):  # a closed loop has nobody to tell
            loop.call_soon_threadsafe(settle, outcome)

    thread = threading.Thread(target=target, name="cryptshare-upload-hash", daemon=True)
    thread.start()
    try:
        if relay is not None:
            await relay.forward(future)
        return await asyncio.shield(future)
    except BaseException:
        stop.set()
        if not future.done():
            await _wait_quietly(future)
        # The thread has handed over its outcome and is only returning: joining takes
        # microseconds and makes "no thread left" hold when the exception propagates.
        thread.join(timeout=1.0)
        raise


def _ignore(_done: int) -> None:
    pass


class _Relay:
    """Carries a worker thread's progress counts to ``progress`` on the event loop
    (the latest count wins)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, progress: ProgressReporter) -> None:
        self._loop = loop
        self._progress = progress
        self._done = 0
        self._wake: asyncio.Future[None] = loop.create_future()

    def advance(self, done: int) -> None:  # worker thread
        self._done = done
        with contextlib.suppress(RuntimeError):  # a closed loop has nobody to tell
            self._loop.call_soon_threadsafe(self._notify)

    def _notify(self) -> None:
        if not self._wake.done():
            self._wake.set_result(None)

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


async def _wait_quietly(future: asyncio.Future[T]) -> None:
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            continue
        except BaseException:
            return

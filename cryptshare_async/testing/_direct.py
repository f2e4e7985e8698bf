"""Direct receive of a large request body: a worker thread moves it from the socket into
the file with ``splice(2)`` (Linux), bypassing aiohttp's parser.

aiohttp hands a body over in pieces of at most 256 KiB, each a fresh ``bytes`` (copied
out of the parser), and the event loop then writes them; that caps a loopback upload far
below what the machine can absorb (DESIGN §6). Here the event loop only hands over what
aiohttp already buffered; a worker thread then splices socket → pipe → file, so the body
is never copied through Python objects and the event loop stays free meanwhile.

aiohttp's parser still expects the rest of the body, so a connection whose body was read
directly can serve no further request: the caller answers with ``Connection: close``
(:func:`receive_direct` also marks the connection so that it closes after the response).

Example (inside a handler that has not read the body)::

    size = await receive_direct(request, path)
    if size is None:          # not available here: read through aiohttp instead
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import select
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

from aiohttp import web

from ._recycle import OpenContent, open_new

__all__ = ["DIRECT_AVAILABLE", "receive_direct"]

T = TypeVar("T")

DIRECT_AVAILABLE: Final = hasattr(os, "splice") and hasattr(select, "poll")
_PIPE_BYTES: Final = 1024 * 1024  # the default pipe-max-size; smaller if refused
_F_SETPIPE_SZ: Final = getattr(fcntl, "F_SETPIPE_SZ", 1031)
_F_GETPIPE_SZ: Final = getattr(fcntl, "F_GETPIPE_SZ", 1032)
_IN: Final = (os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK) if DIRECT_AVAILABLE else 0
#: How long the worker waits for more data before writing a partly filled pipe.
_LINGER_MS: Final = 2


class _Stopped(Exception):
    """The handler was cancelled; the worker stopped between two splices."""


def _usable(request: web.Request) -> bool:
    """Whether this request's body can be read directly from its socket."""
    transport = request.transport
    return (
        DIRECT_AVAILABLE
        and transport is not None
        and request.content_length is not None
        and transport.get_extra_info("sslcontext") is None
        and transport.get_extra_info("socket") is not None
        and not request.content.is_eof()
    )


async def receive_direct(
    request: web.Request, path: Path, open_content: OpenContent = open_new
) -> int | None:
    """Write the body to ``path`` (opened with ``open_content``); its byte count.

    ``None`` if the body cannot be read directly (no splice, TLS, chunked, already complete
    in aiohttp's buffer): nothing was consumed and the caller reads it through
    ``request.content``. Otherwise the connection closes after the response. On any failure
    (client gone, short body, cancelled) the partial file is removed, the connection
    aborted and the error re-raised (``ConnectionResetError`` for a client that went away).
    """
    if not _usable(request):
        return None
    transport = request.transport
    assert transport is not None and request.content_length is not None
    content = request.content
    with contextlib.ExitStack() as fds:
        file_fd = open_content(path)
        fds.callback(os.close, file_fd)
        try:
            # Drain what aiohttp buffered (this may resume reading), then stop it reading:
            # from here on the rest of the body is in the socket, for the worker alone.
            head = content.read_nowait(-1)
            transport.pause_reading()
            request.protocol.close()  # no further request on this connection
            remaining = request.content_length - content.total_bytes
            sock_fd = os.dup(transport.get_extra_info("socket").fileno())
            fds.callback(os.close, sock_fd)
            wake_read, wake_write = os.pipe()
            fds.callback(os.close, wake_read)
            fds.callback(os.close, wake_write)
            stopping = threading.Event()

            def stop() -> None:
                stopping.set()
                os.write(wake_write, b"x")  # wakes a worker waiting in poll()

            await _run_stoppable(
                lambda: _pump(head, sock_fd, file_fd, (wake_read, stopping), remaining),
                stop=stop,
            )
            os.ftruncate(file_fd, len(head) + remaining)  # a reused file may have been longer
        except BaseException:
            transport.abort()  # the body is half read: the connection cannot be used
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise
    content.feed_eof()  # the body is complete: aiohttp must not wait for it
    return len(head) + remaining


def _pump(
    head: bytes, sock_fd: int, file_fd: int, wake: tuple[int, threading.Event], count: int
) -> None:
    """Worker thread: write ``head``, then splice ``count`` bytes from the socket.

    The pipe is filled (up to its capacity) before it is emptied into the file: writing
    the file in large pieces halves the kernel's cost per byte against writing each
    socket-sized piece. So when the socket is momentarily empty while the pipe holds some
    data, the worker waits a little (``_LINGER_MS``) for more before writing. ``wake`` is
    a pipe that becomes readable and an event that is set when the handler is cancelled;
    the worker then stops before its next splice.
    """
    wake_fd, stopping = wake
    view = memoryview(head)
    while view:
        view = view[os.write(file_fd, view) :]
    pipe_read, pipe_write = os.pipe()
    try:
        with contextlib.suppress(OSError):  # keep the default size if refused
            fcntl.fcntl(pipe_write, _F_SETPIPE_SZ, _PIPE_BYTES)
        capacity = fcntl.fcntl(pipe_write, _F_GETPIPE_SZ)
        poller = select.poll()
        poller.register(sock_fd, select.POLLIN)
        poller.register(wake_fd, select.POLLIN)
        left, filled = count, 0
        data_waiting = False  # poll() just saw data: an EAGAIN now means the pipe is full
        while left or filled:
            if stopping.is_set():
                raise _Stopped
            if left and filled < capacity:
                try:
                    moved = os.splice(sock_fd, pipe_write, min(left, capacity - filled), flags=_IN)
                except BlockingIOError:  # nothing to read now, or no room in the pipe
                    moved = -1
                if moved == 0:
                    raise ConnectionResetError(
                        f"the client closed the connection {count - left} bytes into the body"
                    )
                if moved > 0:
                    left, filled, data_waiting = left - moved, filled + moved, False
                    continue
                if not data_waiting:
                    timeout = _LINGER_MS if filled else None
                    data_waiting = _wait_readable(poller, sock_fd, wake_fd, timeout)
                    if data_waiting or not filled:
                        continue
            # The pipe is full, the body complete, or the sender paused: write the file.
            data_waiting = False
            while filled:
                filled -= os.splice(pipe_read, file_fd, filled, flags=os.SPLICE_F_MOVE)
    finally:
        os.close(pipe_read)
        os.close(pipe_write)


def _wait_readable(poller: select.poll, sock_fd: int, wake_fd: int, timeout: int | None) -> bool:
    """Whether the socket became readable within ``timeout`` ms (``None``: no limit)."""
    events = dict(poller.poll(timeout))
    if wake_fd in events:
        raise _Stopped
    return sock_fd in events


async def _run_stoppable(work: Callable[[], T], *, stop: Callable[[], object]) -> T:
    """Run ``work`` in its own thread; if cancelled, call ``stop`` and wait for the thread
    to end before the cancellation propagates (so no file or socket is used after)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def target() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = work()
        except BaseException as exc:  # handed to the event loop, which re-raises it
            error = exc
        with contextlib.suppress(RuntimeError):  # a closed loop has nobody to tell
            loop.call_soon_threadsafe(settle, result, error)

    thread = threading.Thread(target=target, name="cryptshare-emulator-receive", daemon=True)
    thread.start()
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        stop()
        while not future.done():
            try:
                await asyncio.shield(future)
            except asyncio.CancelledError:
                continue
            except BaseException:
                break
        future.exception()  # retrieved: _Stopped, or what the worker hit meanwhile
        # The worker has handed over its outcome and is only returning: joining takes
        # microseconds and makes "no thread left" hold once the cancellation propagates.
        thread.join(timeout=1.0)
        raise

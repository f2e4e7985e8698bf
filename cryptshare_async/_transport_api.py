"""The transport interface: what the client needs from whatever carries its HTTP.

:class:`CryptshareClient` sends every request (downloads included) through a
:class:`Transport`. The default one is built on aiohttp; pass another with
``CryptshareClient(..., transport=...)`` to add instrumentation, route through
something else, or (with :class:`cryptshare_async.testing.MockTransport`) to test
without HTTP. The client keeps retries, response size bounds, error mapping, logging
and event hooks on its side, so a transport does one attempt and returns what it got.

Example::

    class Logging:
        def __init__(self, inner: Transport) -> None:
            self._inner = inner

        async def send(self, request, headers, *, body=None):
            response = await self._inner.send(request, headers, body=body)
            print(request.method, request.url_path, response.status)
            return response

        def stream(self, request, headers):
            return self._inner.stream(request, headers)

        async def aclose(self):
            await self._inner.aclose()
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from yarl import URL

from . import _public
from ._errors import InvalidInputError
from ._protocol import ApiRequest, ApiResponse

__all__ = ["StreamBody", "StreamedResponse", "Transport", "request_url"]

DEFAULT_READ_SIZE = 256 * 1024


def request_url(base_url: URL, request: ApiRequest) -> URL:
    """The full URL of ``request`` under ``base_url`` (the server root).

    The path is already percent-encoded, so yarl must not encode it again.
    """
    path = base_url.raw_path.rstrip("/") + request.url_path
    url = base_url.with_path(path, encoded=True)
    if request.query:
        url = url.with_query(list(request.query))
    return url


class StreamBody(Protocol):
    """A request body streamed from its source.

    ``open()`` must give a *fresh* iterator over the whole content each time it is
    called (a retry calls it again), or raise
    :class:`~cryptshare_async.SourceNotReplayableError` if it cannot.
    """

    @property
    def size(self) -> int: ...

    def open(self) -> AsyncIterator[bytes]: ...


class StreamedResponse:
    """An answer whose body is read piece by piece (downloads).

    ``read(n)`` returns up to ``n`` bytes, ``b""`` at the end. A transport builds one
    from any ``async def read(n) -> bytes``; errors while reading must already be
    library errors (:class:`~cryptshare_async.TransportError` and subclasses).

    Example::

        async with transport.stream(request, headers) as response:
            async for chunk in response.iter_chunks():
                sink.write(chunk)
    """

    __slots__ = ("_read", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        read: Callable[[int], Awaitable[bytes]],
    ) -> None:
        self.status = status
        self.headers = headers
        self._read = read

    def __repr__(self) -> str:
        return f"StreamedResponse(status={self.status})"

    @classmethod
    def from_bytes(cls, status: int, headers: Mapping[str, str], body: bytes) -> StreamedResponse:
        """A streamed view of a body that is already in memory."""
        view = memoryview(body)
        position = 0

        async def read(size: int) -> bytes:
            nonlocal position
            chunk = bytes(view[position : position + size])
            position += len(chunk)
            return chunk

        return cls(status, headers, read)

    async def read(self, size: int = DEFAULT_READ_SIZE) -> bytes:
        """Up to ``size`` bytes of the body; ``b""`` once it is exhausted."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidInputError(f"read size must be an int >= 1, got {size!r}")
        return await self._read(size)

    async def iter_chunks(self, size: int = DEFAULT_READ_SIZE) -> AsyncIterator[bytes]:
        """The body in chunks of at most ``size`` bytes."""
        while True:
            chunk = await self.read(size)
            if not chunk:
                return
            yield chunk


@runtime_checkable
class Transport(Protocol):
    """Carries one HTTP exchange at a time; the client does retries and bounds.

    - :meth:`send` sends ``request`` with ``headers`` (and ``body``, streamed, when
      given) and returns the whole answer, whatever its status.
    - :meth:`stream` opens the answer for reading piece by piece, whatever its status.
    - :meth:`aclose` releases connections. A transport passed to the client is never
      closed by it: close it yourself.

    Failures must be raised as :class:`~cryptshare_async.TransportError` (or a
    subclass) and hold no secret: the headers carry the client id, the verification
    token and transfer passwords. Anything else a transport raises is reported as a
    ``TransportError`` naming only the exception's type.
    """

    async def send(
        self,
        request: ApiRequest,
        headers: Mapping[str, str],
        *,
        body: StreamBody | None = None,
    ) -> ApiResponse: ...

    def stream(
        self, request: ApiRequest, headers: Mapping[str, str]
    ) -> AbstractAsyncContextManager[StreamedResponse]: ...

    async def aclose(self) -> None: ...


_public.claim(globals())

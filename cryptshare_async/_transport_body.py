"""The aiohttp payload for a streamed request body.

aiohttp's ``AsyncIterablePayload`` would do the streaming, but it reports an exception
raised *by the body* (an integrity check, a progress callback) as a connection error,
which the transport would then retry. This payload records such an exception so the
transport can raise it unchanged and never retry it.

Example::

    payload = StreamBodyPayload(body.open(), size=body.size)
    async with session.put(url, data=payload) as resp: ...
    if payload.body_error is not None:
        raise payload.body_error
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload

__all__ = ["StreamBodyPayload"]


class StreamBodyPayload(Payload):
    """Writes each chunk the body yields; remembers the body's own failure.

    ``completed`` is true once the body ended normally and every chunk was written.
    """

    _autoclose = True

    def __init__(self, iterator: AsyncIterator[bytes], *, size: int, **kwargs: Any) -> None:
        kwargs.setdefault("content_type", "application/octet-stream")
        super().__init__(iterator, **kwargs)
        self._iterator = iterator
        self._size = size
        self.body_error: BaseException | None = None
        self.completed = False

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("a streamed upload body cannot be decoded")

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        if self._consumed:
            raise RuntimeError("a streamed body is written once; the transport opens a new one")
        self._consumed = True
        iterator = self._iterator
        while True:
            try:
                chunk = await anext(iterator)
            except StopAsyncIteration:
                break
            except Exception as exc:
                self.body_error = exc
                raise
            await writer.write(chunk)
        self.completed = True

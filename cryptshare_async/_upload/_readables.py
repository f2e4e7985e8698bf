"""What a file object is, told by duck typing: sync or async ``read(n)``, binary or text,
its name; and the chunked read loop over an async one.

Nothing here imports aiofiles, aiohttp or a web framework: an aiofiles handle, an aiohttp
or asyncio ``StreamReader`` and a Starlette ``UploadFile`` all have an ``async def
read(n)``; ``open(path, "rb")`` and ``io.BytesIO`` a plain ``read(n)``.

Example::

    >>> import io
    >>> has_async_read(io.BytesIO()), has_sync_read(io.BytesIO())
    (False, True)
"""

from __future__ import annotations

import inspect
import io
import os
from collections.abc import AsyncIterator, Awaitable
from typing import Final, Protocol, TypeGuard, cast, runtime_checkable

from .._errors import InvalidInputError

__all__ = [
    "READ_SIZE",
    "AsyncBinaryReadable",
    "BinaryReadable",
    "as_bytes",
    "check_usable",
    "has_async_read",
    "has_sync_read",
    "name_of",
    "read_chunks",
]

#: How much one ``read(n)`` of a file object asks for (a ``StreamReader`` gives what it
#: has buffered, up to this).
READ_SIZE: Final = 1 << 20


@runtime_checkable
class BinaryReadable(Protocol):
    """A sync binary file object: ``open(path, "rb")``, ``io.BytesIO``, ``sys.stdin.buffer``."""

    def read(self, size: int = ..., /) -> bytes: ...


@runtime_checkable
class AsyncBinaryReadable(Protocol):
    """An async binary file object: ``aiofiles.open(path, "rb")``, an aiohttp or asyncio
    ``StreamReader``, a web framework's ``UploadFile``."""

    def read(self, size: int = ..., /) -> Awaitable[bytes]: ...


def has_async_read(obj: object) -> TypeGuard[AsyncBinaryReadable]:
    """``obj.read`` is a coroutine function (``async def read(n)``)."""
    return inspect.iscoroutinefunction(getattr(obj, "read", None))


def has_sync_read(obj: object) -> TypeGuard[BinaryReadable]:
    """``obj.read`` is a plain callable (not a coroutine function)."""
    read = getattr(obj, "read", None)
    return callable(read) and not inspect.iscoroutinefunction(read)


def name_of(obj: object) -> str | None:
    """The base name the object knows itself by (``filename`` as an ``UploadFile`` has
    it, else a path-like ``name``), or ``None`` (also for a pseudo-name such as
    ``sys.stdin.buffer``'s ``'<stdin>'``).

    Example::

        >>> import io, sys
        >>> name_of(io.BytesIO()), name_of(sys.stdin.buffer)
        (None, None)
    """
    for attribute in ("filename", "name"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str) and value and not (value[0] == "<" and value[-1] == ">"):
            return os.path.basename(value) or None
    return None


def check_usable(obj: object) -> None:
    """Raise if ``obj`` is visibly closed or a text-mode file (which gives ``str``)."""
    mode = getattr(obj, "mode", None)
    if isinstance(obj, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
        raise InvalidInputError(
            f"the file object {_describe(obj)} is open in text mode; open it in binary mode"
            " (open(path, 'rb') or aiofiles.open(path, 'rb'))"
        )
    if getattr(obj, "closed", False) is True:
        raise InvalidInputError(f"the file object {_describe(obj)} is closed")


def as_bytes(data: object, obj: object) -> bytes | bytearray | memoryview:
    """``data`` returned by ``obj.read()``, checked to be bytes."""
    if isinstance(data, bytes | bytearray | memoryview):
        return data
    if isinstance(data, str):
        raise InvalidInputError(
            f"the file object {_describe(obj)} gave str, not bytes: open it in binary mode"
        )
    if data is None:
        raise InvalidInputError(
            f"the file object {_describe(obj)} gave None (a non-blocking file with no data"
            " ready); pass a blocking file object"
        )
    raise InvalidInputError(
        f"read() of the file object {_describe(obj)} must return bytes, got {type(data).__name__}"
    )


async def read_chunks(
    obj: AsyncBinaryReadable, *, start: int | None = None, size: int = READ_SIZE
) -> AsyncIterator[bytes]:
    """``await obj.read(size)`` until it gives ``b""``; first ``await obj.seek(start)``
    unless ``start`` is ``None``."""
    if start is not None:
        await obj.seek(start)  # type: ignore[attr-defined]
    while True:
        data = as_bytes(await obj.read(size), obj)
        if not len(data):
            return
        yield cast(bytes, data)  # bytes-like: the stream takes bytearray and memoryview too


def _describe(obj: object) -> str:
    name = name_of(obj)
    return f"{type(obj).__name__}({name!r})" if name is not None else type(obj).__name__

"""What ``upload()`` accepts, and the source type each kind of value becomes.

Example::

    >>> import io
    >>> type(as_upload_source(io.BytesIO(b"x"))).__name__
    'FileObjectSource'
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable
from typing import TypeAlias

from .._errors import InvalidInputError
from ._file_objects import FileObjectSource
from ._readables import AsyncBinaryReadable, BinaryReadable, has_async_read, has_sync_read
from ._sources import BytesSource, FileSource, StreamSource, UploadSource

__all__ = ["Source", "as_upload_source"]

Source: TypeAlias = (
    str
    | os.PathLike[str]
    | bytes
    | bytearray
    | memoryview
    | BinaryReadable
    | AsyncBinaryReadable
    | UploadSource
)
"""Anything ``upload()`` accepts: a path, a buffer, a binary file object (sync or async,
e.g. ``open(path, "rb")``, an aiofiles handle, a ``StreamReader``), or an
:class:`UploadSource`."""


def as_upload_source(
    source: Source | AsyncIterable[bytes], *, size: int | None = None
) -> UploadSource:
    """Wrap a plain path, buffer, file object or async iterable (with ``size``) in its
    source type. An object with ``read(n)`` is read as a file (in chunks), even if it is
    also iterable (a ``StreamReader`` or an aiofiles handle iterates by lines)."""
    if isinstance(source, UploadSource):
        return source
    if isinstance(source, str | os.PathLike):
        return FileSource(source)
    if isinstance(source, bytes | bytearray | memoryview):
        return BytesSource(source)
    if has_async_read(source) or has_sync_read(source):
        return FileObjectSource(source, size=size)
    if isinstance(source, AsyncIterable):
        if size is None:
            raise InvalidInputError(
                "an async iterable needs its size declared: upload(stream, size=..., file_name=...)"
                " (or spool() it to a temporary file first)"
            )
        return StreamSource(source, size=size)
    raise InvalidInputError(
        "upload() takes a path, bytes/bytearray/memoryview, a binary file object (sync or"
        " async read(n)), an async iterable with size=, or an UploadSource; got"
        f" {type(source).__name__}"
    )

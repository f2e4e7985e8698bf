"""Spool a stream of unknown size to a temporary file, since the API wants the size of a
file when it is registered.

The file is made with :func:`tempfile.TemporaryFile` (mode 0600, unlinked at once where
the platform allows, so nothing is left behind even if the process dies) and closed by
the context manager. It is written and hashed in a worker thread while the stream is
read; the digest (SHA-256 unless ``algorithm=`` says otherwise) then serves as the
pre-pass of an upload into a session with that algorithm, so the content is read once
from the stream and once from the file, not twice from the file.

Example::

    async with session_http.get(url) as resp:
        async with await spool(resp.content, max_bytes=512 << 20) as spooled:
            await session.upload(spooled, file_name="export.csv")
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
from collections.abc import AsyncGenerator, AsyncIterable
from types import TracebackType
from typing import IO, Final

from .._errors import InvalidInputError
from .._threads import Lane
from ._hashing import ChecksumAlgorithm, Crc32, Hasher, PrePass, resolve_algorithm
from ._progress import ProgressReporter
from ._readables import (
    READ_SIZE,
    AsyncBinaryReadable,
    BinaryReadable,
    as_bytes,
    check_usable,
    has_async_read,
    has_sync_read,
    name_of,
    read_chunks,
)
from ._reader import Advance, run_in_thread
from ._sources import OpenedSource, UploadSource, _OpenedFile

__all__ = ["SpooledSource", "spool"]

#: Pieces handed to the writing thread but not yet written, at most.
_DEPTH: Final = 4

SpoolInput = AsyncIterable[bytes] | AsyncBinaryReadable | BinaryReadable


class SpooledSource(UploadSource):
    """A stream spooled to a temporary file by :func:`spool`: an upload source of known
    ``size``, replayable (retries work), whose pre-pass is already done if the session's
    checksum algorithm is the one it was hashed with. Close it (``async with`` or
    :meth:`aclose`) to free the file."""

    def __init__(
        self, file: IO[bytes], size: int, name: str | None, pre_pass: PrePass, algorithm: str
    ) -> None:
        self.name = name
        self.size = size
        #: The digest of the content in :attr:`algorithm`.
        self.digest = pre_pass.digest
        self.algorithm = algorithm
        self._file: IO[bytes] | None = file
        self._pre_pass = pre_pass

    def __repr__(self) -> str:
        return f"SpooledSource(name={self.name!r}, size={self.size}, closed={self.closed})"

    @property
    def closed(self) -> bool:
        return self._file is None

    def open(self) -> OpenedSource:
        if self._file is None:
            raise InvalidInputError("the spooled file was closed (use it inside `async with`)")
        fd = os.dup(self._file.fileno())
        try:
            info = os.fstat(fd)
        except BaseException:
            os.close(fd)
            raise
        return _OpenedSpool(self.name, fd, info, self._pre_pass, self.algorithm)

    def close(self) -> None:
        """Close (and so delete) the temporary file; uploads already opened keep reading."""
        file, self._file = self._file, None
        if file is not None:
            file.close()

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> SpooledSource:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _OpenedSpool(_OpenedFile):
    def __init__(
        self, name: str | None, fd: int, info: os.stat_result, pre_pass: PrePass, algorithm: str
    ) -> None:
        super().__init__("the spooled file", name, fd, info)
        self._pre_pass = pre_pass
        self._algorithm = algorithm

    async def prehash(
        self, algorithm: ChecksumAlgorithm, progress: ProgressReporter | None = None
    ) -> PrePass:
        if algorithm.name != self._algorithm:
            return await super().prehash(algorithm, progress)
        if progress is not None:
            await progress.report(self.size)
        return self._pre_pass


async def spool(
    source: SpoolInput,
    *,
    max_bytes: int,
    dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    algorithm: str = "SHA-256",
) -> SpooledSource:
    """Copy ``source`` (an async iterable of bytes, an object with ``async read(n)`` such
    as a ``StreamReader``, or a sync binary file object, read in a worker thread) into a
    temporary file in ``dir`` (default: the system's), at most ``max_bytes`` bytes;
    hashed with ``algorithm`` on the way.

    More than ``max_bytes`` raises :class:`InvalidInputError` (the file is deleted).
    ``name`` defaults to the source's own (``filename``/``name``), if any.

    Example::

        async with await spool(request.content, max_bytes=100 << 20) as spooled:
            await session.upload(spooled, file_name="upload.bin")
    """
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 0:
        raise InvalidInputError(f"max_bytes must be an int >= 0, got {max_bytes!r}")
    resolved = resolve_algorithm(algorithm)
    sync = has_sync_read(source)
    if has_async_read(source) or sync:
        check_usable(source)
    elif not isinstance(source, AsyncIterable):
        raise InvalidInputError(
            "spool() takes an async iterable of bytes or a binary file object (sync or async"
            f" read(n)), got {type(source).__name__}"
        )
    made: list[IO[bytes]] = []

    def make(_stop: threading.Event, _advance: Advance) -> IO[bytes]:
        made.append(tempfile.TemporaryFile(dir=dir))  # noqa: SIM115 - closed by SpooledSource
        return made[0]

    try:
        file = await run_in_thread(make, name="cryptshare-spool")
    except BaseException:  # cancelled while the thread made it: the thread has ended
        for made_file in made:
            made_file.close()
        raise
    try:
        writer = _Writer(file, resolved.new(), max_bytes)
        if sync:
            await run_in_thread(
                lambda stop, _advance: writer.copy(source, stop),  # type: ignore[arg-type]
                name="cryptshare-spool",
            )
        else:
            await writer.acopy(source)  # type: ignore[arg-type]
    except BaseException:
        file.close()
        raise
    return SpooledSource(
        file,
        writer.size,
        name if name is not None else name_of(source),
        PrePass(writer.hasher.hexdigest(), writer.crc.hexdigest()),
        resolved.name,
    )


class _Writer:
    """Writes and hashes pieces in order (in a worker thread), counting against the bound."""

    def __init__(self, file: IO[bytes], hasher: Hasher, max_bytes: int) -> None:
        self._fd = file.fileno()
        self.hasher = hasher
        self.crc = Crc32()
        self._max = max_bytes
        self.size = 0

    def _count(self, length: int) -> None:
        self.size += length
        if self.size > self._max:
            raise InvalidInputError(
                f"the stream is larger than max_bytes={self._max} (spool() stopped at"
                f" {self.size} bytes and deleted the file); raise max_bytes if that much is"
                " expected"
            )

    def write(self, data: bytes | memoryview) -> None:  # worker thread
        view = memoryview(data)
        while view.nbytes:
            view = view[os.write(self._fd, view) :]
        self.hasher.update(data)
        self.crc.update(data)

    def copy(self, source: BinaryReadable, stop: threading.Event) -> None:  # worker thread
        while not stop.is_set():
            data = as_bytes(source.read(READ_SIZE), source)
            if not len(data):
                return
            self._count(len(data))
            self.write(data if isinstance(data, bytes) else bytes(data))
        raise InterruptedError("spooling stopped")

    async def acopy(self, source: AsyncIterable[bytes] | AsyncBinaryReadable) -> None:
        pieces = read_chunks(source) if has_async_read(source) else source
        lane: Lane[bytes | memoryview] = Lane(self.write, depth=_DEPTH, name="cryptshare-spool")
        try:
            async with contextlib.aclosing(_pieces(pieces)) as stream:  # type: ignore[arg-type]
                async for item in stream:
                    self._count(len(item))
                    await lane.aput(item)
            await lane.adrain()
        finally:
            await lane.aclose()
            close = getattr(pieces, "aclose", None)  # a generator, ours or the caller's
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()


async def _pieces(stream: AsyncIterable[object]) -> AsyncGenerator[bytes | memoryview, None]:
    """The stream's items as immutable pieces of at most 1 MiB: a mutable item is copied
    (the caller may refill it), one slice per loop step."""
    async for item in stream:
        if not isinstance(item, bytes | bytearray | memoryview):
            raise InvalidInputError(f"a spooled stream must yield bytes, got {type(item).__name__}")
        view = memoryview(item).cast("B")
        immutable = isinstance(view.obj, bytes)
        for offset in range(0, view.nbytes, READ_SIZE):
            piece = view[offset : offset + READ_SIZE]
            yield piece if immutable else piece.tobytes()
            if not immutable and view.nbytes > READ_SIZE:
                await asyncio.sleep(0)

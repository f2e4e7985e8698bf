"""What can be uploaded: a file path, bytes in memory, or an async stream of a declared size.

Example::

    await session.upload("report.pdf")                               # a path
    await session.upload(BytesSource(b"a,b\\n1,2\\n", name="t.csv"))   # bytes
    await session.upload(StreamSource(chunks(), size=n, name="x.bin"))  # one-shot stream
    await session.upload(StreamSource(lambda: chunks(), size=n, name="x.bin"))  # replayable

Opening a source checks it (missing file, directory, unreadable, wrong declared size)
before anything is registered on the server. File objects are in ``_file_objects``,
streams of unknown size are spooled by ``_spool``.

Replayable (resent on a retry, and readable twice for the pre-pass): paths, buffers,
stream factories, seekable file objects and spooled streams; read once: a plain async
iterable and a file object that cannot seek.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import contextlib
import os
import stat
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Final, TypeAlias

from attrs import define, field

from .. import _public
from .._errors import InvalidInputError, SizeMismatchError, SourceChangedError
from .._errors import SourceNotReplayableError as _NotReplayable
from ._hashing import ChecksumAlgorithm, Crc32, Hasher, HasherPair, PrePass
from ._progress import ProgressReporter
from ._readables import AsyncBinaryReadable, has_async_read, read_chunks
from ._reader import DEFAULT_CHUNK_SIZE, Advance, ChunkReader, ReadChunk, run_in_thread
from ._side_hash import SideHasher, StreamHasher

__all__ = [
    "BytesSource",
    "FileSource",
    "OpenedSource",
    "StreamFactory",
    "StreamSource",
    "UploadSource",
]

# The pre-pass alternates two buffers of this size (one hashed by the CRC-32 thread
# while the other is read and hashed): large enough that a thread hand-over per block
# costs nothing measurable, small enough to keep the pre-pass within a few MiB.
_PREHASH_BLOCK = 2 << 20
#: Buffers up to this size are hashed on the event loop (SHA-256 and CRC-32 of 256 KiB
#: take ~0.3 ms here): starting a worker thread costs more than that (DESIGN §6), and a
#: batch of small transfers (``benchmarks/send_many.py``) would pay it per file.
INLINE_HASH_MAX = 256 * 1024
StreamFactory: TypeAlias = Callable[[], AsyncIterable[bytes]]
_ONE_SHOT_HINT: Final = (
    "pass a path or bytes, or a StreamSource factory (a callable returning a fresh iterable)"
    " to get retries"
)


class UploadSource(abc.ABC):
    """Base of the source types; :meth:`open` checks the source and gives its size."""

    name: str | None

    @abc.abstractmethod
    def open(self) -> OpenedSource:
        """Check and open the source (raises before anything is registered)."""

    async def aopen(self) -> OpenedSource:
        """:meth:`open` for sources that must wait to be checked (a file object's size
        is found by seeking, in a worker thread or through its async methods)."""
        return self.open()


@define(frozen=True, slots=True)
class FileSource(UploadSource):
    """A regular file; uploaded under its base name unless ``name`` is given.

    Its content is re-read from the open file on a retry, so retries always work.
    """

    path: str | os.PathLike[str] = field()
    name: str | None = None

    @path.validator
    def _check_path(self, _attribute: object, value: object) -> None:
        if not isinstance(value, str | os.PathLike) or not os.fspath(value):
            raise InvalidInputError(
                f"a file path must be a non-empty str or PathLike, got {value!r}"
            )

    def open(self) -> OpenedSource:
        path = os.fspath(self.path)
        name = self.name if self.name is not None else os.path.basename(path)
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise InvalidInputError(f"cannot upload {path!r}: no such file") from None
        except IsADirectoryError:
            raise InvalidInputError(f"cannot upload {path!r}: it is a directory") from None
        except PermissionError:
            raise InvalidInputError(f"cannot upload {path!r}: permission denied") from None
        except OSError as exc:
            raise InvalidInputError(f"cannot upload {path!r}: {exc.strerror or exc}") from None
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise InvalidInputError(f"cannot upload {path!r}: it is a directory")
            if not stat.S_ISREG(info.st_mode):
                raise InvalidInputError(
                    f"cannot upload {path!r}: not a regular file (for pipes and devices use"
                    " StreamSource with a declared size)"
                )
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return _OpenedFile(repr(path), name, fd, info)


@define(frozen=True, slots=True)
class BytesSource(UploadSource):
    """Content in memory (``bytes``, ``bytearray``, ``memoryview``), sent without copying
    the whole buffer. A mutable buffer changed during the upload is detected."""

    data: bytes | bytearray | memoryview = field(repr=False)
    name: str | None = None

    @data.validator
    def _check_data(self, _attribute: object, value: object) -> None:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise InvalidInputError(
                f"BytesSource needs bytes, bytearray or memoryview, got {value!r}"
            )

    def open(self) -> OpenedSource:
        view = memoryview(self.data)
        if not view.contiguous:
            raise InvalidInputError("BytesSource needs a contiguous buffer")
        return _OpenedBytes(self.name, view.cast("B"), immutable=isinstance(self.data, bytes))


@define(frozen=True, slots=True)
class StreamSource(UploadSource):
    """An async iterable of bytes with its exact ``size`` declared up front (the server
    wants the size at registration).

    Give a *factory* (a callable returning a fresh async iterable) to allow retries and
    the pre-pass checksum mode; a plain async iterable is consumed once and never resent.
    An object with ``async def read(n)`` (an aiohttp or asyncio ``StreamReader``) is read
    in chunks of up to 1 MiB, not iterated (which would go line by line).
    """

    stream: AsyncIterable[bytes] | AsyncBinaryReadable | StreamFactory = field(repr=False)
    size: int = field()
    name: str | None = None

    @stream.validator
    def _check_stream(self, _attribute: object, value: object) -> None:
        if not (isinstance(value, AsyncIterable) or callable(value) or has_async_read(value)):
            raise InvalidInputError(
                "StreamSource needs an async iterable of bytes, an object with async read(n),"
                f" or a factory of one, got {value!r}"
            )

    @size.validator
    def _check_size(self, _attribute: object, value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInputError(f"StreamSource size must be an int >= 0, got {value!r}")

    def open(self) -> OpenedSource:
        return _OpenedStream(self.name, self.stream, self.size)


# ---------------------------------------------------------------- opened sources


class OpenedSource(abc.ABC):
    """A checked, open source. ``chunks()`` gives a fresh pass over the content each
    time it is called, or raises :class:`SourceNotReplayableError`."""

    name: str | None
    size: int
    #: The content cannot change after opening (immutable bytes).
    immutable: bool = False
    #: ``chunks()`` may be called again (retries, pre-pass).
    replayable: bool = True
    #: The size was declared by the caller (a stream), not read from the source itself:
    #: a mismatch means a wrong declaration rather than a source that changed.
    declared_size: bool = False

    @abc.abstractmethod
    def chunks(self, hasher: Hasher | None, chunk_size: int) -> ChunkStream:
        """A pass over the content; the last chunk is marked ``final``."""

    @abc.abstractmethod
    async def prehash(
        self, algorithm: ChecksumAlgorithm, progress: ProgressReporter | None = None
    ) -> PrePass:
        """Hash the whole content (the pre-pass): the digest in ``algorithm`` and the
        CRC-32 the sending pass checks again; the bytes hashed so far go to ``progress``."""

    def check_unchanged(self) -> None:  # noqa: B027 - most sources cannot change
        """Raise :class:`SourceChangedError` if the source visibly changed since opening."""

    def close(self) -> None:  # noqa: B027 - most sources hold nothing
        """Release what :meth:`UploadSource.open` acquired."""


class ChunkStream(AsyncIterator[ReadChunk], abc.ABC):
    """An async iterator of chunks that must be closed (``aclose``)."""

    @abc.abstractmethod
    async def aclose(self) -> None: ...


class _ReaderStream(ChunkStream):
    def __init__(self, reader: ChunkReader) -> None:
        self._reader = reader

    async def __anext__(self) -> ReadChunk:
        return await self._reader.__anext__()

    async def aclose(self) -> None:
        await self._reader.aclose()


class _OpenedFile(OpenedSource):
    """A regular file read with ``pread`` from ``start`` on (by the worker-thread reader);
    the descriptor is this object's own (closed by :meth:`close`)."""

    def __init__(
        self, label: str, name: str | None, fd: int, info: os.stat_result, start: int = 0
    ) -> None:
        self.name = name
        self.size = max(info.st_size - start, 0)
        self._label = label
        self._fd: int | None = fd
        self._start = start
        self._identity = _identity(info)

    def _require_fd(self) -> int:
        if self._fd is None:
            raise InvalidInputError(f"{self._label} was closed")
        return self._fd

    def chunks(self, hasher: Hasher | None, chunk_size: int) -> ChunkStream:
        fd, start = self._require_fd(), self._start
        reader = ChunkReader(
            lambda offset, n: os.pread(fd, n, start + offset),
            self.size,
            hasher=hasher,
            has_more=lambda offset: bool(os.pread(fd, 1, start + offset)),
            chunk_size=chunk_size,
        )
        return _ReaderStream(reader)

    async def prehash(
        self, algorithm: ChecksumAlgorithm, progress: ProgressReporter | None = None
    ) -> PrePass:
        fd, size, start = self._require_fd(), self.size, self._start

        def work(stop: threading.Event, advance: Advance) -> PrePass:
            hasher = algorithm.new()
            block = min(_PREHASH_BLOCK, max(size, 1))
            buffers = (memoryview(bytearray(block)), memoryview(bytearray(block)))
            offset = turn = 0
            with SideHasher(Crc32()) as crc:
                while offset < size:
                    if stop.is_set():
                        raise InterruptedError("pre-pass stopped")
                    view = buffers[turn]
                    turn ^= 1
                    n = os.preadv(fd, [view[: min(block, size - offset)]], start + offset)
                    if n == 0:
                        raise SourceChangedError(
                            f"{self._label} shrank while it was being hashed"
                            f" ({offset} of {size} bytes)"
                        )
                    crc.update(view[:n])  # returns once the other buffer is free again
                    hasher.update(view[:n])
                    offset += n
                    advance(offset)
                return PrePass(hasher.hexdigest(), crc.hexdigest())

        return await run_in_thread(work, progress=progress, name="cryptshare-upload-hash")

    def check_unchanged(self) -> None:
        fd = self._require_fd()
        now = _identity(os.fstat(fd))
        if now != self._identity:
            raise SourceChangedError(
                f"{self._label} changed during the upload (size or modification time differ"
                " from when it was opened)"
            )

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


class _OpenedBytes(OpenedSource):
    def __init__(self, name: str | None, view: memoryview, *, immutable: bool) -> None:
        self.name = name
        self.size = view.nbytes
        self.immutable = immutable
        self._view = view

    def _read_at(self, offset: int, n: int) -> bytes | memoryview:
        piece = self._view[offset : offset + n]
        # A mutable buffer is copied chunk by chunk, so the bytes hashed are the bytes sent.
        return piece if self.immutable else piece.tobytes()

    def chunks(self, hasher: Hasher | None, chunk_size: int) -> ChunkStream:
        if hasher is None and self.immutable:
            return _SliceStream(self._view, chunk_size)
        if self.size <= INLINE_HASH_MAX:
            return _SliceStream(self._view, chunk_size, hasher=hasher, copy=not self.immutable)
        reader = ChunkReader(self._read_at, self.size, hasher=hasher, chunk_size=chunk_size)
        return _ReaderStream(reader)

    async def prehash(
        self, algorithm: ChecksumAlgorithm, progress: ProgressReporter | None = None
    ) -> PrePass:
        view, immutable = self._view, self.immutable
        if view.nbytes <= INLINE_HASH_MAX:
            return await _prehash_inline(view, algorithm, progress, immutable=immutable)

        def work(stop: threading.Event, advance: Advance) -> PrePass:
            hasher = algorithm.new()
            with contextlib.ExitStack() as stack:
                # Immutable bytes are sent as hashed; a mutable buffer is copied block by
                # block so that both hashes see the same bytes, and checked while sending.
                crc = None if immutable else stack.enter_context(SideHasher(Crc32()))
                for offset in range(0, view.nbytes, _PREHASH_BLOCK):
                    if stop.is_set():
                        raise InterruptedError("pre-pass stopped")
                    block = view[offset : offset + _PREHASH_BLOCK]
                    piece = block if crc is None else block.tobytes()
                    if crc is not None:
                        crc.update(piece)
                    hasher.update(piece)
                    advance(min(offset + _PREHASH_BLOCK, view.nbytes))
                return PrePass(hasher.hexdigest(), crc.hexdigest() if crc is not None else None)

        return await run_in_thread(work, progress=progress, name="cryptshare-upload-hash")


async def _prehash_inline(
    view: memoryview,
    algorithm: ChecksumAlgorithm,
    progress: ProgressReporter | None,
    *,
    immutable: bool,
) -> PrePass:
    """The pre-pass of a small buffer (at most :data:`INLINE_HASH_MAX`), on the loop."""
    if progress is not None:
        await progress.report(0)
    hasher = algorithm.new()
    crc = None if immutable else Crc32()
    # A mutable buffer is copied once, so that both hashes see the same bytes.
    data = view if immutable else view.tobytes()
    hasher.update(data)
    if crc is not None:
        crc.update(data)
    if progress is not None:
        await progress.report(view.nbytes)
    return PrePass(hasher.hexdigest(), crc.hexdigest() if crc is not None else None)


class _SliceStream(ChunkStream):
    """Slices of a buffer: zero-copy for an immutable one; a small one (at most
    :data:`INLINE_HASH_MAX`) may be hashed here, on the loop, a mutable one copied slice
    by slice first so that the bytes hashed are the bytes sent."""

    def __init__(
        self, view: memoryview, chunk_size: int, *, hasher: Hasher | None = None, copy: bool = False
    ) -> None:
        self._view = view
        self._chunk_size = chunk_size
        self._hasher = hasher
        self._copy = copy
        self._offset = 0
        self._done = False

    async def __anext__(self) -> ReadChunk:
        if self._done:
            raise StopAsyncIteration
        end = min(self._offset + self._chunk_size, self._view.nbytes)
        view = self._view[self._offset : end]
        piece: bytes | memoryview = view.tobytes() if self._copy else view
        self._offset = end
        self._done = end >= self._view.nbytes
        hasher = self._hasher
        if hasher is None:
            return ReadChunk(piece, end, final=self._done)
        if piece:
            hasher.update(piece)
        digest = hasher.hexdigest() if self._done else None
        return ReadChunk(piece, end, final=self._done, digest=digest)

    async def aclose(self) -> None:
        self._done = True


class _OpenedStream(OpenedSource):
    """An async iterable (or a factory of fresh ones), or an object with ``async def
    read(n)`` such as a ``StreamReader`` (read in chunks, never iterated by lines)."""

    def __init__(
        self,
        name: str | None,
        stream: AsyncIterable[bytes] | StreamFactory | AsyncBinaryReadable,
        size: int,
        *,
        declared_size: bool = True,
        one_shot_hint: str = _ONE_SHOT_HINT,
    ) -> None:
        self.name = name
        self.size = size
        self._stream = stream
        one_shot = isinstance(stream, AsyncIterable) or has_async_read(stream)
        self._factory = None if one_shot else stream
        self.replayable = self._factory is not None
        self.declared_size = declared_size
        self._one_shot_hint = one_shot_hint
        self._used = False

    def _fresh(self) -> AsyncIterable[bytes | bytearray | memoryview]:
        if self._factory is not None:
            stream = self._factory()  # type: ignore[operator]
            if has_async_read(stream):
                return read_chunks(stream)
            if not isinstance(stream, AsyncIterable):
                raise InvalidInputError(
                    f"the StreamSource factory must return an async iterable, got {stream!r}"
                )
            return stream
        if self._used:
            raise _NotReplayable(
                "the upload needs the content again (a retry after a failed attempt), but the"
                f" source was already consumed and is never resent; {self._one_shot_hint}"
            )
        self._used = True
        if has_async_read(self._stream):
            return read_chunks(self._stream)
        assert isinstance(self._stream, AsyncIterable)
        return self._stream

    def chunks(self, hasher: Hasher | None, chunk_size: int) -> ChunkStream:
        return _IterableStream(self._fresh(), self.size, hasher, chunk_size)

    async def prehash(
        self, algorithm: ChecksumAlgorithm, progress: ProgressReporter | None = None
    ) -> PrePass:
        if self._factory is None:
            raise InvalidInputError(
                "the pre-pass checksum mode reads the content twice; a one-shot async iterable"
                " cannot be; use ChecksumMode.STREAM, give the digest, or pass a factory"
            )
        hashers = HasherPair(algorithm.new(), Crc32())
        stream = _IterableStream(self._fresh(), self.size, hashers)
        try:
            if progress is not None:
                await progress.report(0)
            async for chunk in stream:
                if chunk.short or chunk.overrun:
                    raise SizeMismatchError(
                        f"the stream gave {'fewer' if chunk.short else 'more'} bytes than its"
                        f" declared size {self.size}",
                        expected=self.size,
                        actual=chunk.end,
                    )
                if progress is not None:
                    await progress.report(chunk.end)
        finally:
            await stream.aclose()
        return PrePass(hashers.first.hexdigest(), hashers.second.hexdigest())


class _IterableStream(ChunkStream):
    """Chunks of a caller's async iterable, kept one piece behind so that the last chunk
    is known to be the last (and checked) before it is sent.

    Nothing CPU-heavy runs in one step of the event loop: an item larger than
    ``chunk_size`` is cut into zero-copy slices (a connection handed one huge buffer
    would copy what the socket does not take at once into its own buffer); a mutable
    item is copied when taken (the caller may refill it for the next one), one slice per
    loop step (a copy holds the GIL wherever it runs); the bytes are hashed in a worker
    thread (:class:`StreamHasher`).
    """

    def __init__(
        self,
        stream: AsyncIterable[bytes | bytearray | memoryview],
        size: int,
        hasher: Hasher | None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self._iterator = aiter(stream)
        self._size = size
        self._hasher = StreamHasher(hasher) if hasher is not None else None
        self._chunk_size = chunk_size
        self._pieces: collections.deque[bytes | memoryview] = collections.deque()
        self._total = 0  # bytes taken from the iterable
        self._sent = 0  # bytes passed on in chunks
        self._done = False

    async def __anext__(self) -> ReadChunk:
        if self._done:
            raise StopAsyncIteration
        while len(self._pieces) < 2:
            try:
                item = await anext(self._iterator)
            except StopAsyncIteration:
                return await self._finish(overrun=False)
            if not isinstance(item, bytes | bytearray | memoryview):
                raise InvalidInputError(
                    f"an upload stream must yield bytes, got {type(item).__name__}"
                )
            length = len(item) if not isinstance(item, memoryview) else item.nbytes
            if not length:
                continue
            self._total += length
            if self._total > self._size:
                return await self._finish(overrun=True)
            await self._split(item, length)
        data = await self._take()
        self._sent += len(data)
        return ReadChunk(data, self._sent)

    async def _split(self, item: bytes | bytearray | memoryview, length: int) -> None:
        if isinstance(item, bytes) and length <= self._chunk_size:
            self._pieces.append(item)
            return
        view = memoryview(item).cast("B")
        immutable = isinstance(view.obj, bytes)
        for offset in range(0, length, self._chunk_size):
            piece = view[offset : offset + self._chunk_size]
            if immutable:
                self._pieces.append(piece)
                continue
            self._pieces.append(piece.tobytes())
            if length > self._chunk_size:
                await asyncio.sleep(0)  # one slice per loop step

    async def _take(self) -> bytes | memoryview:
        """The next piece, hashed."""
        piece = self._pieces.popleft()
        if self._hasher is not None:
            await self._hasher.update(piece)
        return piece

    async def _finish(self, *, overrun: bool) -> ReadChunk:
        self._done = True
        data: bytes | memoryview = b""
        if self._pieces:  # after an overrun, never sent: the final check fails first
            data = self._pieces.popleft() if overrun else await self._take()
        digest = None
        if self._hasher is not None and not overrun:
            digest = await self._hasher.hexdigest()
        end = self._total
        return ReadChunk(data, end, True, digest, short=end < self._size, overrun=overrun)

    async def aclose(self) -> None:
        self._done = True
        self._pieces.clear()
        try:
            if self._hasher is not None:
                await self._hasher.aclose()
        finally:
            close = getattr(self._iterator, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()


_public.claim(globals())

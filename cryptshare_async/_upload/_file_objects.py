"""Open file objects as upload sources: ``open(path, "rb")``, ``io.BytesIO``, aiofiles
handles, a ``StreamReader``, a web framework's ``UploadFile``.

Which path each takes (``benchmarks/README.md`` has the figures):

- a binary file object over a regular file, opened read-only (``open(path, "rb")``, an
  aiofiles handle): its descriptor is duplicated and read with ``pread`` by the
  worker-thread reader, from the object's current position, exactly as a path is;
- another sync object (``io.BytesIO``, a pipe's ``sys.stdin.buffer``, a file opened for
  writing too): ``read(n)`` in the worker thread, never on the event loop;
- an async object (``async def read(n)``): ``await read(1 MiB)`` on the loop, hashed in
  a worker thread, like an async stream.

The size is ``size=`` or, for a seekable object, found by seeking to its end (the
position is restored). A seekable object is replayable: a retry (or the pre-pass)
rewinds it to the position it had when the upload began. A non-seekable object is read
once: it needs ``size=`` and a failed attempt is not retried. Where the object stands
after an upload is unspecified; it is never closed. A cancelled upload returns once the
sync ``read()`` in progress has returned (a pipe without data holds it).

Example::

    with open("report.pdf", "rb") as f:
        await session.upload(f)                      # size and name from the file
    async with aiofiles.open("report.pdf", "rb") as f:
        await session.upload(f)
    await session.upload(upload_file, size=upload_file.size)   # Starlette's UploadFile
"""

from __future__ import annotations

import inspect
import os
import stat
import threading
from typing import Final

from attrs import define, field

from .._errors import InvalidInputError, SizeMismatchError, SourceChangedError
from .._errors import SourceNotReplayableError as _NotReplayable
from ._hashing import ChecksumAlgorithm, Crc32, Hasher, PrePass
from ._progress import ProgressReporter
from ._readables import (
    AsyncBinaryReadable,
    BinaryReadable,
    as_bytes,
    check_usable,
    has_async_read,
    has_sync_read,
    name_of,
    read_chunks,
)
from ._reader import Advance, ChunkReader, run_in_thread
from ._side_hash import SideHasher
from ._sources import (
    _PREHASH_BLOCK,
    ChunkStream,
    OpenedSource,
    UploadSource,
    _OpenedFile,
    _OpenedStream,
    _ReaderStream,
)

__all__ = ["FileObjectSource"]

_ONE_SHOT: Final = (
    "the file object cannot seek back to where it started; pass a seekable file object or"
    " a path, or spool() the stream to a temporary file first, to get retries"
)
#: Modes in which the object may hold writes its descriptor has not seen yet.
_WRITING: Final = frozenset("wax+")


@define(frozen=True, slots=True)
class FileObjectSource(UploadSource):
    """An open binary file object, sync (``read(n)``) or async (``async def read(n)``).

    ``size`` is needed only if the object cannot seek; ``name`` defaults to the base name
    of the object's ``filename`` or ``name``. The content is what lies between the
    object's position when the upload begins and its end. The object is not closed.
    Plain ``session.upload(f)`` wraps ``f`` in this.

    Example::

        with open("report.pdf", "rb") as f:
            await session.upload(FileObjectSource(f, name="Q3.pdf"))
    """

    file: BinaryReadable | AsyncBinaryReadable = field(repr=False)
    size: int | None = None
    name: str | None = None

    @file.validator
    def _check_file(self, _attribute: object, value: object) -> None:
        if not (has_async_read(value) or has_sync_read(value)):
            raise InvalidInputError(
                f"FileObjectSource needs an object with read(n) or async read(n), got {value!r}"
            )

    def __attrs_post_init__(self) -> None:
        size = self.size
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise InvalidInputError(f"a file object's size must be an int >= 0, got {size!r}")

    def open(self) -> OpenedSource:
        raise InvalidInputError(
            "a FileObjectSource is opened with `await source.aopen()` (upload() does that)"
        )

    async def aopen(self) -> OpenedSource:
        file, size = self.file, self.size
        check_usable(file)
        name = self.name if self.name is not None else name_of(file)
        if has_async_read(file):
            return await _open_async(file, name, size)

        made: list[OpenedSource] = []

        def work(_stop: threading.Event, _advance: Advance) -> OpenedSource:
            made.append(_open_sync(file, name, size))  # type: ignore[arg-type]
            return made[0]

        try:
            return await run_in_thread(work, name="cryptshare-upload-open")
        except BaseException:  # cancelled while the thread opened it: the thread has ended
            for opened in made:
                opened.close()
            raise


def _label(obj: object) -> str:
    name = name_of(obj)
    return f"the file object {name!r}" if name is not None else f"the {type(obj).__name__}"


def _check_size(declared: int | None, found: int, label: str) -> None:
    if declared is not None and declared != found:
        raise SizeMismatchError(
            f"the declared size {declared} does not match the {found} bytes {label} has"
            " from its current position",
            expected=declared,
            actual=found,
        )


def _regular_fd(obj: object) -> tuple[int, os.stat_result] | None:
    """A duplicate of the object's descriptor if it is a regular file open read-only,
    with its ``fstat`` (ours to close: the caller may close the object meanwhile)."""
    fileno, mode = getattr(obj, "fileno", None), getattr(obj, "mode", None)
    if not callable(fileno) or inspect.iscoroutinefunction(fileno):
        return None
    if not isinstance(mode, str) or _WRITING.intersection(mode):
        return None
    try:
        fd = fileno()
        if not isinstance(fd, int) or not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        own = os.dup(fd)
    except (OSError, ValueError):
        return None
    try:
        return own, os.fstat(own)
    except BaseException:
        os.close(own)
        raise


def _from_fd(
    obj: object, name: str | None, size: int | None, fd: int, info: os.stat_result, start: int
) -> OpenedSource:
    try:
        opened = _OpenedFile(_label(obj), name, fd, info, start)
        _check_size(size, opened.size, _label(obj))
    except BaseException:
        os.close(fd)
        raise
    return opened


# ------------------------------------------------------------------ sync objects


def _open_sync(obj: BinaryReadable, name: str | None, size: int | None) -> OpenedSource:
    """Runs in a worker thread: seeking may block."""
    label = _label(obj)
    regular = _regular_fd(obj)
    if regular is not None:
        fd, info = regular
        try:
            start = obj.tell()  # type: ignore[attr-defined]
        except BaseException:
            os.close(fd)
            raise
        return _from_fd(obj, name, size, fd, info, start)
    start = _sync_position(obj)
    if start is None:
        if size is None:
            raise InvalidInputError(_no_size(label))
        return _OpenedSyncReader(obj, label, name, size, start=None)
    end = obj.seek(0, os.SEEK_END)  # type: ignore[attr-defined]
    obj.seek(start)  # type: ignore[attr-defined]
    found = max(end - start, 0)
    _check_size(size, found, label)
    return _OpenedSyncReader(obj, label, name, found, start=start)


def _sync_position(obj: object) -> int | None:
    """The object's position if it can seek, else ``None``."""
    seekable, tell = getattr(obj, "seekable", None), getattr(obj, "tell", None)
    if not callable(tell) or not callable(getattr(obj, "seek", None)):
        return None
    try:
        if callable(seekable) and not seekable():
            return None
        position = tell()
    except (OSError, ValueError):
        return None
    return position if isinstance(position, int) else None


def _no_size(label: str) -> str:
    return (
        f"{label} cannot seek, so its size is unknown: pass size= (the exact number of bytes"
        " it will give), or spool() it to a temporary file first"
    )


class _OpenedSyncReader(OpenedSource):
    """``read(n)`` of a sync object, always in a worker thread (the chunk reader's or the
    pre-pass's); each pass of a seekable object first seeks back to ``start``."""

    def __init__(
        self, obj: BinaryReadable, label: str, name: str | None, size: int, *, start: int | None
    ) -> None:
        self.name = name
        self.size = size
        self.replayable = start is not None
        self.declared_size = start is None
        self._obj = obj
        self._label = label
        self._start = start
        self._used = False

    def _rewind(self, offset: int) -> None:  # worker thread
        if offset == 0 and self._start is not None:
            self._obj.seek(self._start)  # type: ignore[attr-defined]

    def _read_at(self, offset: int, n: int) -> bytes | memoryview:  # worker thread
        self._rewind(offset)
        data = as_bytes(self._obj.read(n), self._obj)
        return data if not isinstance(data, bytearray) else bytes(data)

    def _has_more(self, offset: int) -> bool:  # worker thread
        self._rewind(offset)
        return bool(len(as_bytes(self._obj.read(1), self._obj)))

    def chunks(self, hasher: Hasher | None, chunk_size: int) -> ChunkStream:
        if not self.replayable:
            if self._used:
                raise _NotReplayable(
                    "the upload needs the content again (a retry after a failed attempt), but"
                    f" {self._label} was already read; {_ONE_SHOT}"
                )
            self._used = True
        reader = ChunkReader(
            self._read_at, self.size, hasher=hasher, has_more=self._has_more, chunk_size=chunk_size
        )
        return _ReaderStream(reader)

    async def prehash(
        self, algorithm: ChecksumAlgorithm, progress: ProgressReporter | None = None
    ) -> PrePass:
        size = self.size

        def work(stop: threading.Event, advance: Advance) -> PrePass:
            hasher = algorithm.new()
            offset = 0
            with SideHasher(Crc32()) as crc:
                while offset < size:
                    if stop.is_set():
                        raise InterruptedError("pre-pass stopped")
                    data = self._read_at(offset, min(_PREHASH_BLOCK, size - offset))
                    if not len(data):
                        raise SourceChangedError(
                            f"{self._label} ended while it was being hashed"
                            f" ({offset} of {size} bytes)"
                        )
                    crc.update(data)
                    hasher.update(data)
                    offset += len(data)
                    advance(offset)
                return PrePass(hasher.hexdigest(), crc.hexdigest())

        return await run_in_thread(work, progress=progress, name="cryptshare-upload-hash")


# ------------------------------------------------------------------ async objects


async def _open_async(obj: AsyncBinaryReadable, name: str | None, size: int | None) -> OpenedSource:
    label = _label(obj)
    tell = getattr(obj, "tell", None)
    seek = getattr(obj, "seek", None)
    can_seek = inspect.iscoroutinefunction(tell) and inspect.iscoroutinefunction(seek)
    regular = _regular_fd(obj) if can_seek else None
    if regular is not None:  # an aiofiles handle: read by the worker-thread reader
        fd, info = regular
        try:
            start = await tell()  # type: ignore[misc]
        except BaseException:
            os.close(fd)
            raise
        return _from_fd(obj, name, size, fd, info, start)
    start = await _async_position(obj) if can_seek else None
    if start is None:
        if size is None:
            raise InvalidInputError(_no_size(label))
        return _OpenedStream(name, obj, size, declared_size=True, one_shot_hint=_ONE_SHOT)
    end = await seek(0, os.SEEK_END)  # type: ignore[misc]
    if not isinstance(end, int):
        end = await tell()  # type: ignore[misc]
    await seek(start)  # type: ignore[misc]
    found = max(end - start, 0)
    _check_size(size, found, label)
    return _OpenedStream(name, lambda: read_chunks(obj, start=start), found, declared_size=False)


async def _async_position(obj: object) -> int | None:
    try:
        position = await obj.tell()  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return None
    return position if isinstance(position, int) else None

"""Nothing CPU-heavy on the event loop: every source kind, in every checksum mode, is
hashed in worker threads; a stream's large items are sliced, not copied, on the loop."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cryptshare_async import spool
from cryptshare_async._session import TransferSession
from cryptshare_async._upload import BytesSource, ChecksumMode, StreamSource
from cryptshare_async._upload._hashing import ChecksumAlgorithm, Crc32, Hasher
from cryptshare_async.testing import Emulator

from .conftest import stored_files
from .file_objects import ONE_SHOT, REPLAYABLE, Kinds, ThreadSpy

DATA = os.urandom(3 * 1024 * 1024 + 4321)
DIGEST = hashlib.sha256(DATA).hexdigest()


class _Spy:
    """A hasher that notes the thread of every update with data."""

    def __init__(self, inner: Hasher, threads: set[int]) -> None:
        self._inner = inner
        self._threads = threads

    def update(self, data: bytes | memoryview, /) -> None:
        if len(data):
            self._threads.add(threading.get_ident())
        self._inner.update(data)

    def hexdigest(self) -> str:
        return self._inner.hexdigest()


@pytest.fixture
def hashing_threads(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    threads: set[int] = set()
    new = ChecksumAlgorithm.new
    monkeypatch.setattr(ChecksumAlgorithm, "new", lambda self: _Spy(new(self), threads))
    crc_update = Crc32.update

    def spy_crc(self: Crc32, data: bytes | memoryview, /) -> None:
        if len(data):
            threads.add(threading.get_ident())
        crc_update(self, data)

    monkeypatch.setattr(Crc32, "update", spy_crc)
    return threads


async def _chunks(data: bytes, step: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), step):
        yield data[i : i + step]


@pytest.mark.parametrize(
    "mode", [ChecksumMode.STREAM, ChecksumMode.PRE_PASS, DIGEST], ids=["stream", "pre", "caller"]
)
@pytest.mark.parametrize(
    "kind", ["path", "bytes", "bytearray", "stream-small", "stream-large", "stream-one-item"]
)
async def test_no_hashing_on_the_event_loop(
    session: TransferSession,
    tmp_path: Path,
    hashing_threads: set[int],
    kind: str,
    mode: ChecksumMode | str,
) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    step = {"stream-small": 1000, "stream-large": 1 << 20, "stream-one-item": len(DATA)}
    source = {
        "path": lambda: path,
        "bytes": lambda: BytesSource(DATA, name="data.bin"),
        "bytearray": lambda: BytesSource(bytearray(DATA), name="data.bin"),
    }.get(kind, lambda: StreamSource(lambda: _chunks(DATA, step[kind]), size=len(DATA)))()
    uploaded = await session.upload(source, file_name="data.bin", checksum=mode)  # type: ignore[arg-type]
    assert uploaded.checksum == DIGEST
    assert hashing_threads  # something was hashed ...
    assert threading.get_ident() not in hashing_threads  # ... and never on the loop


@pytest.mark.parametrize("item", [bytes, bytearray, memoryview])
async def test_a_large_stream_item_is_sent_in_slices_and_hashed_as_taken(
    item: type[bytes | bytearray | memoryview],
) -> None:
    from cryptshare_async._upload._sources import StreamSource as Source

    buffer = bytearray(DATA)

    async def one_item() -> AsyncIterator[bytes]:
        yield item(buffer)  # type: ignore[misc]
        buffer[:4] = b"XXXX"  # changed after it was taken: a mutable item was copied

    opened = Source(one_item(), size=len(DATA)).open()
    stream = opened.chunks(hashlib.sha256(), 1 << 20)
    chunks = [chunk async for chunk in stream]
    await stream.aclose()
    assert max(len(c.data) for c in chunks) <= 1 << 20
    assert b"".join(bytes(c.data) for c in chunks) == DATA
    assert chunks[-1].final and chunks[-1].end == len(DATA)
    assert chunks[-1].digest == DIGEST
    assert [c.end for c in chunks] == sorted(c.end for c in chunks)


@pytest.mark.parametrize("step", [4096, 1 << 20, 3 << 20])
async def test_a_stream_refilling_one_buffer_sends_each_item_as_it_was(
    emu: Emulator, session: TransferSession, step: int
) -> None:
    buffer = bytearray(step)

    async def refilled() -> AsyncIterator[bytearray]:
        for offset in range(0, len(DATA), step):
            piece = DATA[offset : offset + step]
            buffer[: len(piece)] = piece
            yield buffer if len(piece) == step else buffer[: len(piece)]

    source = StreamSource(refilled(), size=len(DATA), name="refilled.bin")  # type: ignore[arg-type]
    uploaded = await session.upload(source)
    assert uploaded.checksum == DIGEST
    assert stored_files(emu, session) == {"refilled.bin": DATA}


@pytest.fixture
async def kinds(tmp_path: Path) -> AsyncIterator[Kinds]:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    async with contextlib.AsyncExitStack() as stack:
        yield Kinds(DATA, path, stack)


@pytest.mark.parametrize(
    ("kind", "mode"),
    [(kind, mode) for kind in REPLAYABLE for mode in (ChecksumMode.STREAM, ChecksumMode.PRE_PASS)]
    + [(kind, ChecksumMode.STREAM) for kind in ONE_SHOT],
)
async def test_no_hashing_on_the_event_loop_for_file_objects(
    session: TransferSession, kinds: Kinds, hashing_threads: set[int], kind: str, mode: ChecksumMode
) -> None:
    source, keywords = await kinds.make(kind)
    uploaded = await session.upload(source, checksum=mode, **keywords)
    assert uploaded.checksum == DIGEST
    assert hashing_threads
    assert threading.get_ident() not in hashing_threads


@pytest.mark.parametrize("seekable", [True, False], ids=["seekable", "one-shot"])
@pytest.mark.parametrize("mode", [ChecksumMode.STREAM, ChecksumMode.PRE_PASS, ChecksumMode.OFF])
async def test_a_sync_file_object_is_never_read_on_the_event_loop(
    emu: Emulator, session: TransferSession, mode: ChecksumMode, seekable: bool
) -> None:
    if mode is ChecksumMode.PRE_PASS and not seekable:
        return  # refused before reading: a one-shot object cannot be read twice
    threads: set[int] = set()
    spy = ThreadSpy(DATA, threads)
    if not seekable:
        spy.seekable = lambda: False  # type: ignore[method-assign]
    size = None if seekable else len(DATA)
    uploaded = await session.upload(spy, file_name="spy.bin", size=size, checksum=mode)
    assert uploaded.size == len(DATA)
    assert stored_files(emu, session) == {"spy.bin": DATA}
    assert threads  # it was read (and sought) ...
    assert threading.get_ident() not in threads  # ... never on the loop thread


@pytest.mark.parametrize("kind", ["chunks", "stream-reader", "sync-pipe"])
async def test_spooling_writes_and_hashes_off_the_event_loop(
    session: TransferSession, kinds: Kinds, hashing_threads: set[int], kind: str
) -> None:
    source = _chunks(DATA, 1 << 20) if kind == "chunks" else (await kinds.make(kind))[0]
    async with await spool(source, max_bytes=len(DATA)) as spooled:
        assert spooled.digest == DIGEST
        assert hashing_threads and threading.get_ident() not in hashing_threads
        uploaded = await session.upload(spooled, file_name="spooled.bin")
    assert uploaded.checksum == DIGEST
    assert threading.get_ident() not in hashing_threads

"""Unit tests of the upload pieces: algorithm names, progress throttling, the reader."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from cryptshare_async._errors import InvalidInputError
from cryptshare_async._upload._hashing import (
    Crc32,
    HasherPair,
    normalize_digest,
    resolve_algorithm,
)
from cryptshare_async._upload._progress import ProgressReporter
from cryptshare_async._upload._reader import ChunkReader, run_in_thread
from cryptshare_async._upload._side_hash import SideHasher
from cryptshare_async._upload._sources import BytesSource, FileSource

from .conftest import reader_threads


@pytest.mark.parametrize(
    ("name", "hashlib_name"),
    [
        ("SHA256", "sha256"), ("SHA-256", "sha256"), ("sha256", "sha256"), ("Sha_256", "sha256"),
        ("SHA1", "sha1"), ("SHA-1", "sha1"), ("SHA512", "sha512"), ("sha-512", "sha512"),
        ("MD5", "md5"), ("md5", "md5"), (None, "sha256"),
    ],
)  # fmt: skip
def test_algorithm_spellings(name: str | None, hashlib_name: str) -> None:
    assert resolve_algorithm(name).new().name == hashlib_name  # type: ignore[attr-defined]


def test_unknown_algorithm_names_the_accepted_spellings() -> None:
    with pytest.raises(InvalidInputError, match=r"CRC32.*SHA256/SHA-256.*MD5"):
        resolve_algorithm("CRC32")


def test_digest_normalisation() -> None:
    sha1 = resolve_algorithm("SHA1")
    assert normalize_digest(sha1, " " + "AB" * 20 + " ") == "ab" * 20
    for bad in ("ab" * 19, "zz" * 20):
        with pytest.raises(InvalidInputError):
            normalize_digest(sha1, bad)


def test_crc32_matches_zlib_and_the_check_value() -> None:
    crc = Crc32()
    crc.update(b"12345")
    crc.update(memoryview(b"6789"))
    assert crc.hexdigest() == "cbf43926"  # the CRC-32 check value of "123456789"
    assert Crc32().hexdigest() == "00000000"


def test_hasher_pair_feeds_both() -> None:
    pair = HasherPair(hashlib.sha256(), Crc32())
    pair.update(b"123456789")
    assert pair.hexdigest() == hashlib.sha256(b"123456789").hexdigest()
    assert pair.second.hexdigest() == "cbf43926"


def test_side_hasher_over_two_alternating_buffers() -> None:
    data = os.urandom(5 * 65536 + 7)
    buffers = (bytearray(65536), bytearray(65536))
    main = hashlib.sha256()
    with SideHasher(hashlib.sha1()) as side:  # type: ignore[arg-type]
        for turn, offset in enumerate(range(0, len(data), 65536)):
            piece = data[offset : offset + 65536]
            buffer = buffers[turn % 2]
            buffer[: len(piece)] = piece  # refilled as soon as the previous update returned
            side.update(memoryview(buffer)[: len(piece)])
            main.update(memoryview(buffer)[: len(piece)])
        assert side.hexdigest() == hashlib.sha1(data).hexdigest()
    assert main.hexdigest() == hashlib.sha256(data).hexdigest()
    assert not [t for t in threading.enumerate() if t.name == "cryptshare-upload-side-hash"]


def test_side_hasher_hands_its_error_to_the_caller_and_ends() -> None:
    class Broken:
        def update(self, data: bytes | memoryview, /) -> None:
            raise ValueError("broken hasher")

        def hexdigest(self) -> str:
            return ""

    with SideHasher(Broken()) as side:
        side.update(b"a")
        with pytest.raises(ValueError, match="broken hasher"):
            side.update(b"b")  # the first block failed
        with pytest.raises(ValueError, match="broken hasher"):
            side.update(b"c")  # and stays failed, without blocking
    with SideHasher(Broken()) as side:
        side.update(b"a")
        with pytest.raises(ValueError, match="broken hasher"):
            side.hexdigest()
    assert not [t for t in threading.enumerate() if t.name == "cryptshare-upload-side-hash"]


async def test_pre_pass_gives_the_digest_and_the_crc_of_the_same_bytes(tmp_path: Path) -> None:
    data = os.urandom(5 * (1 << 20) + 3)  # more than two pre-pass blocks
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    sha256 = resolve_algorithm("SHA-256")
    crc = f"{zlib.crc32(data):08x}"
    opened = FileSource(path).open()
    try:
        result = await opened.prehash(sha256)
    finally:
        opened.close()
    assert (result.digest, result.fingerprint) == (hashlib.sha256(data).hexdigest(), crc)
    mutable = await BytesSource(bytearray(data)).open().prehash(sha256)
    assert (mutable.digest, mutable.fingerprint) == (result.digest, crc)
    immutable = await BytesSource(data).open().prehash(sha256)  # cannot change: no re-check
    assert (immutable.digest, immutable.fingerprint) == (result.digest, None)


async def test_progress_is_throttled_and_awaits_coroutines() -> None:
    seen: list[tuple[int, int]] = []

    async def callback(sent: int, total: int) -> None:
        seen.append((sent, total))

    reporter = ProgressReporter(callback, 100, every=30)
    for sent in (0, 10, 20, 30, 40, 70, 100, 100):
        await reporter.report(sent)
    assert seen == [(0, 100), (30, 100), (70, 100), (100, 100)]


async def test_reader_hashes_and_bounds_the_queue() -> None:
    data = bytes(range(256)) * 4000
    reads: list[int] = []

    def read_at(offset: int, n: int) -> bytes:
        reads.append(offset)
        return data[offset : offset + n]

    reader = ChunkReader(read_at, len(data), hasher=hashlib.sha256(), chunk_size=65536, depth=2)
    first = await anext(reader)
    await asyncio.sleep(0.05)
    assert len(reads) <= 3  # one taken, at most `depth` waiting
    chunks = [first] + [c async for c in reader]
    await reader.aclose()
    assert b"".join(bytes(c.data) for c in chunks) == data
    assert chunks[-1].final and chunks[-1].digest == hashlib.sha256(data).hexdigest()
    assert not any(c.final for c in chunks[:-1])


async def test_reader_stops_its_thread_when_closed_early() -> None:
    # Repeated: the thread once outlived aclose() by a few microseconds now and then.
    for _ in range(200):
        reader = ChunkReader(lambda o, n: b"x" * n, 1 << 30, hasher=None, chunk_size=1 << 16)
        await anext(reader)
        await reader.aclose()
        assert reader_threads() == []


async def test_reader_reports_short_and_overrun_sources() -> None:
    short = ChunkReader(lambda o, n: b"x" * max(0, min(n, 10 - o)), 20, hasher=None)
    assert [(c.final, c.short) for c in [c async for c in short]] == [(True, True)]
    long = ChunkReader(lambda o, n: b"x" * n, 20, hasher=None, has_more=lambda o: True)
    assert [(c.final, c.overrun) for c in [c async for c in long]] == [(True, True)]


async def test_reader_propagates_read_errors() -> None:
    def fail(offset: int, n: int) -> bytes:
        raise OSError(5, "I/O error")

    reader = ChunkReader(fail, 10, hasher=None)
    with pytest.raises(OSError, match="I/O error"):
        await anext(reader)
    await reader.aclose()


async def test_run_in_thread_stops_work_on_cancellation() -> None:
    started = threading.Event()

    def work(stop: threading.Event, _advance: Callable[[int], None]) -> str:
        started.set()
        while not stop.is_set():
            stop.wait(0.001)
        return "stopped"

    task = asyncio.create_task(run_in_thread(work))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert reader_threads() == []


async def test_run_in_thread_relays_progress_from_the_thread() -> None:
    seen: list[tuple[int, int]] = []

    def work(stop: threading.Event, advance: Callable[[int], None]) -> str:
        for done in range(1, 11):
            advance(done << 20)
        return "done"

    reporter = ProgressReporter(lambda s, t: seen.append((s, t)), 10 << 20)
    assert await run_in_thread(work, progress=reporter) == "done"
    assert seen[0] == (0, 10 << 20) and seen[-1] == (10 << 20, 10 << 20)
    assert [s for s, _ in seen] == sorted({s for s, _ in seen})  # increasing, no repeats
    for _ in range(100):  # the thread has handed over its result and is only returning
        if not reader_threads():
            break
        await asyncio.sleep(0.01)
    assert reader_threads() == []


async def test_run_in_thread_stops_work_when_progress_raises() -> None:
    stopped = threading.Event()
    boom = LookupError("enough")

    def work(stop: threading.Event, advance: Callable[[int], None]) -> str:
        done = 0
        while not stop.is_set():
            done += 1 << 20
            advance(done)
            stop.wait(0.001)
        stopped.set()
        raise InterruptedError("stopped")

    def callback(sent: int, total: int) -> None:
        if sent >= 3 << 20:
            raise boom

    with pytest.raises(LookupError) as info:
        await run_in_thread(work, progress=ProgressReporter(callback, 1 << 40))
    assert info.value is boom
    assert stopped.is_set()
    assert reader_threads() == []

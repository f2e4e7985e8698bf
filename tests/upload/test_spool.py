"""spool(): a stream of unknown size becomes a temporary file (0600, never named on disk,
closed by the context manager), bounded by max_bytes, hashed on the way so that the
upload's pre-pass is free; then uploaded intact, and resent after a 503."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import stat
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cryptshare_async import ChecksumMode, CryptshareClient, InvalidInputError, spool
from cryptshare_async._session import TransferSession
from cryptshare_async._upload._hashing import ChecksumAlgorithm, Hasher
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import assert_nothing_left, finalize_active, stored_files
from .file_objects import Kinds, SyncPipe

DATA = os.urandom(2 * 1024 * 1024 + 999)
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
async def kinds(tmp_path: Path) -> AsyncIterator[Kinds]:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    async with contextlib.AsyncExitStack() as stack:
        yield Kinds(DATA, path, stack)


async def _chunks(step: int) -> AsyncIterator[bytes]:
    for start in range(0, len(DATA), step):
        yield DATA[start : start + step]


async def _refilled(step: int) -> AsyncIterator[bytearray]:
    buffer = bytearray(step)
    for start in range(0, len(DATA), step):
        piece = DATA[start : start + step]
        buffer[: len(piece)] = piece
        yield buffer if len(piece) == step else buffer[: len(piece)]


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _spool_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("cryptshare-spool")]


@pytest.mark.parametrize(
    "kind",
    [
        *("chunks", "one-item", "refilled", "stream-reader", "asyncio-stream-reader"),
        *("sync-pipe", "aiofiles", "upload-file"),
    ],
)
async def test_every_stream_kind_is_spooled_and_uploaded_intact(
    emu: Emulator,
    client: CryptshareClient,
    session: TransferSession,
    kinds: Kinds,
    tmp_path: Path,
    kind: str,
) -> None:
    source: object
    if kind == "chunks":
        source = _chunks(100_000)
    elif kind == "one-item":
        source = _chunks(len(DATA))
    elif kind == "refilled":
        source = _refilled(300_000)
    else:
        source, _ = await kinds.make(kind)
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    async with await spool(source, max_bytes=len(DATA), dir=spool_dir) as spooled:  # type: ignore[arg-type]
        assert (spooled.size, spooled.digest, spooled.algorithm) == (len(DATA), DIGEST, "SHA-256")
        uploaded = await session.upload(spooled, file_name="spooled.bin")
    assert (uploaded.checksum, uploaded.checksum_registered) == (DIGEST, True)
    assert stored_files(emu, session) == {"spooled.bin": DATA}
    assert os.listdir(spool_dir) == []
    await finalize_active(emu, session)
    await assert_nothing_left(client)
    assert _spool_threads() == []


async def test_the_spooled_file_is_private_unnamed_and_closed_by_the_context(
    tmp_path: Path,
) -> None:
    before = _open_fds()
    async with await spool(_chunks(1 << 20), max_bytes=len(DATA), dir=tmp_path) as spooled:
        info = os.fstat(spooled._file.fileno())  # type: ignore[union-attr]
        assert stat.S_IMODE(info.st_mode) == 0o600
        assert info.st_nlink == 0  # unlinked: nothing is left if the process dies
        assert os.listdir(tmp_path) == []
        assert _open_fds() == before + 1
    assert spooled.closed and _open_fds() == before
    with pytest.raises(InvalidInputError, match="spooled file was closed"):
        spooled.open()


@pytest.mark.parametrize("kind", ["chunks", "sync-pipe"])
async def test_more_than_max_bytes_is_refused_and_nothing_is_left(
    tmp_path: Path, kind: str
) -> None:
    before = _open_fds()
    source = _chunks(100_000) if kind == "chunks" else SyncPipe(DATA)
    with pytest.raises(InvalidInputError, match=f"larger than max_bytes={len(DATA) - 1}"):
        await spool(source, max_bytes=len(DATA) - 1, dir=tmp_path)  # type: ignore[arg-type]
    assert _open_fds() == before
    assert _spool_threads() == []


async def test_the_pre_pass_is_not_done_again(
    session: TransferSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    new = ChecksumAlgorithm.new

    def counting(self: ChecksumAlgorithm) -> Hasher:
        made.append(self.name)
        return new(self)

    monkeypatch.setattr(ChecksumAlgorithm, "new", counting)
    async with await spool(_chunks(1 << 20), max_bytes=len(DATA)) as spooled:
        made.clear()
        uploaded = await session.upload(spooled, file_name="a.bin", checksum=ChecksumMode.PRE_PASS)
        assert made == []  # the digest taken while spooling served as the pre-pass
    assert uploaded.checksum == DIGEST
    async with await spool(_chunks(1 << 20), max_bytes=len(DATA), algorithm="MD5") as spooled:
        assert spooled.digest == hashlib.md5(DATA).hexdigest()
        made.clear()
        uploaded = await session.upload(spooled, file_name="b.bin", checksum=ChecksumMode.PRE_PASS)
        assert made == ["SHA-256"]  # another algorithm: the pre-pass reads the file
    assert uploaded.checksum == DIGEST


async def test_a_spooled_stream_is_resent_after_a_503(
    emu: Emulator, session: TransferSession
) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", status=503, times=1))
    async with await spool(_chunks(100_000), max_bytes=len(DATA)) as spooled:
        uploaded = await session.upload(spooled, file_name="again.bin")
    assert len(emu.fired_faults) == 1
    assert uploaded.checksum == DIGEST
    assert stored_files(emu, session) == {"again.bin": DATA}


async def test_a_cancelled_spool_leaves_nothing(tmp_path: Path) -> None:
    before = _open_fds()
    stalled = asyncio.Event()

    async def stalling() -> AsyncIterator[bytes]:
        yield DATA[:1000]
        stalled.set()
        await asyncio.sleep(30)
        yield DATA[1000:]

    task = asyncio.create_task(spool(stalling(), max_bytes=len(DATA), dir=tmp_path))
    async with asyncio.timeout(5):
        await stalled.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(5):
            await task
    assert _open_fds() == before
    assert _spool_threads() == []


async def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="max_bytes must be an int >= 0"):
        await spool(_chunks(10), max_bytes=-1)
    with pytest.raises(InvalidInputError, match="spool\\(\\) takes"):
        await spool(b"bytes have a size", max_bytes=10)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="unsupported checksum algorithm"):
        await spool(_chunks(10), max_bytes=10, algorithm="CRC")


async def test_the_caller_s_generator_is_closed_when_spooling_stops() -> None:
    closed: list[bool] = []

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"x" * 1000
        finally:
            closed.append(True)

    with pytest.raises(InvalidInputError, match="larger than max_bytes=5000"):
        await spool(endless(), max_bytes=5000)
    assert closed == [True]

"""upload_many: order, bounded concurrency, one failure cancelling the rest, collected errors."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cryptshare_async import CryptshareClient
from cryptshare_async._errors import InvalidInputError, SizeMismatchError
from cryptshare_async._session import TransferSession
from cryptshare_async._upload import BytesSource, StreamSource, UploadedFile
from cryptshare_async.testing import Emulator

from .conftest import assert_nothing_left, finalize_active, stored_files


def _files(tmp_path: Path, count: int) -> dict[Path, bytes]:
    files = {}
    for i in range(count):
        path = tmp_path / f"f{i}.bin"
        data = os.urandom(300_000 + i * 1000)
        path.write_bytes(data)
        files[path] = data
    return files


async def test_uploads_all_in_order_with_batch_progress(
    emu: Emulator, client: CryptshareClient, session: TransferSession, tmp_path: Path
) -> None:
    files = _files(tmp_path, 5)
    seen: list[tuple[int, int]] = []
    results = await session.upload_many(
        list(files), concurrency=2, progress=lambda s, t: seen.append((s, t))
    )
    total = sum(len(d) for d in files.values())
    assert [r.file_name for r in results if isinstance(r, UploadedFile)] == [p.name for p in files]
    for result, data in zip(results, files.values(), strict=True):
        assert isinstance(result, UploadedFile)
        assert result.checksum == hashlib.sha256(data).hexdigest()
    assert seen[-1] == (total, total)
    assert stored_files(emu, session) == {p.name: d for p, d in files.items()}
    await finalize_active(emu, session)
    await assert_nothing_left(client)


async def test_batch_hash_progress_counts_only_pre_passes(
    session: TransferSession, tmp_path: Path
) -> None:
    files = _files(tmp_path, 3)
    stream = StreamSource(_once(b"s" * 5000), size=5000, name="stream.bin")
    hashed: list[tuple[int, int]] = []
    await session.upload_many([*files, stream], hash_progress=lambda d, t: hashed.append((d, t)))
    files_total = sum(len(d) for d in files.values())  # the stream gets no pre-pass
    assert {t for _, t in hashed} == {files_total}
    assert hashed[-1] == (files_total, files_total)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_concurrency_is_bounded(session: TransferSession) -> None:
    running = peak = 0

    def factory(i: int) -> StreamSource:
        async def chunks() -> AsyncIterator[bytes]:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            yield b"x" * 10
            running -= 1

        return StreamSource(chunks, size=10, name=f"s{i}.txt")

    await session.upload_many([factory(i) for i in range(6)], concurrency=3)
    assert 1 <= peak <= 3


async def test_one_failure_cancels_the_rest_and_cleans_up(
    emu: Emulator, client: CryptshareClient, session: TransferSession, tmp_path: Path
) -> None:
    release = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"a" * 1000
        await release.wait()  # never set: this upload is in flight when the other fails
        yield b"b" * 1000

    async def short() -> AsyncIterator[bytes]:
        await asyncio.sleep(0.05)
        yield b"c" * 10

    sources = [
        StreamSource(slow(), size=2000, name="slow.bin"),
        StreamSource(short(), size=20, name="short.bin"),
        BytesSource(b"never started", name="later.bin"),
    ]
    with pytest.raises(SizeMismatchError):
        await session.upload_many(sources, concurrency=2)
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)
    # the names are free again
    await session.upload(BytesSource(b"ok", name="later.bin"))


async def test_return_exceptions_collects_failures(emu: Emulator, session: TransferSession) -> None:
    async def short() -> AsyncIterator[bytes]:
        yield b"c" * 10

    results = await session.upload_many(
        [
            BytesSource(b"first", name="a.txt"),
            StreamSource(short(), size=20, name="b.txt"),
            BytesSource(b"third", name="c.txt"),
        ],
        return_exceptions=True,
    )
    assert isinstance(results[0], UploadedFile)
    assert isinstance(results[1], SizeMismatchError)
    assert isinstance(results[2], UploadedFile)
    assert stored_files(emu, session) == {"a.txt": b"first", "c.txt": b"third"}


async def test_names_checked_before_anything_is_registered(
    emu: Emulator, session: TransferSession, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInputError, match="repeated"):
        await session.upload_many(
            [BytesSource(b"1", name="x.txt"), BytesSource(b"2", name="x.txt")]
        )
    with pytest.raises(InvalidInputError, match="no such file"):
        await session.upload_many([BytesSource(b"1", name="y.txt"), tmp_path / "missing"])
    assert emu.store.sessions[session.tracking_id].files == {}
    with pytest.raises(InvalidInputError, match="concurrency"):
        await session.upload_many([BytesSource(b"1", name="y.txt")], concurrency=0)


async def test_cancelling_the_batch(
    emu: Emulator, client: CryptshareClient, session: TransferSession
) -> None:
    started = asyncio.Event()

    async def stuck() -> AsyncIterator[bytes]:
        yield b"a"
        started.set()
        await asyncio.Event().wait()
        yield b"b"

    task = asyncio.create_task(
        session.upload_many([StreamSource(stuck(), size=2, name=f"{i}.bin") for i in range(3)])
    )
    async with asyncio.timeout(5):
        await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert emu.store.sessions[session.tracking_id].files == {}
    await assert_nothing_left(client)

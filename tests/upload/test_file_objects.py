"""File objects as upload sources, end to end against the emulator: every kind arrives
intact with the right checksum; the seekable ones are resent after a 503 (from where they
started), the others refuse the resend; bad objects are refused before anything is sent."""

# Sync file objects opened in async tests are what these tests are about.
# ruff: noqa: ASYNC230

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import aiofiles
import pytest

from cryptshare_async import (
    ChecksumMode,
    CryptshareClient,
    FileObjectSource,
    InvalidInputError,
    SizeMismatchError,
    SourceNotReplayableError,
    StreamSource,
)
from cryptshare_async._session import TransferSession
from cryptshare_async._upload._dispatch import as_upload_source
from cryptshare_async._upload._readables import name_of
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import assert_nothing_left, finalize_active, stored_files
from .file_objects import (
    ALL,
    ONE_SHOT,
    REPLAYABLE,
    AsyncSeekable,
    FakeUploadFile,
    Kinds,
    SyncPipe,
)

DATA = os.urandom(2 * 1024 * 1024 + 777)
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
async def kinds(tmp_path: Path) -> AsyncIterator[Kinds]:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    async with contextlib.AsyncExitStack() as stack:
        yield Kinds(DATA, path, stack)


def _registrations(emu: Emulator) -> list[object]:
    return [r for r in emu.requests if r.method == "POST" and r.path.endswith("/files")]


@pytest.mark.parametrize("kind", ALL)
async def test_every_kind_arrives_intact(
    emu: Emulator, client: CryptshareClient, session: TransferSession, kinds: Kinds, kind: str
) -> None:
    source, keywords = await kinds.make(kind)
    uploaded = await session.upload(source, **keywords)
    assert (uploaded.size, uploaded.checksum) == (len(DATA), DIGEST)
    assert uploaded.checksum_registered is (kind in REPLAYABLE)  # AUTO: pre-pass if it can
    assert stored_files(emu, session) == {f"{kind}.bin": DATA}
    await finalize_active(emu, session)
    await assert_nothing_left(client)


@pytest.mark.parametrize("mode", [ChecksumMode.STREAM, ChecksumMode.PRE_PASS, ChecksumMode.OFF])
@pytest.mark.parametrize("kind", REPLAYABLE)
async def test_replayable_kinds_in_every_mode(
    emu: Emulator, session: TransferSession, kinds: Kinds, kind: str, mode: ChecksumMode
) -> None:
    source, keywords = await kinds.make(kind)
    uploaded = await session.upload(source, checksum=mode, **keywords)
    assert uploaded.checksum == (None if mode is ChecksumMode.OFF else DIGEST)
    assert stored_files(emu, session) == {f"{kind}.bin": DATA}


@pytest.mark.parametrize("kind", REPLAYABLE)
async def test_a_503_is_retried_from_where_the_object_started(
    emu: Emulator, client: CryptshareClient, session: TransferSession, kinds: Kinds, kind: str
) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", status=503, times=1))
    source, keywords = await kinds.make(kind)
    uploaded = await session.upload(source, checksum=ChecksumMode.STREAM, **keywords)
    assert len(emu.fired_faults) == 1  # the first attempt really failed
    assert uploaded.checksum == DIGEST
    assert stored_files(emu, session) == {f"{kind}.bin": DATA}
    await finalize_active(emu, session)
    await assert_nothing_left(client)


@pytest.mark.parametrize("kind", ONE_SHOT)
async def test_a_one_shot_object_is_not_resent(
    emu: Emulator, client: CryptshareClient, session: TransferSession, kinds: Kinds, kind: str
) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", status=503, times=1))
    source, keywords = await kinds.make(kind)
    with pytest.raises(SourceNotReplayableError, match="spool"):
        await session.upload(source, **keywords)
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)


@pytest.mark.parametrize("kind", ["sync-pipe", "upload-file", "stream-reader"])
async def test_a_one_shot_object_needs_its_size(
    emu: Emulator, session: TransferSession, kinds: Kinds, kind: str
) -> None:
    source, _ = await kinds.make(kind)
    with pytest.raises(InvalidInputError, match=r"cannot seek.*pass size=.*spool\(\)"):
        await session.upload(source, file_name="x.bin")
    with pytest.raises(InvalidInputError, match="PRE_PASS reads the content twice"):
        await session.upload(
            source, file_name="x.bin", size=len(DATA), checksum=ChecksumMode.PRE_PASS
        )
    assert _registrations(emu) == []


@pytest.mark.parametrize("kind", ["rb", "r+b", "bytesio", "aiofiles", "async-seekable"])
async def test_a_wrong_size_for_a_seekable_object_is_refused_before_sending(
    emu: Emulator, session: TransferSession, kinds: Kinds, kind: str
) -> None:
    source, keywords = await kinds.make(kind)
    with pytest.raises(SizeMismatchError, match=f"declared size {len(DATA) + 1}"):
        await session.upload(source, size=len(DATA) + 1, **keywords)
    assert _registrations(emu) == []


async def test_text_mode_and_closed_objects_are_refused(
    emu: Emulator, session: TransferSession, tmp_path: Path
) -> None:
    path = tmp_path / "t.txt"
    path.write_text("text")
    with open(path) as text, pytest.raises(InvalidInputError, match="binary mode"):
        await session.upload(text)
    async with aiofiles.open(path) as text_handle:
        with pytest.raises(InvalidInputError, match="binary mode"):
            await session.upload(text_handle)
    closed = open(path, "rb")  # noqa: SIM115
    closed.close()
    with pytest.raises(InvalidInputError, match="closed"):
        await session.upload(closed)

    class Stringy(SyncPipe):
        def read(self, size: int = -1, /) -> bytes:
            return "not bytes"  # type: ignore[return-value]

    with pytest.raises(InvalidInputError, match="gave str, not bytes"):
        await session.upload(Stringy(b""), size=4, file_name="s.txt")
    with pytest.raises(InvalidInputError, match="file_name"):
        await session.upload(io.BytesIO(b"no name"))
    assert stored_files(emu, session) == {}


async def test_the_object_s_name_and_position(
    emu: Emulator, session: TransferSession, kinds: Kinds
) -> None:
    with open(kinds.path, "rb") as f:
        uploaded = await session.upload(f)
        assert uploaded.file_name == "data.bin"  # the base name of f.name
        renamed = await session.upload(FileObjectSource(f, name="other.bin"))
        assert renamed.file_name == "other.bin"
    source, keywords = await kinds.make("upload-file")
    uploaded = await session.upload(source, **keywords)
    assert uploaded.file_name == "upload-file.bin"  # UploadFile.filename, its base name
    bio = io.BytesIO(DATA)
    bio.seek(100)
    opened = await FileObjectSource(bio).aopen()
    assert (opened.size, bio.tell()) == (len(DATA) - 100, 100)  # size found, position kept


async def test_a_seekable_object_s_pre_pass_and_send_read_the_same_bytes(
    emu: Emulator, session: TransferSession
) -> None:
    source = AsyncSeekable(DATA)
    uploaded = await session.upload(source, file_name="a.bin", checksum=ChecksumMode.PRE_PASS)
    assert uploaded.checksum_registered and uploaded.checksum == DIGEST
    await finalize_active(emu, session)  # the server's own check of the registered digest


@pytest.mark.parametrize("kind", ["stream-reader", "asyncio-stream-reader", "aiofiles"])
async def test_readers_that_iterate_by_lines_are_read_in_chunks(
    kinds: Kinds, kind: str, tmp_path: Path
) -> None:
    lines = b"x\n" * (1 << 20)  # 2 MiB of 2-byte lines
    kinds.data = lines
    kinds.path.write_bytes(lines)
    source, _ = await kinds.make(kind)
    opened = StreamSource(source, size=len(lines)).open()
    stream = opened.chunks(hashlib.sha256(), 1 << 20)
    chunks = [chunk async for chunk in stream]
    await stream.aclose()
    assert b"".join(bytes(c.data) for c in chunks) == lines
    assert len(chunks) < 100  # not one per line
    assert chunks[-1].digest == hashlib.sha256(lines).hexdigest()


async def test_what_each_kind_becomes() -> None:
    reader = asyncio.StreamReader()
    assert type(as_upload_source(reader, size=1)) is FileObjectSource  # not by lines
    assert type(as_upload_source(io.BytesIO())) is FileObjectSource
    assert type(as_upload_source(SyncPipe(b""), size=0)) is FileObjectSource
    with pytest.raises(InvalidInputError, match="size must be an int >= 0"):
        FileObjectSource(io.BytesIO(), size=-1)
    with pytest.raises(InvalidInputError, match="read"):
        FileObjectSource(object())  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="aopen"):
        FileObjectSource(io.BytesIO()).open()


def test_the_name_a_file_object_gives() -> None:
    stdin = SyncPipe(b"")
    stdin.name = "<stdin>"  # type: ignore[attr-defined]  # as sys.stdin.buffer's
    upload_file = FakeUploadFile(b"", "C/dir/report.pdf")
    aliased = io.BytesIO()
    aliased.name = "/tmp/x/data.csv"  # type: ignore[attr-defined]
    assert [name_of(o) for o in (stdin, upload_file, aliased, io.BytesIO())] == [
        None,
        "report.pdf",
        "data.csv",
        None,
    ]


async def test_upload_content_and_upload_many_take_file_objects(
    emu: Emulator, session: TransferSession, kinds: Kinds
) -> None:
    file_id = await session.register_file("registered.bin", len(DATA))
    async with aiofiles.open(kinds.path, "rb") as handle:
        assert await session.upload_content(file_id, handle) == DIGEST
    pipe, _ = await kinds.make("sync-pipe")
    files = await session.upload_many(
        [
            FileObjectSource(io.BytesIO(DATA), name="bio.bin"),
            FileObjectSource(pipe, size=len(DATA), name="pipe.bin"),
        ],
        checksum=ChecksumMode.STREAM,
    )
    assert [f.checksum for f in files] == [DIGEST, DIGEST]  # type: ignore[union-attr]
    assert stored_files(emu, session) == {
        "registered.bin": DATA,
        "bio.bin": DATA,
        "pipe.bin": DATA,
    }


async def test_an_upload_cancelled_while_opening_leaves_no_descriptor(
    emu: Emulator, session: TransferSession, kinds: Kinds
) -> None:
    entered, gate = threading.Event(), threading.Event()

    class SlowTell(io.BufferedReader):
        def tell(self) -> int:  # the worker thread finding the position, after the dup
            entered.set()
            gate.wait(5)
            return super().tell()

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    with SlowTell(open(kinds.path, "rb", buffering=0)) as slow:
        before = fds()
        task = asyncio.create_task(session.upload(slow, file_name="slow.bin"))
        assert await asyncio.to_thread(entered.wait, 5)
        task.cancel()
        await asyncio.sleep(0.05)
        gate.set()
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(5):
                await task
        assert fds() == before
    assert _registrations(emu) == []

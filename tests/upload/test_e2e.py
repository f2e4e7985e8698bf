"""End to end against the emulator: every source kind and checksum mode, integrity
failures, progress, retries. The emulator's post-finalize check confirms the content."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from cryptshare_async import CryptshareClient
from cryptshare_async._errors import (
    ChecksumMismatchError,
    InvalidInputError,
    SizeMismatchError,
    SourceChangedError,
    SourceNotReplayableError,
)
from cryptshare_async._session import TransferSession
from cryptshare_async._upload import BytesSource, ChecksumMode, FileSource, StreamSource
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import assert_nothing_left, finalize_active, stored_files

DATA = os.urandom(3 * 1024 * 1024 + 12345)  # several chunks and a partial one
DIGEST = hashlib.sha256(DATA).hexdigest()


async def _chunks(data: bytes, step: int = 200_000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), step):
        yield data[i : i + step]


def _sources(tmp_path: Path) -> dict[str, Callable[[], object]]:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    return {
        "path-str": lambda: str(path),
        "path-obj": lambda: FileSource(path, name="data.bin"),
        "bytes": lambda: BytesSource(DATA, name="data.bin"),
        "bytearray": lambda: BytesSource(bytearray(DATA), name="data.bin"),
        "memoryview": lambda: BytesSource(memoryview(DATA), name="data.bin"),
        "stream-factory": lambda: StreamSource(
            lambda: _chunks(DATA), size=len(DATA), name="data.bin"
        ),
        "stream-once": lambda: StreamSource(_chunks(DATA), size=len(DATA), name="data.bin"),
    }


MODES: list[ChecksumMode | str] = [*ChecksumMode, DIGEST]


@pytest.mark.parametrize(
    "mode", MODES, ids=lambda m: m.value if isinstance(m, ChecksumMode) else "caller"
)
@pytest.mark.parametrize(
    "kind",
    ["path-str", "path-obj", "bytes", "bytearray", "memoryview", "stream-factory", "stream-once"],
)
async def test_every_source_and_mode(
    emu: Emulator,
    client: CryptshareClient,
    session: TransferSession,
    tmp_path: Path,
    kind: str,
    mode: ChecksumMode | str,
) -> None:
    source = _sources(tmp_path)[kind]()
    if kind == "stream-once" and mode is ChecksumMode.PRE_PASS:
        with pytest.raises(InvalidInputError, match="PRE_PASS"):
            await session.upload(source, checksum=mode)  # type: ignore[arg-type]
        assert stored_files(emu, session) == {}
        return
    calls: list[tuple[int, int]] = []
    uploaded = await session.upload(
        source,  # type: ignore[arg-type]
        checksum=mode,
        progress=lambda sent, total: calls.append((sent, total)),
    )
    assert uploaded.file_name == "data.bin"
    assert uploaded.size == len(DATA)
    registered = (
        mode is ChecksumMode.PRE_PASS
        or isinstance(mode, str)
        or (mode is ChecksumMode.AUTO and not kind.startswith("stream"))
    )
    assert uploaded.checksum_registered is registered
    if mode is ChecksumMode.OFF:
        assert uploaded.checksum is None
        assert uploaded.algorithm is None
    else:
        assert uploaded.checksum == DIGEST
        assert uploaded.algorithm == "SHA-256"
    server_file = emu.store.sessions[session.tracking_id].files[uploaded.file_id]
    assert server_file.checksum == (DIGEST if registered else None)
    assert stored_files(emu, session) == {"data.bin": DATA}
    assert calls[0] == (0, len(DATA))
    assert calls[-1] == (len(DATA), len(DATA))
    assert [s for s, _ in calls] == sorted(s for s, _ in calls)
    await finalize_active(emu, session)
    await assert_nothing_left(client)


async def test_empty_file(emu: Emulator, session: TransferSession, tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    uploaded = await session.upload(path)
    assert uploaded.checksum == hashlib.sha256(b"").hexdigest()
    assert stored_files(emu, session) == {"empty.txt": b""}


async def test_modified_file_during_pre_pass_upload(
    emu: Emulator, client: CryptshareClient, session: TransferSession, tmp_path: Path
) -> None:
    path = tmp_path / "moving.bin"
    path.write_bytes(DATA)

    def change_file(sent: int, total: int) -> None:
        if sent == 0:
            with open(path, "r+b") as f:  # same size, other bytes, near the end
                f.seek(len(DATA) - 10)
                f.write(b"0123456789")

    with pytest.raises(SourceChangedError):
        await session.upload(path, progress=change_file)
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)


async def test_file_changed_with_its_mtime_restored_is_caught_by_the_crc(
    emu: Emulator, client: CryptshareClient, session: TransferSession, tmp_path: Path
) -> None:
    """Same size, same mtime (so the stat check sees nothing): the upload pass's CRC-32
    differs from the pre-pass's and the upload fails before the last chunk is sent."""
    path = tmp_path / "sneaky.bin"
    path.write_bytes(DATA)
    before = os.stat(path)

    def change_quietly(sent: int, total: int) -> None:
        if sent == 0:
            with open(path, "r+b") as f:
                f.seek(len(DATA) // 2)
                f.write(b"\x00" * 16)
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    with pytest.raises(SourceChangedError, match=r"CRC-32 [0-9a-f]{8}.*had [0-9a-f]{8}"):
        await session.upload(path, progress=change_quietly)
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)


async def test_stream_factory_giving_other_bytes_the_second_time(
    emu: Emulator, session: TransferSession
) -> None:
    passes: list[bytes] = [DATA, DATA[:-1] + b"!"]

    def factory() -> AsyncIterator[bytes]:
        return _chunks(passes.pop(0))

    source = StreamSource(factory, size=len(DATA), name="s.bin")
    with pytest.raises(SourceChangedError, match="between the pre-pass and the upload"):
        await session.upload(source, checksum=ChecksumMode.PRE_PASS)
    assert stored_files(emu, session) == {}


async def test_modified_file_during_stream_upload(
    emu: Emulator, client: CryptshareClient, session: TransferSession, tmp_path: Path
) -> None:
    path = tmp_path / "growing.bin"
    path.write_bytes(DATA)

    def grow(sent: int, total: int) -> None:
        if sent == 0:
            with open(path, "ab") as f:
                f.write(b"more")

    with pytest.raises(SourceChangedError):
        await session.upload(path, checksum=ChecksumMode.STREAM, progress=grow)
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)


async def test_file_shrinking_during_upload(
    emu: Emulator, client: CryptshareClient, session: TransferSession, tmp_path: Path
) -> None:
    path = tmp_path / "shrinking.bin"
    path.write_bytes(DATA)

    def shrink(sent: int, total: int) -> None:
        if sent == 0:
            os.truncate(path, 1000)

    with pytest.raises(SourceChangedError, match="fewer bytes"):
        await session.upload(path, checksum=ChecksumMode.OFF, progress=shrink)
    assert stored_files(emu, session) == {}


@pytest.mark.parametrize("size", [len(DATA), 100_000], ids=["in-a-thread", "on-the-loop"])
async def test_mutated_bytearray_is_detected(
    emu: Emulator, session: TransferSession, size: int
) -> None:
    buffer = bytearray(DATA[:size])

    def mutate(sent: int, total: int) -> None:
        if sent == 0:
            buffer[-1] ^= 0xFF

    with pytest.raises(SourceChangedError):
        await session.upload(BytesSource(buffer, name="b.bin"), progress=mutate)
    assert stored_files(emu, session) == {}


async def test_wrong_caller_digest(
    emu: Emulator, client: CryptshareClient, session: TransferSession
) -> None:
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ChecksumMismatchError) as info:
        await session.upload(BytesSource(DATA, name="d.bin"), checksum=wrong.upper())
    assert info.value.expected == wrong
    assert info.value.actual == DIGEST
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)


async def test_malformed_caller_digest_fails_before_registration(
    emu: Emulator, session: TransferSession
) -> None:
    with pytest.raises(InvalidInputError, match="hex digest"):
        await session.upload(BytesSource(DATA, name="d.bin"), checksum="abc")
    assert emu.store.sessions[session.tracking_id].files == {}


@pytest.mark.parametrize(
    ("declared", "relation"), [(len(DATA) + 1, "fewer"), (len(DATA) - 1, "more")]
)
async def test_stream_with_wrong_declared_size(
    emu: Emulator, client: CryptshareClient, session: TransferSession, declared: int, relation: str
) -> None:
    with pytest.raises(SizeMismatchError, match=relation) as info:
        await session.upload(_chunks(DATA), size=declared, file_name="s.bin")
    assert info.value.expected == declared
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)


async def test_declared_size_of_a_path_is_checked_before_registration(
    emu: Emulator, session: TransferSession, tmp_path: Path
) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"12345")
    with pytest.raises(SizeMismatchError):
        await session.upload(path, size=4)
    assert emu.store.sessions[session.tracking_id].files == {}


@pytest.mark.parametrize("is_async", [False, True])
async def test_progress_callback_that_raises(
    emu: Emulator, client: CryptshareClient, session: TransferSession, is_async: bool
) -> None:
    boom = LookupError("stop here")

    def sync_cb(sent: int, total: int) -> None:
        if sent > 0:
            raise boom

    async def async_cb(sent: int, total: int) -> None:
        sync_cb(sent, total)

    with pytest.raises(LookupError) as info:
        await session.upload(
            BytesSource(DATA, name="p.bin"), progress=async_cb if is_async else sync_cb
        )
    assert info.value is boom
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)


@pytest.mark.parametrize("kind", ["path-str", "bytes", "bytearray", "stream-factory"])
async def test_hash_progress_reports_the_pre_pass(
    session: TransferSession, tmp_path: Path, kind: str
) -> None:
    hashed: list[tuple[int, int]] = []
    sent: list[tuple[int, int]] = []

    async def on_hash(done: int, total: int) -> None:
        assert not sent, "the pre-pass ends before the first byte is sent"
        hashed.append((done, total))

    uploaded = await session.upload(
        _sources(tmp_path)[kind](),  # type: ignore[arg-type]
        checksum=ChecksumMode.PRE_PASS,
        progress=lambda s, t: sent.append((s, t)),
        hash_progress=on_hash,
    )
    assert uploaded.checksum == DIGEST
    assert hashed[0] == (0, len(DATA)) and hashed[-1] == (len(DATA), len(DATA))
    assert [d for d, _ in hashed] == sorted({d for d, _ in hashed})
    assert sent[-1] == (len(DATA), len(DATA))


@pytest.mark.parametrize(
    "mode", [ChecksumMode.STREAM, ChecksumMode.OFF, DIGEST], ids=["stream", "off", "caller"]
)
async def test_hash_progress_is_not_called_without_a_pre_pass(
    session: TransferSession, mode: ChecksumMode | str
) -> None:
    hashed: list[tuple[int, int]] = []
    await session.upload(
        BytesSource(DATA, name="d.bin"),
        checksum=mode,
        hash_progress=lambda d, t: hashed.append((d, t)),
    )
    assert hashed == []


async def test_hash_progress_that_raises_stops_before_registration(
    emu: Emulator, client: CryptshareClient, session: TransferSession, tmp_path: Path
) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(DATA * 4)
    boom = LookupError("stop hashing")

    def on_hash(done: int, total: int) -> None:
        if done > 0:
            raise boom

    with pytest.raises(LookupError) as info:
        await session.upload(path, hash_progress=on_hash)
    assert info.value is boom
    assert not any(r.method == "POST" and r.path.endswith("/files") for r in emu.requests)
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)
    # The name was released: the same file uploads afterwards.
    uploaded = await session.upload(path)
    assert uploaded.size == 4 * len(DATA)


async def test_retry_after_dropped_connection_mid_body(
    emu: Emulator, client: CryptshareClient, session: TransferSession, tmp_path: Path
) -> None:
    path = tmp_path / "retry.bin"
    path.write_bytes(DATA)
    emu.add_fault(FaultRule(method="PUT", path="*/content", drop_after_bytes=1_500_000, times=1))
    uploaded = await session.upload(path)
    assert emu.fired_faults  # the first attempt really was dropped
    assert uploaded.checksum == DIGEST
    assert stored_files(emu, session) == {"retry.bin": DATA}
    await finalize_active(emu, session)
    await assert_nothing_left(client)


async def test_retry_with_stream_factory(emu: Emulator, session: TransferSession) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", drop_after_bytes=500_000, times=1))
    source = StreamSource(lambda: _chunks(DATA), size=len(DATA), name="f.bin")
    uploaded = await session.upload(source)
    assert uploaded.checksum == DIGEST
    assert stored_files(emu, session) == {"f.bin": DATA}
    await finalize_active(emu, session)


async def test_consumed_stream_is_never_resent(
    emu: Emulator, client: CryptshareClient, session: TransferSession
) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", drop_after_bytes=500_000, times=1))
    with pytest.raises(SourceNotReplayableError, match="pass a path or bytes"):
        await session.upload(_chunks(DATA), size=len(DATA), file_name="once.bin")
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)


async def test_source_errors_before_registration(
    emu: Emulator, session: TransferSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        await session.upload(tmp_path / "missing.bin")
    with pytest.raises(InvalidInputError, match="directory"):
        await session.upload(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InvalidInputError, match="not a regular file"):
        await session.upload(FileSource(fifo))
    with pytest.raises(InvalidInputError, match="file_name"):
        await session.upload(b"no name")
    with pytest.raises(InvalidInputError, match="size"):
        await session.upload(_chunks(b"x"), file_name="x")
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"x")

    def deny(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", deny)  # running as root, chmod 000 would not stop us
    with pytest.raises(InvalidInputError, match="permission denied"):
        await session.upload(secret)
    monkeypatch.undo()
    assert emu.store.sessions[session.tracking_id].files == {}


async def test_duplicate_names(emu: Emulator, session: TransferSession) -> None:
    await session.upload(BytesSource(b"one", name="same.txt"))
    with pytest.raises(InvalidInputError, match="already in transfer session"):
        await session.upload(BytesSource(b"two", name="same.txt"))
    # a name taken through another handle is seen in the session's state
    other = session.sender.resume_session(session.tracking_id)
    with pytest.raises(InvalidInputError, match="already in transfer session"):
        await other.upload(BytesSource(b"three", name="same.txt"))
    assert stored_files(emu, session) == {"same.txt": b"one"}


async def test_steps_apart(emu: Emulator, session: TransferSession) -> None:
    file_id = await session.register_file("steps.bin", len(DATA), DIGEST)
    digest = await session.upload_content(file_id, DATA, checksum=DIGEST)
    assert digest == DIGEST
    await session.set_confidential_message(file_id)
    assert stored_files(emu, session) == {"steps.bin": DATA}
    state = await session.state()
    assert state.confidential_message_file_id == file_id
    await finalize_active(emu, session)


async def test_upload_content_wrong_checksum_keeps_the_file(
    emu: Emulator, session: TransferSession
) -> None:
    file_id = await session.register_file("keep.bin", len(DATA))
    with pytest.raises(ChecksumMismatchError):
        await session.upload_content(file_id, DATA, checksum="0" * 64)
    assert file_id in emu.store.sessions[session.tracking_id].files
    await session.remove_file(file_id)

"""The recipient side end to end: info, files, downloads to disk, safety rules."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from cryptshare_async import (
    CryptshareClient,
    InvalidInputError,
    NotFoundError,
    PasswordMode,
    WrongPasswordError,
)
from cryptshare_async._recipient import (
    DownloadError,
    DownloadIntegrityError,
    DownloadTargetExistsError,
    RecipientTransfer,
)
from cryptshare_async._sender import Sender
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import BOB, make_transfer

FAST: dict[str, Any] = {"interval": 0.01, "max_interval": 0.05, "timeout": 30.0}
FILES = {"report.pdf": b"%PDF-1.7 " + b"r" * 5000, "notes.txt": b"some notes\n"}


async def sent(
    emu: Emulator,
    client: CryptshareClient,
    alice: Sender,
    files: dict[str, bytes] = FILES,
    **kw: object,
) -> tuple[str, RecipientTransfer]:
    transfer = await make_transfer(alice, files, **kw)  # type: ignore[arg-type]
    await transfer.wait_until_active(**FAST)
    transfer_id = emu.recipient_transfer_ids(transfer.tracking_id)[BOB]
    password = emu.transfer_password(transfer.tracking_id)
    return transfer.tracking_id, client.recipient_transfer(transfer_id, password=password)


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def test_info_files_and_download_all_with_the_right_password(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    _, incoming = await sent(emu, client, alice)
    info = await incoming.info()
    assert info.checksum_algorithm == "SHA-256"
    assert info.total_size == sum(len(c) for c in FILES.values())
    files = await incoming.files()
    assert {f.file_name: f.size for f in files} == {n: len(c) for n, c in FILES.items()}
    assert all(f.checksum == hashlib.sha256(FILES[f.file_name or ""]).hexdigest() for f in files)

    paths = await incoming.download_all(tmp_path)
    assert sorted(p.name for p in paths) == sorted(FILES)
    for path in paths:
        assert path.parent == tmp_path
        assert path.read_bytes() == FILES[path.name]
        assert (path.stat().st_mode & 0o777) == 0o600
    assert listing(tmp_path) == sorted(FILES)  # no temporary file left


async def test_the_password_travels_url_encoded_in_a_header(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    password = "p ä/ß%+&?#=x9"
    tracking_id, _ = await sent(
        emu, client, alice, password_mode=PasswordMode.MANUAL, password=password
    )
    incoming = client.recipient_transfer(
        emu.recipient_transfer_ids(tracking_id)[BOB], password=password
    )
    files = {f.file_name: f for f in await incoming.files()}
    path = await incoming.download(files["notes.txt"], tmp_path)
    assert path.read_bytes() == FILES["notes.txt"]
    recorded = [r for r in emu.requests if r.path.startswith("/api/transfers/")]
    assert recorded
    assert all(
        r.header("X-CS-Password") == "p%20%C3%A4%2F%C3%9F%25%2B%26%3F%23%3Dx9" for r in recorded
    )
    assert all("password" not in r.query for r in recorded)
    assert password not in repr(incoming)


async def test_wrong_password_is_refused_and_writes_nothing(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    _, good = await sent(emu, client, alice)
    (file, _) = await good.files()
    bad = client.recipient_transfer(good.transfer_id, password="not it")
    with pytest.raises(WrongPasswordError) as caught:
        await bad.info()
    assert "not it" not in str(caught.value)
    with pytest.raises(WrongPasswordError):
        await bad.download(file, tmp_path)
    assert listing(tmp_path) == []
    missing = client.recipient_transfer(good.transfer_id)
    with pytest.raises(WrongPasswordError):
        await missing.files()


async def test_no_password_mode_needs_none(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    tracking_id, _ = await sent(emu, client, alice, password_mode=PasswordMode.NONE)
    incoming = client.recipient_transfer(emu.recipient_transfer_ids(tracking_id)[BOB])
    assert len(await incoming.download_all(tmp_path)) == 2


async def test_traversal_and_hostile_names_stay_inside_the_directory(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    files = {f"f{i}.bin": bytes([i]) * (i + 1) for i in range(6)}
    tracking_id, incoming = await sent(emu, client, alice, files)
    hostile = [
        "../../escaped.txt",
        "/etc/passwd",
        "..\\..\\win.ini",
        "nul",
        "a\x00b.txt",
        "escaped.txt",
    ]
    stored = list(emu.transfer(tracking_id).files.values())
    content_by_id = {}
    for record, name in zip(stored, hostile, strict=True):
        content_by_id[record.id] = files[record.name]
        record.name = name  # a hostile or broken server
    target = tmp_path / "inbox"
    target.mkdir()
    paths = await incoming.download_all(target)
    assert [p.name for p in paths] == [
        "escaped.txt",
        "passwd",
        "win.ini",
        "_nul",
        "a_b.txt",
        "escaped (2).txt",
    ]
    assert listing(tmp_path) == ["inbox"]
    for path, record in zip(paths, stored, strict=True):
        assert path.resolve().parent == target.resolve()
        assert path.read_bytes() == content_by_id[record.id]


async def test_existing_file_is_never_overwritten_unless_asked(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    _, incoming = await sent(emu, client, alice)
    files = {f.file_name: f for f in await incoming.files()}
    existing = tmp_path / "notes.txt"
    existing.write_bytes(b"mine")
    requests_before = len(emu.requests)
    with pytest.raises(DownloadTargetExistsError) as caught:
        await incoming.download(files["notes.txt"], tmp_path)
    assert caught.value.path == existing
    assert isinstance(caught.value, FileExistsError)
    assert len(emu.requests) == requests_before  # refused before downloading
    assert existing.read_bytes() == b"mine"
    path = await incoming.download(files["notes.txt"], tmp_path, overwrite=True)
    assert path == existing and existing.read_bytes() == FILES["notes.txt"]
    assert listing(tmp_path) == ["notes.txt"]


async def test_name_override_and_download_by_id(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    _, incoming = await sent(emu, client, alice)
    files = {f.file_name: f for f in await incoming.files()}
    file_id = files["report.pdf"].id
    assert file_id is not None
    path = await incoming.download(file_id, tmp_path, name="../renamed.pdf")
    assert path == tmp_path / "renamed.pdf"
    assert path.read_bytes() == FILES["report.pdf"]
    with pytest.raises(DownloadError, match="no file with id"):
        await incoming.download("nonexistent", tmp_path)
    with pytest.raises(InvalidInputError, match="not an existing directory"):
        await incoming.download(files["notes.txt"], tmp_path / "missing")


async def test_checksum_mismatch_removes_the_partial_file(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    tracking_id, incoming = await sent(emu, client, alice)
    record = next(r for r in emu.transfer(tracking_id).files.values() if r.name == "notes.txt")
    assert record.path is not None
    record.path.write_bytes(b"SOME notes\n")  # same size, different content: bit rot
    files = {f.file_name: f for f in await incoming.files()}
    with pytest.raises(DownloadIntegrityError) as caught:
        await incoming.download(files["notes.txt"], tmp_path)
    assert caught.value.what == "checksum"
    assert caught.value.actual == hashlib.sha256(b"SOME notes\n").hexdigest()
    assert listing(tmp_path) == []
    # Without verification the content is taken as it is.
    path = await incoming.download(files["notes.txt"], tmp_path, verify=False)
    assert path.read_bytes() == b"SOME notes\n"


async def test_size_mismatch_removes_the_partial_file(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    tracking_id, incoming = await sent(emu, client, alice)
    record = next(r for r in emu.transfer(tracking_id).files.values() if r.name == "report.pdf")
    assert record.path is not None
    record.path.write_bytes(b"short")
    files = {f.file_name: f for f in await incoming.files()}
    with pytest.raises(DownloadIntegrityError) as caught:
        await incoming.download(files["report.pdf"], tmp_path, verify=False)
    assert caught.value.what == "size"
    assert listing(tmp_path) == []


async def test_cancelled_download_leaves_no_file(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    _, incoming = await sent(emu, client, alice)
    (file, _) = await incoming.files()
    # The emulator finishes a delayed handler before it closes: keep the delay short.
    emu.add_fault(FaultRule(method="GET", path="/api/transfers/*/files/*", delay=3.0))
    task = asyncio.create_task(incoming.download(file, tmp_path))
    async with asyncio.timeout(10):
        while not emu.fired_faults:  # noqa: ASYNC110 - the emulator offers no event for this
            await asyncio.sleep(0.01)
    assert [p.name.endswith(".part") for p in tmp_path.iterdir()] == [True]  # noqa: ASYNC240
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert listing(tmp_path) == []


async def test_a_download_cancelled_mid_body_stops_its_writer_thread(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    big = {"big.bin": os.urandom(6 * 1024 * 1024)}
    _, incoming = await sent(emu, client, alice, big)
    (file,) = await incoming.files()
    halfway = asyncio.Event()

    async def stall(received: int, total: int) -> None:
        if received >= 1024 * 1024:
            halfway.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(incoming.download(file, tmp_path, progress=stall))
    async with asyncio.timeout(10):
        await halfway.wait()
    assert any(t.name == "cryptshare-download-writer" for t in threading.enumerate())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert listing(tmp_path) == []
    assert not any(t.name.startswith("cryptshare-download") for t in threading.enumerate())


async def test_unknown_transfer_id(client: CryptshareClient, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        await client.recipient_transfer("0123456789", password="x").info()
    with pytest.raises(InvalidInputError):
        client.recipient_transfer("", password="x")


async def test_large_download_streams_with_constant_memory(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    size = 24 * 1024 * 1024
    content = os.urandom(1024) * (size // 1024)
    _, incoming = await sent(emu, client, alice, {"big.bin": content})
    digest = hashlib.sha256(content).hexdigest()
    del content
    (file,) = await incoming.files()
    tracemalloc.start()
    try:
        path = await incoming.download(file, tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path.stat().st_size == size
    assert peak < 8 * 1024 * 1024, f"peak Python allocations {peak} bytes"
    with path.open("rb") as handle:
        assert hashlib.file_digest(handle, "sha256").hexdigest() == digest

"""Cancellation and failure safety: the registered file is removed, and no task, thread
or connection is left behind, whatever point the upload was cancelled at."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cryptshare_async import CryptshareClient
from cryptshare_async._session import TransferSession
from cryptshare_async._upload import BytesSource, StreamSource
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import assert_nothing_left, stored_files

DATA = os.urandom(4 * 1024 * 1024)


async def _cancel(task: asyncio.Task[object]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _wait_for_request(emu: Emulator, method: str, suffix: str) -> None:
    async with asyncio.timeout(5):
        while not any(r.method == method and r.path.endswith(suffix) for r in emu.requests):  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def test_cancel_before_registration(
    emu: Emulator, client: CryptshareClient, session: TransferSession
) -> None:
    emu.add_fault(FaultRule(method="GET", path=f"*/{session.tracking_id}", delay=1, times=1))
    task = asyncio.create_task(session.upload(BytesSource(DATA, name="a.bin")))
    await _wait_for_request(emu, "GET", session.tracking_id)
    await _cancel(task)
    assert emu.store.sessions[session.tracking_id].files == {}
    assert not any(r.method == "POST" and r.path.endswith("/files") for r in emu.requests)
    await assert_nothing_left(client)


async def test_cancel_during_registration_removes_the_late_file(
    emu: Emulator, client: CryptshareClient, session: TransferSession
) -> None:
    emu.add_fault(FaultRule(method="POST", path="*/files", delay=0.3, times=1))
    task = asyncio.create_task(session.upload(BytesSource(DATA, name="a.bin")))
    await _wait_for_request(emu, "POST", "/files")
    await _cancel(task)
    # the registration went through on the server; the upload waited for it and removed it
    assert any(r.method == "DELETE" for r in emu.requests)
    assert emu.store.sessions[session.tracking_id].files == {}
    await assert_nothing_left(client)


@pytest.mark.parametrize("kind", ["path", "bytes", "stream"])
async def test_cancel_mid_stream(
    emu: Emulator, client: CryptshareClient, session: TransferSession, tmp_path: Path, kind: str
) -> None:
    halfway = asyncio.Event()
    never = asyncio.Event()

    async def stall(sent: int, total: int) -> None:
        if sent >= 1024 * 1024:
            halfway.set()
            await never.wait()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(DATA), 256 * 1024):
            yield DATA[i : i + 256 * 1024]

    path = tmp_path / "a.bin"
    path.write_bytes(DATA)
    source = {
        "path": path,
        "bytes": BytesSource(bytearray(DATA), name="a.bin"),
        "stream": StreamSource(chunks(), size=len(DATA), name="a.bin"),
    }[kind]
    task = asyncio.create_task(session.upload(source, progress=stall))
    async with asyncio.timeout(5):
        await halfway.wait()
    assert len(emu.store.sessions[session.tracking_id].files) == 1
    await _cancel(task)
    assert stored_files(emu, session) == {}
    await assert_nothing_left(client)


async def test_cancel_after_the_last_byte(
    emu: Emulator, client: CryptshareClient, session: TransferSession
) -> None:
    small = DATA[:65536]
    emu.add_fault(FaultRule(method="PUT", path="*/content", delay=1, times=1))
    all_sent = asyncio.Event()

    def on_progress(sent: int, total: int) -> None:
        if sent == total:
            all_sent.set()

    task = asyncio.create_task(
        session.upload(BytesSource(small, name="a.bin"), progress=on_progress)
    )
    async with asyncio.timeout(5):
        await all_sent.wait()
    await asyncio.sleep(0.05)  # now waiting for the answer to the PUT
    await _cancel(task)
    assert emu.store.sessions[session.tracking_id].files == {}
    await assert_nothing_left(client)


async def test_cancelled_again_during_cleanup_still_removes(
    emu: Emulator, client: CryptshareClient, session: TransferSession
) -> None:
    emu.add_fault(FaultRule(method="DELETE", path="*/files/*", delay=0.2, times=1))
    halfway = asyncio.Event()

    async def stall(sent: int, total: int) -> None:
        if sent > 0:
            halfway.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(session.upload(BytesSource(DATA, name="a.bin"), progress=stall))
    async with asyncio.timeout(5):
        await halfway.wait()
    task.cancel()
    await _wait_for_request(emu, "DELETE", "")
    task.cancel()  # a second cancellation while the removal is in flight
    with pytest.raises(asyncio.CancelledError):
        await task
    assert emu.store.sessions[session.tracking_id].files == {}
    await assert_nothing_left(client)

"""Fixtures for the upload tests: an emulator, a client bound to it, an open session."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cryptshare_async import CryptshareClient
from cryptshare_async._session import TransferSession
from cryptshare_async.testing import Emulator, EmulatorConfig

SENDER = "alice@example.com"


@pytest.fixture
async def emu(tmp_path: Path) -> AsyncIterator[Emulator]:
    config = EmulatorConfig(processing_seconds=0.01, seed=1234, storage_dir=tmp_path / "emu")
    async with Emulator(config) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[CryptshareClient]:
    # These tests check that a cancelled upload cleans up and leaves nothing running, so
    # the clean-up must finish before the call returns even on a loaded machine; the
    # bound on the wait itself (cleanup_grace) is tested in test_cancel_bounds.py.
    async with CryptshareClient(emu.url, client_id=emu.client_id, cleanup_grace=30) as c:
        yield c


@pytest.fixture
async def session(client: CryptshareClient) -> TransferSession:
    return await client.sender(SENDER).create_session(
        to=["bob@example.org"], name="Alice", phone="+49 1"
    )


def stored_files(emu: Emulator, session: TransferSession) -> dict[str, bytes]:
    """The files the emulator holds for the session: name → content received."""
    files = emu.store.sessions[session.tracking_id].files.values()
    return {f.name: (f.path.read_bytes() if f.path and f.path.exists() else b"") for f in files}


async def finalize_active(emu: Emulator, session: TransferSession) -> None:
    """Finalize and check that the emulator's post-finalize checks kept every file."""
    transfer = await session.finalize()
    async with asyncio.timeout(10):
        state = await emu.wait_processed(transfer.tracking_id)
    removed = {
        f.name: f.removal for f in emu.transfer(transfer.tracking_id).files.values() if f.removal
    }
    assert state == "ACTIVE", removed
    assert removed == {}


def connections_in_use(client: CryptshareClient) -> int:
    http = client.transport._session
    if http is None or http.connector is None:
        return 0
    return len(http.connector._acquired)  # type: ignore[attr-defined]


def reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("cryptshare-upload")]


async def assert_nothing_left(client: CryptshareClient) -> None:
    """No upload thread, no other task, no connection still in use."""
    for _ in range(100):  # threads end within a chunk; give them a moment
        if not reader_threads():
            break
        await asyncio.sleep(0.01)
    assert reader_threads() == []
    assert connections_in_use(client) == 0
    assert [t for t in asyncio.all_tasks() if _client_side(t)] == [asyncio.current_task()]


def _client_side(task: asyncio.Task[object]) -> bool:
    """Tasks of the in-process emulator's server are not the client's."""
    code = getattr(task.get_coro(), "cr_code", None)
    filename = code.co_filename if code is not None else ""
    return "aiohttp/web" not in filename and "cryptshare_async/testing" not in filename

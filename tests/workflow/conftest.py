"""Fixtures for the workflow tests: an emulator, a client bound to it, and ways to read
what the emulator holds (sessions left, transfers made per file name)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cryptshare_async import CryptshareClient, Sender
from cryptshare_async.testing import Emulator, EmulatorConfig

ALICE = "alice@example.com"
BOB = "bob@example.org"


@pytest.fixture
async def emu(tmp_path: Path) -> AsyncIterator[Emulator]:
    config = EmulatorConfig(processing_seconds=0.0, seed=1234, storage_dir=tmp_path / "emu")
    async with Emulator(config) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[CryptshareClient]:
    async with CryptshareClient(emu.url, client_id=emu.client_id) as c:
        yield c


@pytest.fixture
def alice(client: CryptshareClient) -> Sender:
    return client.sender(ALICE)


def open_sessions(emu: Emulator) -> list[str]:
    """Tracking ids of the sessions the emulator still holds (not finalized, not deleted)."""
    return sorted(emu.store.sessions)


def transfers_by_file(emu: Emulator) -> Counter[str]:
    """How many transfers the emulator holds per file name (each job sends its own file)."""
    return Counter(f.name for t in emu.store.transfers.values() for f in t.files.values())


def requests_sent(emu: Emulator) -> list[str]:
    """The API requests the emulator received (not its control endpoints)."""
    return [f"{r.method} {r.path}" for r in emu.requests if not r.path.startswith("/_emulator")]


def _ours(thread: threading.Thread) -> bool:
    return thread.name.startswith(("cryptshare-upload", "cryptshare-journal"))


async def assert_nothing_left(client: CryptshareClient) -> None:
    """No upload or journal thread, no connection in use, no task of ours but this one."""
    for _ in range(100):  # threads end within a chunk; give them a moment
        if not any(_ours(t) for t in threading.enumerate()):
            break
        await asyncio.sleep(0.01)
    assert [t for t in threading.enumerate() if _ours(t)] == []
    http = client.transport._session
    if http is not None and http.connector is not None:
        assert len(http.connector._acquired) == 0  # type: ignore[attr-defined]
    assert [t for t in asyncio.all_tasks() if _client_side(t)] == [asyncio.current_task()]


def _client_side(task: asyncio.Task[object]) -> bool:
    """Tasks of the in-process emulator's server are not the client's."""
    code = getattr(task.get_coro(), "cr_code", None)
    filename = code.co_filename if code is not None else ""
    return "aiohttp/web" not in filename and "cryptshare_async/testing" not in filename

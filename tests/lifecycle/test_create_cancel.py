"""A create_session cancelled in flight leaves no session behind on the server."""

from __future__ import annotations

import asyncio

import pytest

from cryptshare_async import Sender
from cryptshare_async.testing import Emulator, FaultRule


async def test_cancelled_create_session_deletes_the_late_session(
    emu: Emulator, alice: Sender
) -> None:
    await alice.verify_with_client_id()
    emu.add_fault(FaultRule(method="POST", path="*/transfer-sessions", delay=0.3, times=1))
    task = asyncio.create_task(
        alice.create_session(to=["bob@example.org"], name="Alice", phone="+49 1")
    )
    async with asyncio.timeout(5):
        while not _posts(emu):  # noqa: ASYNC110
            await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # the server created the session after all; the client waited for its id and deleted it
    deletes = [r for r in emu.requests if r.method == "DELETE"]
    assert len(_posts(emu)) == 1
    assert len(deletes) == 1
    assert emu.store.sessions == {}


def _posts(emu: Emulator) -> list[object]:
    return [r for r in emu.requests if r.method == "POST" and r.path.endswith("/transfer-sessions")]

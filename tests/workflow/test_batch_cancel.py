"""A batch cancelled while finalize requests are on their way: the jobs whose transfer
was made are in the cancellation's ``results`` and recorded in the journal as sent, so
a re-run sends nothing again."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from cryptshare_async import Sender, SendResult, SQLiteJournal
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import open_sessions, requests_sent
from .test_send_many import exactly_once, job

FINALIZE = r"/api/users/[^/]+/transfer-sessions/[^/]+"


def finalizes(emu: Emulator) -> int:
    return sum(1 for r in requests_sent(emu) if re.fullmatch("POST " + FINALIZE, r))


async def test_jobs_made_during_a_cancellation_are_results_and_journaled(
    emu: Emulator, alice: Sender, tmp_path: Path
) -> None:
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, delay=0.4))
    jobs = [job(n) for n in range(3)]
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        task = asyncio.ensure_future(alice.send_many(jobs, journal=journal, concurrency=3))
        for _ in range(1000):
            if finalizes(emu) == 3:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as caught:
            await task
        results = caught.value.results  # type: ignore[attr-defined]
        assert [type(r) for r in results] == [SendResult] * 3
        assert "3 of 3 job(s) were sent" in " ".join(caught.value.__notes__)
        for item in jobs:
            record = await journal.get(item.key)
            assert record is not None and record.outcome is not None
    exactly_once(emu, 3)
    emu.clear_faults()
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        again = await alice.send_many(jobs, journal=journal)
    assert all(isinstance(r, SendResult) and r.from_journal for r in again)
    exactly_once(emu, 3)
    assert finalizes(emu) == 3


async def test_jobs_cancelled_before_finalize_are_none_and_leave_nothing(
    emu: Emulator, alice: Sender
) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", delay=5))
    task = asyncio.ensure_future(alice.send_many([job(n) for n in range(2)], concurrency=2))
    for _ in range(1000):
        if sum(r.startswith("PUT") for r in requests_sent(emu)) == 2:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as caught:
        await task
    assert caught.value.results == [None, None]  # type: ignore[attr-defined]
    assert emu.store.transfers == {} and open_sessions(emu) == []

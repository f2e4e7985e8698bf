"""RedisJournal's own promises against a real Redis server (the Journal contract runs in
tests/workflow/test_journal.py): one holder per job across workers, leases renewed
while the holder lives and taken over once it is gone, fenced writes, and send_many
resuming a dead worker's job through its tracking id."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from cryptshare_async import (
    BytesSource,
    ConfigurationError,
    CryptshareClient,
    JobOutcome,
    JournalError,
    JournalRecord,
    SendJob,
    SendResult,
)
from cryptshare_async.contrib.redis import RedisJournal, RedisTokenStore
from cryptshare_async.testing import Emulator, EmulatorConfig, FaultRule


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def name() -> str:
    return f"batch-{uuid.uuid4().hex}"


def die(journal: RedisJournal) -> None:
    """Stand for a ``kill -9`` of the worker: its renewals stop, nothing is released."""
    for task in journal._renewals.values():
        task.cancel()
    journal._renewals.clear()


async def test_two_workers_never_hold_one_job(redis: Redis, name: str) -> None:
    async with RedisJournal(redis, name) as one, RedisJournal(redis, name) as two:
        records = await asyncio.gather(
            *(j.claim(f"job-{n}", lease=30) for n in range(50) for j in (one, two))
        )
        assert sum(r is not None for r in records) == 50
        assert [records[2 * n] is None for n in range(50)] != [
            records[2 * n + 1] is None for n in range(50)
        ]
        await one.claim("x", lease=30)
        with pytest.raises(JournalError, match="not claimed by this journal"):
            await two.record_tracking_id("x", "T1")
        await two.release("x")  # not ours: changes nothing
        assert await two.claim("x", lease=30) is None


async def test_a_live_holder_keeps_its_claim_beyond_the_lease(redis: Redis, name: str) -> None:
    async with RedisJournal(redis, name) as one, RedisJournal(redis, name) as two:
        await one.claim("a", lease=0.3)
        await asyncio.sleep(1.0)  # three leases: renewed every 0.1 s
        assert await two.claim("a", lease=0.3) is None
        await one.record_tracking_id("a", "T1")
        await one.record_outcome("a", JobOutcome(tracking_id="T1"))
        record = await two.claim("a", lease=0.3)
        assert record is not None and record.done


async def test_a_dead_holders_job_is_taken_over_and_its_writes_are_fenced(
    redis: Redis, name: str
) -> None:
    async with RedisJournal(redis, name) as one, RedisJournal(redis, name) as two:
        await one.claim("a", lease=0.3)
        await one.record_tracking_id("a", "T1")
        renewals = dict(one._renewals)
        die(one)
        assert await two.claim("a", lease=0.3) is None  # the lease still runs
        await asyncio.sleep(0.5)
        assert await two.claim("a", lease=30) == JournalRecord("a", tracking_id="T1")
        # the first worker, back from its stall, cannot write over the new holder
        one._renewals.update(renewals)  # it still believes it holds the job
        with pytest.raises(JournalError, match="no longer claimed"):
            await one.record_outcome("a", JobOutcome(tracking_id="T9"))
        assert "a" not in one._renewals
        await two.record_outcome("a", JobOutcome(tracking_id="T1", adopted=True))
        record = await one.get("a")
        assert record is not None and record.outcome is not None
        assert record.outcome.tracking_id == "T1" and record.outcome.adopted


async def test_closing_releases_the_claims_held(redis: Redis, name: str) -> None:
    async with RedisJournal(redis, name) as one:
        for key in ("a", "b"):
            await one.claim(key, lease=60)
        await one.record_tracking_id("a", "T1")
    assert one._renewals == {}
    with pytest.raises(JournalError, match="closed"):
        await one.claim("c", lease=60)
    async with RedisJournal(redis, name) as two:
        assert await two.claim("a", lease=60) == JournalRecord("a", tracking_id="T1")
        assert await two.claim("b", lease=60) == JournalRecord("b")


async def test_journals_of_different_names_are_apart(redis: Redis, name: str) -> None:
    async with RedisJournal(redis, name) as one, RedisJournal(redis, name + "-2") as two:
        await one.claim("a", lease=60)
        await one.record_tracking_id("a", "T1")
        assert await two.get("a") is None
        assert await two.claim("a", lease=60) == JournalRecord("a")


async def test_redis_unreachable_is_a_journal_error() -> None:
    gone = Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    try:
        async with RedisJournal(gone, "x") as journal:
            for call in (journal.claim("a", lease=5), journal.get("a")):
                with pytest.raises(JournalError, match="Redis journal 'x' failed") as caught:
                    await call
                assert caught.value.__cause__ is None
    finally:
        await gone.aclose()


@pytest.mark.parametrize("bad", ["", "has space", "a{b}", "x" * 201, 3])
def test_bad_names_are_refused(redis: Redis, bad: object) -> None:
    with pytest.raises(ConfigurationError, match="journal name"):
        RedisJournal(redis, bad)  # type: ignore[arg-type]


async def test_send_many_resumes_a_dead_workers_job_exactly_once(
    tmp_path: Path, redis: Redis, name: str
) -> None:
    """Worker one creates the session, records its tracking id and dies before finalize;
    worker two (another client, same Redis token store) takes the job over once the
    lease runs out, deletes the leftover session and sends the job: one transfer."""
    config = EmulatorConfig(processing_seconds=0.0, storage_dir=tmp_path / "emu")
    prefix = f"tok:{uuid.uuid4().hex}:"
    job = SendJob(
        "slip-1",
        [BytesSource(b"payroll", name="slip-1.pdf")],
        to=["bob@example.org"],
        name="Pay",
        phone="1",
    )
    async with Emulator(config) as emu:
        async with CryptshareClient(
            emu.url, client_id=emu.client_id, token_store=RedisTokenStore(redis, prefix=prefix)
        ) as first:
            one = RedisJournal(redis, name)
            record = await one.claim("slip-1", lease=0.3)
            assert record == JournalRecord("slip-1")
            session = await first.sender("alice@example.com").create_session(
                to=["bob@example.org"], name="Pay", phone="1"
            )
            await one.record_tracking_id("slip-1", session.tracking_id)
            die(one)
        async with (
            CryptshareClient(
                emu.url, client_id=emu.client_id, token_store=RedisTokenStore(redis, prefix=prefix)
            ) as second,
            RedisJournal(redis, name) as two,
        ):
            alice = second.sender("alice@example.com")
            [busy] = await alice.send_many([job], journal=two, lease=0.3)
            assert isinstance(busy, JournalError)  # the dead worker's lease still runs
            await asyncio.sleep(0.5)
            [sent] = await alice.send_many([job], journal=two, lease=0.3)
            assert isinstance(sent, SendResult) and not sent.from_journal
            [again] = await alice.send_many([job], journal=two, lease=0.3)
            assert isinstance(again, SendResult) and again.from_journal
        assert session.tracking_id not in emu.store.sessions  # deleted with the shared token
        assert list(emu.store.transfers) == [sent.tracking_id]


async def test_a_session_finalized_during_the_take_over_is_adopted_not_sent_again(
    tmp_path: Path, redis: Redis, name: str
) -> None:
    """Worker one stalls past its lease with its session uploaded; worker two takes the
    job over, reads 404 for the transfer, and while its delete is on the way worker one
    wakes up and finalizes. The delete then finds no session: worker two reads the status
    again and adopts the transfer instead of sending a second one."""
    config = EmulatorConfig(processing_seconds=0.0, storage_dir=tmp_path / "emu")
    prefix = f"tok:{uuid.uuid4().hex}:"
    slip = BytesSource(b"payroll", name="slip-1.pdf")
    job = SendJob("slip-1", [slip], to=["bob@example.org"], name="Pay", phone="1")
    async with Emulator(config) as emu:
        store = RedisTokenStore(redis, prefix=prefix)
        async with (
            CryptshareClient(emu.url, client_id=emu.client_id, token_store=store) as first,
            CryptshareClient(emu.url, client_id=emu.client_id, token_store=store) as second,
        ):
            one = RedisJournal(redis, name)
            await one.claim("slip-1", lease=0.2)
            session = await first.sender("alice@example.com").create_session(
                to=["bob@example.org"], name="Pay", phone="1"
            )
            await one.record_tracking_id("slip-1", session.tracking_id)
            await session.upload(BytesSource(b"payroll", name="slip-1.pdf"))
            die(one)  # stalled: its lease runs out
            await asyncio.sleep(0.4)
            emu.add_fault(FaultRule(method="DELETE", path="*/transfer-sessions/*", delay=1.0))
            async with RedisJournal(redis, name) as two:
                batch = asyncio.ensure_future(
                    second.sender("alice@example.com").send_many([job], journal=two, lease=5)
                )
                for _ in range(200):
                    if emu.fired_faults:
                        break
                    await asyncio.sleep(0.01)
                assert emu.fired_faults, "the take-over never tried to delete the session"
                await session.finalize()  # worker one wakes up
                [result] = await batch
        assert isinstance(result, SendResult) and result.from_journal
        assert result.tracking_id == session.tracking_id
        assert list(emu.store.transfers) == [session.tracking_id]


async def test_a_client_that_decodes_replies_works_too(redis_url: str, name: str) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        async with RedisJournal(client, name) as journal:
            assert await journal.claim("a", lease=30) == JournalRecord("a")
            await journal.record_tracking_id("a", "T1")
            await journal.record_outcome("a", JobOutcome(tracking_id="T1"))
            record = await journal.claim("a", lease=30)
            assert record is not None and record.outcome is not None
            assert record.tracking_id == "T1" and record.outcome.tracking_id == "T1"
    finally:
        await client.aclose()

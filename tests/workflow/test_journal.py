"""The journal contract (every implementation runs the ``journal`` fixture's tests: add
yours to its params), then the SQLite journal's own promises: durability (a child
killed with SIGKILL mid-writes loses no completed record), one process at a time."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cryptshare_async import (
    JobOutcome,
    Journal,
    JournalError,
    JournalRecord,
    SQLiteJournal,
    UploadedFile,
)

ROOT = Path(__file__).resolve().parents[2]

FILE = UploadedFile(
    file_id="f1",
    file_name="a.pdf",
    size=3,
    checksum="ab" * 32,
    algorithm="SHA-256",
    checksum_registered=True,
)


def journal_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("cryptshare-journal")]


@pytest.fixture(params=["sqlite", "redis"])
async def journal(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Journal]:
    """An open, empty journal of each implementation (Redis: a real server)."""
    if request.param == "sqlite":
        async with SQLiteJournal(tmp_path / "j.db") as opened:
            yield opened
        return
    from redis.asyncio import Redis

    from cryptshare_async.contrib.redis import RedisJournal

    client = Redis.from_url(request.getfixturevalue("redis_url"))
    try:
        async with RedisJournal(client, f"contract-{uuid.uuid4().hex}") as redis_journal:
            yield redis_journal
    finally:
        await client.aclose()


async def test_it_is_a_journal(journal: Journal) -> None:
    assert isinstance(journal, Journal)


async def test_a_new_job_is_claimed_once_then_recorded(journal: Journal) -> None:
    assert await journal.get("a") is None
    assert await journal.claim("a", lease=60) == JournalRecord("a")
    assert await journal.claim("a", lease=60) is None  # held by this worker already
    await journal.record_tracking_id("a", "T1")
    assert await journal.get("a") == JournalRecord("a", tracking_id="T1")
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    outcome = JobOutcome(tracking_id="T1", files=(FILE,), finished_at=moment)
    await journal.record_outcome("a", outcome)
    done = await journal.get("a")
    assert done == JournalRecord("a", tracking_id="T1", outcome=outcome)
    assert done is not None and done.done
    # a done job is returned as it is, and not claimed
    assert await journal.claim("a", lease=60) == done
    with pytest.raises(JournalError, match="not claimed"):
        await journal.record_tracking_id("a", "T2")


async def test_release_keeps_the_tracking_id_and_frees_the_job(journal: Journal) -> None:
    await journal.claim("a", lease=60)
    await journal.record_tracking_id("a", "T1")
    await journal.release("a")
    assert await journal.claim("a", lease=60) == JournalRecord("a", tracking_id="T1")


async def test_records_survive_reopening_and_claims_do_not(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    async with SQLiteJournal(path) as journal:
        await journal.claim("a", lease=60)
        await journal.record_tracking_id("a", "T1")
        await journal.claim("b", lease=60)
        await journal.record_outcome("b", JobOutcome(tracking_id="T2", adopted=True))
    async with SQLiteJournal(path) as journal:
        assert await journal.claim("a", lease=60) == JournalRecord("a", tracking_id="T1")
        record = await journal.get("b")
        assert record is not None and record.outcome is not None
        assert record.outcome.adopted and record.outcome.tracking_id == "T2"
        assert record.outcome.files == ()
        assert record.outcome.finished_at is not None
    assert journal_threads() == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda j: j.claim("", lease=60), "non-empty str"),
        (lambda j: j.claim("a", lease=0), "lease"),
        (lambda j: j.claim("a", lease=float("nan")), "lease"),
        (lambda j: j.get(3), "non-empty str"),
        (lambda j: j.record_outcome("x", JobOutcome(tracking_id="T")), "not claimed"),
    ],
)
async def test_bad_calls_are_refused(journal: Journal, call: object, message: str) -> None:
    with pytest.raises(JournalError, match=message):
        await call(journal)  # type: ignore[operator]


async def test_a_closed_journal_says_so(tmp_path: Path) -> None:
    journal = SQLiteJournal(tmp_path / "j.db")
    with pytest.raises(JournalError, match="not open"):
        await journal.get("a")
    await journal.open()
    await journal.close()
    await journal.close()  # twice is fine
    with pytest.raises(JournalError, match="not open"):
        await journal.get("a")


async def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(JournalError, match="not a journal"):
        await SQLiteJournal(path).open()
    with pytest.raises(JournalError, match="folder"):
        await SQLiteJournal(tmp_path / "missing" / "j.db").open()
    assert journal_threads() == []


_HOLD = """
import asyncio, sys
from cryptshare_async import SQLiteJournal

async def main() -> None:
    async with SQLiteJournal(sys.argv[1]):
        print("open", flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
"""

_WRITE = """
import asyncio, sys
from cryptshare_async import JobOutcome, SQLiteJournal

async def main() -> None:
    async with SQLiteJournal(sys.argv[1]) as journal:
        n = 0
        while True:
            key = f"job-{n}"
            await journal.claim(key, lease=60)
            await journal.record_tracking_id(key, f"T-{n}")
            print(f"tid {n}", flush=True)
            await journal.record_outcome(key, JobOutcome(tracking_id=f"T-{n}"))
            print(f"done {n}", flush=True)
            n += 1

asyncio.run(main())
"""


async def _child(script: str, path: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        str(path),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )


async def _kill(child: asyncio.subprocess.Process) -> list[str]:
    """SIGKILL the child; the lines it had printed (each one a completed record)."""
    child.send_signal(signal.SIGKILL)
    rest, _ = await child.communicate()
    return rest.decode().splitlines()


async def test_a_second_process_is_refused_until_the_first_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    child = await _child(_HOLD, path)
    try:
        assert child.stdout is not None
        async with asyncio.timeout(20):
            assert (await child.stdout.readline()).strip() == b"open"
        with pytest.raises(JournalError, match="in use by another process"):
            await SQLiteJournal(path).open()
    finally:
        await _kill(child)
    async with SQLiteJournal(path) as journal:  # the OS freed the lock with the process
        assert await journal.get("a") is None


@pytest.mark.parametrize("records", [1, 25])
async def test_kill_9_mid_writes_loses_no_completed_record(tmp_path: Path, records: int) -> None:
    path = tmp_path / "j.db"
    child = await _child(_WRITE, path)
    lines: list[str] = []
    try:
        assert child.stdout is not None
        async with asyncio.timeout(30):
            while f"done {records}" not in lines:
                line = await child.stdout.readline()
                assert line, "the writer ended early"
                lines.append(line.decode().strip())
    finally:
        lines += await _kill(child)
    assert child.returncode == -signal.SIGKILL
    async with SQLiteJournal(path) as journal:
        for line in lines:
            what, n = line.split()
            record = await journal.get(f"job-{n}")
            assert record is not None and record.tracking_id == f"T-{n}", line
            if what == "done":
                assert record.outcome == JobOutcome(
                    tracking_id=f"T-{n}", finished_at=record.outcome.finished_at
                )


async def test_a_second_journal_object_on_one_file_is_refused(tmp_path: Path) -> None:
    async with SQLiteJournal(tmp_path / "j.db"):
        with pytest.raises(JournalError, match="in use"):
            await SQLiteJournal(tmp_path / "j.db").open()
    assert journal_threads() == []


async def test_concurrent_records_are_all_committed(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    keys = [f"job-{n}" for n in range(60)]

    async def one(journal: SQLiteJournal, key: str) -> None:
        await journal.claim(key, lease=60)
        await journal.record_tracking_id(key, f"T-{key}")
        await journal.record_outcome(key, JobOutcome(tracking_id=f"T-{key}"))

    async with SQLiteJournal(path) as journal:
        await asyncio.gather(*(one(journal, key) for key in keys))
    async with SQLiteJournal(path) as journal:
        for key in keys:
            record = await journal.get(key)
            assert record is not None and record.outcome is not None
            assert record.outcome.tracking_id == f"T-{key}"


async def test_a_failed_write_reaches_every_writer(tmp_path: Path) -> None:
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        for key in ("a", "b"):
            await journal.claim(key, lease=60)
        connection = journal._connection
        assert connection is not None
        await journal._run(connection.close)  # stands for a disk that stops taking writes
        results = await asyncio.gather(
            journal.record_tracking_id("a", "T1"),
            journal.record_tracking_id("b", "T2"),
            return_exceptions=True,
        )
        assert [type(r) for r in results] == [JournalError, JournalError]
        assert results[0] is not results[1]

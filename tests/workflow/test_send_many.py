"""``sender.send_many(jobs, journal=...)``: one result per job, failures isolated, and a
re-run after a crash at any point sends every job exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cryptshare_async import (
    BytesSource,
    CryptshareClient,
    FileTokenStore,
    InvalidInputError,
    JobOutcome,
    Journal,
    JournalError,
    JournalRecord,
    PasswordMode,
    Sender,
    SendJob,
    SendResult,
    SQLiteJournal,
    StreamSource,
    TransferState,
)
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import (
    ALICE,
    BOB,
    assert_nothing_left,
    open_sessions,
    requests_sent,
    transfers_by_file,
)

ROOT = Path(__file__).resolve().parents[2]
SECRET = "pa55-w0rd-of-the-batch"


class Boom(Exception):
    pass


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no clean-up is owed."""


def content(n: int) -> bytes:
    return bytes([n % 256]) * (10_000 + n)


def job(n: int, **kwargs: Any) -> SendJob:
    return SendJob(
        f"job-{n}",
        [BytesSource(content(n), name=f"job-{n}.bin")],
        to=[BOB],
        name="Alice",
        phone="+49 1",
        **kwargs,
    )


def exactly_once(emu: Emulator, count: int) -> None:
    assert transfers_by_file(emu) == {f"job-{n}.bin": 1 for n in range(count)}


def _broken_source(n: int) -> StreamSource:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"x"
        raise Boom(f"source of job {n} broke")

    return StreamSource(chunks, size=100, name=f"job-{n}.bin")


async def test_one_result_per_job_and_failures_stay_apart(emu: Emulator, alice: Sender) -> None:
    jobs = [job(0), SendJob("job-1", [_broken_source(1)], to=[BOB], name="A", phone="1"), job(2)]
    seen: list[tuple[int, int]] = []
    results = await alice.send_many(
        jobs, concurrency=2, progress=lambda sent, total: seen.append((sent, total))
    )
    assert isinstance(results[0], SendResult) and isinstance(results[2], SendResult)
    assert isinstance(results[1], Boom)
    assert transfers_by_file(emu) == {"job-0.bin": 1, "job-2.bin": 1}
    assert open_sessions(emu) == []
    total = len(content(0)) + 100 + len(content(2))
    assert {t for _, t in seen} == {total}
    assert max(s for s, _ in seen) >= len(content(0)) + len(content(2))


async def test_settings_of_each_job_are_applied(emu: Emulator, alice: Sender) -> None:
    jobs = [
        job(0, settings={"password_mode": PasswordMode.NONE}),
        job(1, settings={"password_mode": PasswordMode.MANUAL, "password": SECRET}),
    ]
    results = await alice.send_many(jobs)
    modes = [
        emu.transfer(r.tracking_id).password_mode for r in results if isinstance(r, SendResult)
    ]
    assert modes == ["NONE", "MANUAL"]
    assert SECRET not in repr(jobs)


@pytest.mark.parametrize(
    ("jobs", "message"),
    [
        (lambda: [job(0), job(0)], "appears twice"),
        (lambda: [job(0), "job-1"], "not a SendJob"),
        (lambda: [SendJob("", [b"x"], to=[BOB], name="A", phone="1")], "non-empty str"),
        (lambda: [job(0), job(1, settings={"colour": "red"})], "unknown setting"),
        (lambda: [job(0), job(1, settings={"password": SECRET})], "MANUAL"),
        (lambda: [SendJob("j", [], to=[BOB], name="A", phone="1")], "at least one file"),
        (lambda: [SendJob("j", [b"x"], to=["nope"], name="A", phone="1")], "recipient"),
    ],
)
async def test_bad_jobs_are_refused_before_any_request(
    emu: Emulator, alice: Sender, jobs: Any, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        await alice.send_many(jobs())
    assert SECRET not in str(caught.value) and SECRET not in " ".join(
        getattr(caught.value, "__notes__", [])
    )
    assert requests_sent(emu) == []


@pytest.mark.parametrize("kwargs", [{"concurrency": 0}, {"journal": "state.db"}, {"lease": -1}])
async def test_bad_options_are_refused(
    emu: Emulator, alice: Sender, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInputError):
        await alice.send_many([job(0)], **kwargs)
    assert requests_sent(emu) == []


# ---------------------------------------------------------------- journal: crash points


async def test_a_rerun_after_the_outcome_sends_nothing(
    emu: Emulator, alice: Sender, tmp_path: Path
) -> None:
    jobs = [job(n) for n in range(3)]
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        first = await alice.send_many(jobs, journal=journal)
    before = len(requests_sent(emu))
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        again = await alice.send_many(jobs, journal=journal)
    assert len(requests_sent(emu)) == before  # nothing asked of the server
    for one, two in zip(first, again, strict=True):
        assert isinstance(one, SendResult) and isinstance(two, SendResult)
        assert two.from_journal and not one.from_journal
        assert two.tracking_id == one.tracking_id and two.files == one.files
    exactly_once(emu, 3)
    recorded = again[0]
    assert isinstance(recorded, SendResult)
    status = await recorded.transfer.status()  # the recorded result is a live handle
    assert status.state is TransferState.ACTIVE


async def _crashed_before_finalize(
    alice: Sender, journal: Journal, n: int, *, delete: bool = False
) -> str:
    """What a process leaves when it dies after uploading, before finalize."""
    await journal.claim(f"job-{n}", lease=60)
    session = await alice.create_session(to=[BOB], name="Alice", phone="+49 1")
    await journal.record_tracking_id(f"job-{n}", session.tracking_id)
    await session.upload(BytesSource(content(n), name=f"job-{n}.bin"))
    if delete:
        await session.delete()
    return session.tracking_id


async def test_a_rerun_after_a_crash_before_finalize_sends_once(
    emu: Emulator, alice: Sender, tmp_path: Path
) -> None:
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        left = await _crashed_before_finalize(alice, journal, 0)
        await _crashed_before_finalize(alice, journal, 1, delete=True)
    assert open_sessions(emu) == [left]
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        results = await alice.send_many([job(0), job(1), job(2)], journal=journal)
        assert all(isinstance(r, SendResult) and not r.from_journal for r in results)
        record = await journal.get("job-0")
    assert record is not None and record.outcome is not None
    assert record.outcome.tracking_id != left and not record.outcome.adopted
    assert open_sessions(emu) == []  # the leftover session was deleted
    exactly_once(emu, 3)


async def test_a_rerun_after_a_crash_after_finalize_adopts(
    emu: Emulator, alice: Sender, tmp_path: Path
) -> None:
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        await journal.claim("job-0", lease=60)
        session = await alice.create_session(to=[BOB], name="Alice", phone="+49 1")
        await journal.record_tracking_id("job-0", session.tracking_id)
        await session.upload(BytesSource(content(0), name="job-0.bin"))
        await session.finalize()
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        results = await alice.send_many([job(0), job(1)], journal=journal)
        record = await journal.get("job-0")
    adopted = results[0]
    assert isinstance(adopted, SendResult) and adopted.from_journal
    assert adopted.tracking_id == session.tracking_id and adopted.files == ()
    assert record is not None and record.outcome is not None and record.outcome.adopted
    exactly_once(emu, 2)


class CrashingJournal:
    """A journal whose process "dies" at one point of one job."""

    def __init__(self, inner: SQLiteJournal, key: str, point: str) -> None:
        self._inner, self._key, self._point = inner, key, point

    async def claim(self, key: str, *, lease: float) -> JournalRecord | None:
        return await self._inner.claim(key, lease=lease)

    async def record_tracking_id(self, key: str, tracking_id: str) -> None:
        await self._inner.record_tracking_id(key, tracking_id)

    async def record_outcome(self, key: str, outcome: JobOutcome) -> None:
        if key == self._key and self._point == "before outcome":
            raise Crash
        await self._inner.record_outcome(key, outcome)
        if key == self._key and self._point == "after outcome":
            raise Crash

    async def release(self, key: str) -> None:
        await self._inner.release(key)

    async def get(self, key: str) -> JournalRecord | None:
        return await self._inner.get(key)


@pytest.mark.parametrize("point", ["before outcome", "after outcome"])
async def test_a_crash_around_the_outcome_is_resolved(
    emu: Emulator, alice: Sender, tmp_path: Path, point: str
) -> None:
    jobs = [job(n) for n in range(4)]
    async with SQLiteJournal(tmp_path / "j.db") as inner:
        with pytest.raises(Crash):
            await alice.send_many(jobs, journal=CrashingJournal(inner, "job-1", point))
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        results = await alice.send_many(jobs, journal=journal)
    assert all(isinstance(r, SendResult) for r in results)
    resumed = results[1]
    assert isinstance(resumed, SendResult) and resumed.from_journal
    exactly_once(emu, 4)
    assert open_sessions(emu) == []


async def test_an_unresolvable_status_fails_the_job_and_sends_nothing(
    emu: Emulator, alice: Sender, tmp_path: Path
) -> None:
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        await _crashed_before_finalize(alice, journal, 0)
    emu.add_fault(FaultRule(method="GET", path="*/transfers/*", status=500))
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        results = await alice.send_many([job(0), job(1)], journal=journal)
        assert isinstance(results[0], Exception) and isinstance(results[1], SendResult)
        record = await journal.get("job-0")
        assert record is not None and record.outcome is None  # left for the next run
    assert transfers_by_file(emu) == {"job-1.bin": 1}
    emu.clear_faults()
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        await alice.send_many([job(0), job(1)], journal=journal)
    exactly_once(emu, 2)


async def test_a_job_claimed_elsewhere_is_left_alone(
    emu: Emulator, alice: Sender, tmp_path: Path
) -> None:
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        await journal.claim("job-0", lease=60)  # another task of this worker holds it
        results = await alice.send_many([job(0), job(1)], journal=journal)
    assert isinstance(results[0], JournalError)
    assert transfers_by_file(emu) == {"job-1.bin": 1}


async def test_the_journal_holds_no_secret(emu: Emulator, alice: Sender, tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    settings = {"password_mode": PasswordMode.MANUAL, "password": SECRET}
    async with SQLiteJournal(path) as journal:
        await alice.send_many([job(0, settings=settings)], journal=journal)
    stored = b"".join([p.read_bytes() for p in tmp_path.glob("j.db*")])  # noqa: ASYNC240
    assert b"job-0" in stored
    for secret in (SECRET, emu.client_id):
        assert secret.encode() not in stored


# ---------------------------------------------------------------- journal: kill -9

_BATCH = """
import asyncio, os, sys
from cryptshare_async import (
    BytesSource, CryptshareClient, FileTokenStore, SendJob, SQLiteJournal
)

async def main() -> None:
    url, path, tokens, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    jobs = [
        SendJob(f"job-{n}", [BytesSource(bytes([n % 256]) * (10_000 + n), name=f"job-{n}.bin")],
                to=["bob@example.org"], name="Alice", phone="+49 1")
        for n in range(count)
    ]
    store = FileTokenStore(tokens)
    cid = os.environ["CS_CLIENT_ID"]
    async with CryptshareClient(url, client_id=cid, token_store=store) as client:
        async with SQLiteJournal(path) as journal:
            await client.sender("alice@example.com").send_many(jobs, journal=journal)
    print("finished", flush=True)

asyncio.run(main())
"""


@pytest.mark.parametrize("after_requests", [4, 20, 45])
async def test_a_batch_killed_with_sigkill_resumes_exactly_once(
    emu: Emulator, tmp_path: Path, after_requests: int
) -> None:
    """The resumed process shares the token store: a session can only be deleted with
    the token that created it, and the leftover sessions must go."""
    count = 12
    path, tokens = tmp_path / "j.db", tmp_path / "tokens.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CS_CLIENT_ID": emu.client_id}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _BATCH,
        emu.url,
        str(path),
        str(tokens),
        str(count),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    try:
        async with asyncio.timeout(30):
            while len(requests_sent(emu)) < after_requests:  # noqa: ASYNC110
                await asyncio.sleep(0.001)
    finally:
        child.send_signal(signal.SIGKILL)
        output, _ = await child.communicate()
    assert b"finished" not in output  # killed mid-batch
    jobs = [
        SendJob(
            f"job-{n}",
            [BytesSource(content(n), name=f"job-{n}.bin")],
            to=[BOB],
            name="Alice",
            phone="+49 1",
        )
        for n in range(count)
    ]
    store = FileTokenStore(tokens)
    async with (
        CryptshareClient(emu.url, client_id=emu.client_id, token_store=store) as client,
        SQLiteJournal(path) as journal,
    ):
        results = await client.sender(ALICE).send_many(jobs, journal=journal)
    assert all(isinstance(r, SendResult) for r in results), results
    exactly_once(emu, count)
    # A create whose answer the kill cut off may leave an empty session (it expires);
    # nothing with content is left.
    assert all(not emu.store.sessions[t].files for t in open_sessions(emu))


async def test_cancelling_the_batch_leaves_no_session(
    emu: Emulator, alice: Sender, tmp_path: Path
) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", delay=20))
    jobs = [job(n) for n in range(6)]
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        task = asyncio.create_task(alice.send_many(jobs, journal=journal, concurrency=3))
        async with asyncio.timeout(10):
            while len(emu.fired_faults) < 3:  # noqa: ASYNC110 - three uploads in flight
                await asyncio.sleep(0.005)
        task.cancel()
        async with asyncio.timeout(10):
            with pytest.raises(asyncio.CancelledError):
                await task
        claimed = [await journal.claim(f"job-{n}", lease=60) for n in range(6)]
    assert all(record is not None for record in claimed)  # every claim was released
    assert open_sessions(emu) == [] and emu.store.transfers == {}


async def test_an_empty_batch_sends_nothing(emu: Emulator, alice: Sender) -> None:
    assert await alice.send_many([]) == []
    assert requests_sent(emu) == []


def test_a_job_refuses_a_single_source_given_bare() -> None:
    with pytest.raises(InvalidInputError, match="a list"):
        SendJob("j", "report.pdf", to=[BOB], name="A", phone="1")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="a list"):
        SendJob("j", [b"x"], to="bob@example.org", name="A", phone="1")  # type: ignore[arg-type]


async def test_nothing_is_left_running_after_a_batch(
    emu: Emulator, client: CryptshareClient, tmp_path: Path
) -> None:
    jobs = [job(0), SendJob("job-1", [_broken_source(1)], to=[BOB], name="A", phone="1")]
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        await client.sender(ALICE).send_many(jobs, journal=journal, concurrency=2)
    await assert_nothing_left(client)


async def test_a_leftover_session_of_another_token_is_reported_and_left(
    emu: Emulator, alice: Sender, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        CryptshareClient(emu.url, client_id=emu.client_id) as crashed,
        SQLiteJournal(tmp_path / "j.db") as journal,
    ):
        left = await _crashed_before_finalize(crashed.sender(ALICE), journal, 0)
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        jobs = [job(n) for n in range(4)]
        results = await alice.send_many(jobs, journal=journal, concurrency=4)
    assert all(isinstance(r, SendResult) for r in results), results
    assert "another verification token" in caplog.text and left in caplog.text
    assert open_sessions(emu) == [left]  # never finalized: it expires
    exactly_once(emu, 4)

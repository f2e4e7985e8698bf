"""The arq fleet: the producer, error mapping, and the fleet itself: 3 worker processes,
300 jobs, the emulator, one worker killed with ``kill -9`` mid-run; every job is sent
exactly once (the emulator's transfers), and one token is requested per sender."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from arq import Retry, create_pool
from arq.connections import ArqRedis, RedisSettings
from yarl import URL

from cryptshare_async import (
    BytesSource,
    ConfigurationError,
    CryptshareClient,
    InvalidInputError,
    JobHeldError,
    NotFoundError,
    PasswordMode,
    RetryPolicy,
    SendJob,
    ServerError,
    StreamSource,
    TransportError,
)
from cryptshare_async.contrib.arq import (
    FUNCTION_NAME,
    QueuedSend,
    enqueue_sends,
    is_transient,
    retry_delay,
    send_transfer,
    worker_settings,
)
from cryptshare_async.contrib.redis import RedisJournal, RedisTokenStore
from cryptshare_async.testing import Emulator, EmulatorConfig, FaultRule

ROOT = Path(__file__).resolve().parents[2]
ALICE = "alice@example.com"
CAROL = "carol@example.com"
BOB = "bob@example.org"


def settings_of(redis_url: str) -> RedisSettings:
    url = URL(redis_url)
    assert url.host is not None and url.port is not None
    return RedisSettings(host=url.host, port=url.port)


@pytest.fixture
async def pool(redis_url: str) -> AsyncIterator[ArqRedis]:
    redis = await create_pool(settings_of(redis_url))
    try:
        yield redis
    finally:
        await redis.aclose()


def job(n: int, **settings: Any) -> SendJob:
    source = BytesSource(f"slip {n}".encode(), name=f"slip-{n:03}.txt")
    return SendJob(f"slip-{n}", [source], to=[BOB], name="Payroll", phone="1", settings=settings)


async def test_enqueue_checks_the_batch_and_queues_each_job_once(pool: ArqRedis) -> None:
    queue, batch = f"q-{uuid.uuid4().hex}", f"b-{uuid.uuid4().hex}"
    jobs = [job(n) for n in range(3)]
    ids = await enqueue_sends(pool, jobs, sender=ALICE, journal=batch, queue_name=queue)
    assert ids == [f"cryptshare:{batch}:slip-{n}" for n in range(3)]
    assert await pool.zcard(queue) == 3
    again = await enqueue_sends(
        pool, [*jobs, job(3)], sender=ALICE, journal=batch, queue_name=queue
    )
    assert again == [f"cryptshare:{batch}:slip-3"]
    [queued] = [j for j in await pool.queued_jobs(queue_name=queue) if j.job_id == ids[0]]
    assert queued.function == FUNCTION_NAME
    [payload] = queued.args
    assert payload == QueuedSend(ALICE, batch, jobs[0])
    assert repr(payload) == f"QueuedSend({batch!r}, 'slip-0')"  # arq logs it: no addresses


async def _stream() -> AsyncIterator[bytes]:
    yield b"x"


@pytest.mark.parametrize(
    ("jobs", "kwargs", "error", "message"),
    [
        ([job(1, password="hunter2-secret")], {}, InvalidInputError, "password"),
        (
            [
                SendJob(
                    "s", [StreamSource(_stream(), size=1, name="s")], to=[BOB], name="n", phone="1"
                )
            ],
            {},
            InvalidInputError,
            "cannot travel",
        ),
        ([job(1), job(1)], {}, InvalidInputError, "appears twice"),
        (
            [SendJob("k", [BytesSource(b"x")], to=[BOB], name="n", phone="1")],
            {},
            InvalidInputError,
            "name",
        ),
        ([job(1)], {"sender": "not an address"}, InvalidInputError, "sender email"),
        ([job(1)], {"journal": "has space"}, ConfigurationError, "journal name"),
    ],
)
async def test_enqueue_refuses_bad_batches_before_queueing_anything(
    pool: ArqRedis,
    jobs: list[SendJob],
    kwargs: dict[str, str],
    error: type[Exception],
    message: str,
) -> None:
    queue = f"q-{uuid.uuid4().hex}"
    options = {"sender": ALICE, "journal": "b", **kwargs}
    with pytest.raises(error, match=message) as caught:
        await enqueue_sends(pool, jobs, queue_name=queue, **options)
    assert "hunter2" not in str(caught.value)
    assert await pool.zcard(queue) == 0


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (TransportError("connection reset"), True),
        (
            ServerError(status=503, error_code=None, error_message="busy", method="POST", path="/"),
            True,
        ),
        (JobHeldError("held"), True),
        (InvalidInputError("bad"), False),
        (
            NotFoundError(status=404, error_code=None, error_message="x", method="GET", path="/"),
            False,
        ),
        (ValueError("a bug"), False),
    ],
)
def test_failures_are_sorted_into_transient_and_permanent(
    error: Exception, transient: bool
) -> None:
    assert is_transient(error) is transient


def test_retry_delays_grow_and_are_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [5.0, 10.0, 20.0]
    assert retry_delay(50) == 300.0


async def test_the_job_function_sends_once_and_maps_errors(tmp_path: Path, pool: ArqRedis) -> None:
    config = EmulatorConfig(processing_seconds=0.0, storage_dir=tmp_path / "emu")
    batch = f"b-{uuid.uuid4().hex}"
    async with Emulator(config) as emu:
        settings = worker_settings(
            lambda redis: CryptshareClient(
                emu.url,
                client_id=emu.client_id,
                token_store=RedisTokenStore(redis, prefix=f"tok-{batch}:"),
                retry=RetryPolicy(max_attempts=1),
            ),
            lease=5,
        )
        ctx: dict[Any, Any] = {"redis": pool, "job_try": 1}
        await settings["on_startup"](ctx)
        client = ctx["cryptshare_client"]
        try:
            queued = QueuedSend(ALICE, batch, job(1, password_mode=PasswordMode.GENERATED))
            first = await send_transfer(ctx, queued)
            assert await send_transfer(ctx, queued) == first  # arq ran it twice: sent once
            assert list(emu.store.transfers) == [first]
            # held by another (live) worker: retried after the lease
            async with RedisJournal(pool, batch) as other:
                await other.claim("slip-2", lease=30)
                with pytest.raises(Retry) as retry:
                    await send_transfer(ctx, QueuedSend(ALICE, batch, job(2)))
                assert retry.value.defer_score == 5000
            # a permanent failure is raised as it is (arq records the job failed)
            missing = SendJob("m", [tmp_path / "missing.pdf"], to=[BOB], name="n", phone="1")
            with pytest.raises(InvalidInputError):
                await send_transfer(ctx, QueuedSend(ALICE, batch, missing))
            # a transient one is retried later
            emu.add_fault(
                FaultRule(method="POST", path="/api/users/*/transfer-sessions", status=503)
            )
            with pytest.raises(Retry) as retry:
                await send_transfer(ctx, QueuedSend(ALICE, batch, job(3)))
            assert retry.value.defer_score == 5000
            emu.clear_faults()
            assert await send_transfer(ctx, QueuedSend(ALICE, batch, job(3)))
        finally:
            await settings["on_shutdown"](ctx)
        assert client.closed
        assert "cryptshare_client" not in ctx


def test_worker_settings_refuse_bad_options() -> None:
    with pytest.raises(ConfigurationError, match="callable"):
        worker_settings(3)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="lease"):
        worker_settings(lambda r: r, lease=0)  # type: ignore[arg-type, return-value]
    with pytest.raises(ConfigurationError, match="functions"):
        worker_settings(lambda r: r, functions=[])  # type: ignore[arg-type, return-value]


_WORKER = """
import os, sys
from arq.connections import RedisSettings
from arq.worker import run_worker
from cryptshare_async import CryptshareClient
from cryptshare_async.contrib.arq import worker_settings
from cryptshare_async.contrib.redis import RedisTokenStore

url, port, prefix, queue = sys.argv[1:]

def make_client(redis):
    store = RedisTokenStore(redis, prefix=prefix)
    return CryptshareClient(url, client_id=os.environ["FLEET_CLIENT_ID"], token_store=store)

run_worker(worker_settings(
    make_client, redis_settings=RedisSettings(host="127.0.0.1", port=int(port)),
    lease=2, queue_name=queue, max_jobs=10, job_timeout=8, poll_delay=0.1, keep_result=120,
))
"""


async def _wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_a_fleet_sends_every_job_exactly_once_when_a_worker_is_killed(
    tmp_path: Path, redis_url: str, pool: ArqRedis
) -> None:
    total = 300
    queue, batch, prefix = (f"{what}-{uuid.uuid4().hex}" for what in ("q", "b", "tok"))
    config = EmulatorConfig(processing_seconds=0.0, storage_dir=tmp_path / "emu")
    async with Emulator(config) as emu:
        jobs = [job(n) for n in range(total)]
        for sender, part in ((ALICE, jobs[0::2]), (CAROL, jobs[1::2])):
            await enqueue_sends(pool, part, sender=sender, journal=batch, queue_name=queue)
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path, "FLEET_CLIENT_ID": emu.client_id}
        port = str(URL(redis_url).port)

        async def spawn() -> asyncio.subprocess.Process:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _WORKER,
                emu.url,
                port,
                prefix + ":",
                queue,
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )

        # The worker to be killed starts alone, and its first uploads stall on the
        # emulator: when the kill comes, with all three workers running, it surely holds
        # jobs mid-run (sessions made, content on the way), which the other workers must
        # then finish exactly once.
        emu.add_fault(FaultRule(method="PUT", path="*/content", delay=20, times=5))
        workers = [await spawn()]
        try:

            async def uploads_stalled() -> bool:
                return sum(r.method == "PUT" for r in emu.requests) >= 3

            await _wait_for(uploads_stalled, 40, "the first worker's uploads")
            workers += [await spawn(), await spawn()]

            async def some_sent() -> bool:
                return len(emu.store.transfers) >= total // 5

            await _wait_for(some_sent, 40, "the first transfers")
            workers[0].send_signal(signal.SIGKILL)
            assert await workers[0].wait() == -signal.SIGKILL

            async def all_done() -> bool:
                return await pool.zcard(queue) == 0

            await _wait_for(all_done, 50, "the queue to empty")
        finally:
            for worker in workers[1:]:
                if worker.returncode is None:
                    worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    await asyncio.wait_for(worker.wait(), 15)
                except TimeoutError:
                    worker.kill()
                    await worker.wait()
        # every job sent exactly once, as the emulator holds it
        sent = Counter(f.name for t in emu.store.transfers.values() for f in t.files.values())
        assert sent == Counter({f"slip-{n:03}.txt": 1 for n in range(total)})
        # one verification token per sender, for the whole fleet
        asked = Counter(r.path for r in emu.requests if r.path.endswith("/verification/token"))
        assert asked == Counter({f"/api/users/{s}/verification/token": 1 for s in (ALICE, CAROL)})
        # every job's outcome in the journal names a transfer the emulator holds
        async with RedisJournal(pool, batch) as journal:
            outcomes = [await journal.get(j.key) for j in jobs]
        assert all(r is not None and r.outcome is not None for r in outcomes)
        tracking_ids = {r.outcome.tracking_id for r in outcomes if r and r.outcome}
        assert tracking_ids == set(emu.store.transfers)
        # the kill was mid-run: some job of the dead worker was run again by another
        results = [
            r for r in await pool.all_job_results() if r.job_id.startswith(f"cryptshare:{batch}:")
        ]
        assert len(results) == total and all(r.success for r in results)
        assert any(r.job_try > 1 for r in results)

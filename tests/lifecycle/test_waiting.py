"""The wait loop over an injected status source, clock and sleep (no HTTP)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Sequence
from typing import Any

import pytest

from cryptshare_async import (
    InvalidInputError,
    TransferFailedError,
    TransferState,
    WaitTimeoutError,
)
from cryptshare_async._models import (
    FileStatus,
    SessionFile,
    SessionState,
    StatusDetails,
    TransferStatus,
)
from cryptshare_async._transfer import Transfer
from cryptshare_async._waiting import DEFAULT_INTERVAL, DEFAULT_MAX_INTERVAL, poll_until_active


def status(state: TransferState | None, *files: FileStatus) -> TransferStatus:
    return TransferStatus(
        transfer=SessionState(
            files=(SessionFile(id="f1", file_name="virus.txt"), SessionFile(id="f2"))
        ),
        status=StatusDetails(state=state, files=files or None),
    )


class Script:
    """Returns scripted statuses; a fake clock advances only when the poller sleeps."""

    def __init__(self, states: Sequence[TransferStatus]) -> None:
        self.states = list(states)
        self.reads = 0
        self.now = 0.0
        self.sleeps: list[float] = []

    async def read(self) -> TransferStatus:
        self.reads += 1
        assert self.reads < 1000
        return self.states[min(self.reads, len(self.states)) - 1]

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def run(self, **kwargs: Any) -> TransferStatus:
        kwargs.setdefault("timeout", 100.0)
        kwargs.setdefault("interval", 1.0)
        kwargs.setdefault("max_interval", 4.0)
        return await poll_until_active(
            self.read, what="transfer T", clock=self.clock, sleep=self.sleep, **kwargs
        )


PROCESSING = status(TransferState.PROCESSING)
ACTIVE = status(TransferState.ACTIVE)


async def test_returns_the_active_status_after_growing_capped_pauses() -> None:
    script = Script([PROCESSING] * 6 + [ACTIVE])
    assert await script.run() is ACTIVE
    assert script.reads == 7
    assert script.sleeps == [1.0, 1.5, 2.25, 3.375, 4.0, 4.0]


async def test_defaults_poll_soon_and_back_off_to_the_cap() -> None:
    script = Script([PROCESSING] * 14 + [ACTIVE])
    assert await script.run(interval=DEFAULT_INTERVAL, max_interval=DEFAULT_MAX_INTERVAL) is ACTIVE
    assert script.sleeps[0] == DEFAULT_INTERVAL <= 0.25
    assert all(b > a for a, b in zip(script.sleeps[:10], script.sleeps[1:10], strict=False))
    assert script.sleeps[-1] == DEFAULT_MAX_INTERVAL


async def test_the_defaults_are_what_transfer_wait_uses() -> None:
    parameters = inspect.signature(Transfer.wait_until_active).parameters
    assert parameters["interval"].default == DEFAULT_INTERVAL
    assert parameters["max_interval"].default == DEFAULT_MAX_INTERVAL


async def test_already_active_returns_without_sleeping() -> None:
    script = Script([ACTIVE])
    assert await script.run() is ACTIVE
    assert script.sleeps == []


async def test_on_update_sees_each_new_state_once_sync() -> None:
    seen: list[TransferState | None] = []
    script = Script([PROCESSING, PROCESSING, status(None), ACTIVE])
    await script.run(on_update=lambda s: seen.append(s.state))
    assert seen == [TransferState.PROCESSING, None, TransferState.ACTIVE]


async def test_on_update_may_be_async() -> None:
    seen: list[TransferState | None] = []

    async def record(s: TransferStatus) -> None:
        await asyncio.sleep(0)
        seen.append(s.state)

    await Script([PROCESSING, ACTIVE]).run(on_update=record)
    assert seen == [TransferState.PROCESSING, TransferState.ACTIVE]


async def test_on_update_raising_ends_the_wait() -> None:
    def boom(_: TransferStatus) -> None:
        raise RuntimeError("callback failed")

    script = Script([PROCESSING, ACTIVE])
    with pytest.raises(RuntimeError, match="callback failed"):
        await script.run(on_update=boom)
    assert script.reads == 1


async def test_failed_raises_with_each_removed_file_and_cause() -> None:
    failed = status(
        TransferState.FAILED,
        FileStatus(id="f1", removed=True, removal_cause="a virus was found"),
        FileStatus(id="f2", removed=True, removal_cause="type not allowed"),
    )
    with pytest.raises(TransferFailedError) as caught:
        await Script([PROCESSING, failed]).run()
    error = caught.value
    assert error.status is failed
    assert [(f.id, f.removal_cause) for f in error.removed_files] == [
        ("f1", "a virus was found"),
        ("f2", "type not allowed"),
    ]
    assert "'virus.txt' (f1): a virus was found" in str(error)
    assert "'f2': type not allowed" in str(error)


@pytest.mark.parametrize(
    "state",
    [
        TransferState.DELETED_BY_REVOCATION,
        TransferState.DELETED_BY_EXPIRATION,
        TransferState.DELETED_BY_ADMIN,
        TransferState.DELETED_BY_SECURITY,
    ],
)
async def test_every_deleted_state_raises(state: TransferState) -> None:
    with pytest.raises(TransferFailedError, match=state.value) as caught:
        await Script([status(state)]).run()
    assert caught.value.status.state is state


async def test_unknown_state_raises_rather_than_waiting_forever() -> None:
    with pytest.raises(TransferFailedError, match="does not know"):
        await Script([status(TransferState.UNKNOWN)]).run()


async def test_pending_keeps_waiting() -> None:
    script = Script([status(TransferState.PENDING), ACTIVE])
    assert await script.run() is ACTIVE


async def test_timeout_carries_the_last_status_and_never_sleeps_past_the_deadline() -> None:
    script = Script([PROCESSING])
    with pytest.raises(WaitTimeoutError) as caught:
        await script.run(timeout=10.0, interval=3.0, max_interval=3.0)
    assert caught.value.last_status is PROCESSING
    assert isinstance(caught.value, TimeoutError)
    assert sum(script.sleeps) == pytest.approx(10.0)
    assert script.sleeps[-1] == pytest.approx(1.0)
    assert "last state PROCESSING" in str(caught.value)


async def test_timeout_bounds_a_hanging_status_read() -> None:
    async def hang() -> TransferStatus:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    with pytest.raises(WaitTimeoutError) as caught:
        await poll_until_active(hang, what="transfer T", timeout=0.05)
    assert caught.value.last_status is None
    assert "no status could be read" in str(caught.value)


async def test_a_timeout_error_from_the_read_itself_is_not_a_wait_timeout() -> None:
    async def transport_timeout() -> TransferStatus:
        raise TimeoutError("read timed out")

    with pytest.raises(TimeoutError, match="read timed out") as caught:
        await poll_until_active(transport_timeout, what="transfer T", timeout=100)
    assert not isinstance(caught.value, WaitTimeoutError)


async def test_no_timeout_waits_until_active() -> None:
    script = Script([PROCESSING] * 3 + [ACTIVE])
    assert await script.run(timeout=None) is ACTIVE


async def test_cancellation_leaves_no_task_behind() -> None:
    reading = asyncio.Event()

    async def slow() -> TransferStatus:
        reading.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    before = asyncio.all_tasks()
    waiter = asyncio.create_task(poll_until_active(slow, what="transfer T", timeout=None))
    await reading.wait()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert waiter.cancelled()
    assert asyncio.all_tasks() == before


async def test_cancellation_during_the_pause() -> None:
    script_sleeping = asyncio.Event()

    async def read() -> TransferStatus:
        return PROCESSING

    async def sleep(seconds: float) -> None:
        script_sleeping.set()
        await asyncio.sleep(3600)

    waiter = asyncio.create_task(
        poll_until_active(read, what="transfer T", timeout=None, sleep=sleep)
    )
    await script_sleeping.wait()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": 0},
        {"timeout": -1},
        {"timeout": float("nan")},
        {"interval": 0},
        {"interval": float("inf")},
        {"max_interval": True},
        {"interval": 5.0, "max_interval": 1.0},
        {"timeout": "10"},
    ],
)
async def test_invalid_settings_are_rejected_before_any_read(kwargs: dict[str, Any]) -> None:
    script = Script([ACTIVE])
    with pytest.raises(InvalidInputError):
        await script.run(**kwargs)
    assert script.reads == 0

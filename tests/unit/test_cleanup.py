"""The client's clean-up registry: bounded waits, background tasks, recorded failures."""

from __future__ import annotations

import asyncio

import pytest

from cryptshare_async import CleanupFailure
from cryptshare_async._cleanup import Cleanups


class _Remover:
    def __init__(self, delay: float = 0.0, error: Exception | None = None) -> None:
        self.delay = delay
        self.error = error
        self.removed: list[str] = []

    async def __call__(self, file_id: str) -> None:
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        self.removed.append(file_id)


async def test_a_quick_cleanup_is_waited_for() -> None:
    cleanups = Cleanups(grace=1.0)
    remove = _Remover()
    task = cleanups.remove_file("t1", "f1", remove)
    assert await cleanups.wait(task) is False
    assert remove.removed == ["f1"]
    assert cleanups.pending == 0
    assert cleanups.failures == ()


async def test_a_slow_cleanup_goes_on_in_the_background_until_aclose() -> None:
    cleanups = Cleanups(grace=0.05, close_timeout=5)
    remove = _Remover(delay=0.3)
    task = cleanups.remove_file("t1", "f1", remove)
    assert await cleanups.wait(task) is False
    assert not task.done() and cleanups.pending == 1
    await cleanups.aclose()
    assert remove.removed == ["f1"]
    assert cleanups.failures == ()


async def test_aclose_also_awaits_cleanups_started_meanwhile() -> None:
    cleanups = Cleanups(grace=0, close_timeout=5)
    remove = _Remover(delay=0.1)
    cleanups.remove_file("t1", "f1", remove)

    async def late() -> None:
        await asyncio.sleep(0.05)
        cleanups.remove_file("t1", "f2", remove)

    starter = asyncio.create_task(late())
    await cleanups.aclose()
    await starter
    assert sorted(remove.removed) == ["f1", "f2"]


@pytest.mark.parametrize("close_timeout", [0, 0.05])
async def test_cleanups_left_at_close_are_cancelled_and_recorded(
    close_timeout: float, caplog: pytest.LogCaptureFixture
) -> None:
    cleanups = Cleanups(grace=0, close_timeout=close_timeout)
    cleanups.remove_file("t1", "f1", _Remover(delay=10))  # cancelled before or after it starts
    await cleanups.aclose()
    assert cleanups.failures == (CleanupFailure("file", "t1", "f1", "TimeoutError"),)
    assert "file f1 of transfer session t1 was given up" in caplog.text


async def test_a_failed_cleanup_is_recorded_with_its_error_type_only() -> None:
    cleanups = Cleanups()
    task = cleanups.remove_file("t1", "f1", _Remover(error=RuntimeError("secret-ish text")))
    await cleanups.wait(task)
    assert task.result() == CleanupFailure("file", "t1", "f1", "RuntimeError")
    assert "secret" not in repr(cleanups.failures)


async def test_undo_late_undoes_a_request_that_succeeded_after_all() -> None:
    cleanups = Cleanups(grace=1.0)
    undone: list[str] = []

    async def request() -> str:
        await asyncio.sleep(0.05)
        return "new-id"

    async def undo(tracking_id: str) -> None:
        undone.append(tracking_id)

    task = cleanups.undo_late("session", asyncio.ensure_future(request()), undo)
    await cleanups.wait(task)
    assert undone == ["new-id"]

    async def failing() -> str:
        raise LookupError("never created")

    task = cleanups.undo_late("session", asyncio.ensure_future(failing()), undo)
    await cleanups.wait(task)
    assert undone == ["new-id"]  # nothing to undo, and no failure
    assert cleanups.failures == ()

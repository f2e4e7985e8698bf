"""The client's clean-up registry: bounded waits, background tasks, recorded failures."""

from __future__ import annotations

import asyncio

import pytest

from cryptshare_async import CleanupFailure, _cleanup
from cryptshare_async._cleanup import CLEANUP_ATTEMPTS, Cleanups
from cryptshare_async._errors import (
    ApiVersionUnsupportedError,
    BadRequestError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ResponseParseError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
)


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


# ---------------------------------------------------------------- transient failures


def _api(kind: type[Exception], status: int, retry_after: float | None = None) -> Exception:
    return kind(
        status=status,
        error_code=None,
        error_message="",
        method="DELETE",
        path="/api/x",
        retry_after=retry_after,
    )


class _Flaky:
    """Fails with each of ``errors`` in turn, then removes."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.removed: list[str] = []

    async def __call__(self, file_id: str) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.removed.append(file_id)


@pytest.fixture
def quick_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_cleanup, "_PAUSE", 0.001)


def _transient_errors() -> list[Exception]:
    return [
        _api(ServerError, 500),
        _api(RateLimitedError, 429, retry_after=0.01),
        TransportError("connection reset"),
        RequestTimeoutError("no answer"),
        MalformedResponseError("truncated"),
        ResponseParseError("garbled"),
    ]


@pytest.mark.parametrize("error", _transient_errors(), ids=lambda e: type(e).__name__)
async def test_a_cleanup_rides_out_a_transient_failure(
    error: Exception, quick_pauses: None
) -> None:
    cleanups = Cleanups(grace=5)
    remove = _Flaky(error, error)
    task = cleanups.remove_file("t1", "f1", remove)
    assert await cleanups.wait(task) is False
    assert remove.removed == ["f1"] and remove.calls == 3
    assert cleanups.failures == ()


async def test_a_cleanup_that_keeps_failing_is_recorded_after_its_attempts(
    quick_pauses: None,
) -> None:
    cleanups = Cleanups(grace=10)
    remove = _Flaky(*[_api(ServerError, 500) for _ in range(CLEANUP_ATTEMPTS + 2)])
    task = cleanups.remove_file("t1", "f1", remove)
    await cleanups.wait(task)
    assert remove.calls == CLEANUP_ATTEMPTS and remove.removed == []
    assert cleanups.failures == (CleanupFailure("file", "t1", "f1", "ServerError"),)


@pytest.mark.parametrize(
    "error",
    [
        _api(BadRequestError, 400),
        ResponseTooLargeError("big", limit=1),
        LookupError("a bug"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_a_cleanup_does_not_repeat_a_lasting_failure(error: Exception) -> None:
    cleanups = Cleanups(grace=5)
    remove = _Flaky(error)
    task = cleanups.remove_file("t1", "f1", remove)
    await cleanups.wait(task)
    assert remove.calls == 1
    assert [f.error for f in cleanups.failures] == [type(error).__name__]


async def test_a_file_the_server_no_longer_has_counts_as_removed() -> None:
    cleanups = Cleanups(grace=5)
    remove = _Flaky(_api(NotFoundError, 404))
    task = cleanups.remove_file("t1", "f1", remove)
    await cleanups.wait(task)
    assert remove.calls == 1 and cleanups.failures == ()


async def test_an_unsupported_api_version_is_no_removal() -> None:
    cleanups = Cleanups(grace=5)
    remove = _Flaky(_api(ApiVersionUnsupportedError, 404))
    task = cleanups.remove_file("t1", "f1", remove)
    await cleanups.wait(task)
    assert [f.error for f in cleanups.failures] == ["ApiVersionUnsupportedError"]

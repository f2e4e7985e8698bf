"""Waiting for a finalized transfer to become active.

The wait is a plain loop in the caller's task: read the status, stop if the state is
final, sleep, read again. The first read is immediate; the first pause is short
(``DEFAULT_INTERVAL``, 0.25 s: a transfer often needs well under a second of
processing, and a batch of waits is only as fast as its slowest poll) and grows by half
each time up to ``max_interval`` (15 s), so a long wait costs the server few reads.
Nothing runs in the background, so cancelling the awaiting task cancels the pending read
or sleep and leaves nothing behind.

Outcomes:

* ``ACTIVE``: the status is returned.
* ``FAILED`` (every file removed during processing) or any ``DELETED_BY_*`` state:
  :class:`~cryptshare_async.TransferFailedError`, carrying the status and each removed
  file with its ``removal_cause``. A state this library does not know (``UNKNOWN``)
  raises it too, rather than waiting for a state that may never come.
* The timeout passes first: :class:`~cryptshare_async.WaitTimeoutError` with the last
  status read. The deadline also bounds a status read that is in progress.

A status read that fails transiently (connection error, read timeout, 5xx, 429, an
unparsable body) does not end the wait: it is read again after the next pause, until
a final state or the deadline (the timeout error then says what the last failure was).
Other errors (not found, a rejected token) end it at once.

Example::

    status = await wait_until_active(alice, "20240522-065711-H8UoUSI6", timeout=300)
"""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from ._enums import TransferState
from ._errors import (
    InvalidInputError,
    RateLimitedError,
    ResponseParseError,
    ServerError,
    TransferFailedError,
    TransportError,
    WaitTimeoutError,
)
from ._models import TransferStatus

if TYPE_CHECKING:
    from ._sender import Sender

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_MAX_INTERVAL",
    "DEFAULT_TIMEOUT",
    "OnUpdate",
    "poll_until_active",
    "wait_until_active",
]

DEFAULT_TIMEOUT: Final = 600.0
DEFAULT_INTERVAL: Final = 0.25
DEFAULT_MAX_INTERVAL: Final = 15.0
GROWTH: Final = 1.5

#: Called with each status whose state differs from the previous one; may be async.
#: An exception it raises ends the wait and propagates.
OnUpdate = Callable[[TransferStatus], object]


def _check_number(name: str, value: object, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value <= 0
    ):
        allowed = "None or " if allow_none else ""
        raise InvalidInputError(f"{name} must be {allowed}a finite number > 0, got {value!r}")


def _check_settings(timeout: float | None, interval: float, max_interval: float) -> None:
    _check_number("timeout", timeout, allow_none=True)
    _check_number("interval", interval)
    _check_number("max_interval", max_interval)
    if max_interval < interval:
        raise InvalidInputError(
            f"max_interval ({max_interval}) must not be smaller than interval ({interval})"
        )


def _file_label(status: TransferStatus, file_id: str | None) -> str:
    files = status.transfer.files if status.transfer is not None else None
    for file in files or ():
        if file.id == file_id and file.file_name:
            return f"{file.file_name!r} ({file_id})"
    return repr(file_id)


def _failure(what: str, status: TransferStatus) -> TransferFailedError | None:
    """The error for a final state other than ``ACTIVE``; ``None`` to keep waiting."""
    state = status.state
    if state is None or state is TransferState.ACTIVE or not state.is_final:
        return None
    if state is TransferState.FAILED:
        causes = "; ".join(
            f"{_file_label(status, f.id)}: {f.removal_cause or 'no cause given'}"
            for f in status.removed_files
        )
        detail = f": {causes}" if causes else ""
        return TransferFailedError(
            f"{what} failed: its files were removed during processing{detail}", status=status
        )
    if state.is_deleted:
        return TransferFailedError(
            f"{what} is {state.value} and will not become active", status=status
        )
    raw_state = status.status.raw.get("state") if status.status is not None else None
    return TransferFailedError(
        f"{what} is in state {raw_state or state.value!r}, which this library does not know;"
        " it is not ACTIVE",
        status=status,
    )


async def poll_until_active(
    read_status: Callable[[], Awaitable[TransferStatus]],
    *,
    what: str,
    timeout: float | None = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the issue fixes this name
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    on_update: OnUpdate | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> TransferStatus:
    """The polling loop behind :func:`wait_until_active`, over any status source.

    ``what`` names the transfer in error messages. ``clock`` and ``sleep`` default to
    the event loop's clock and :func:`asyncio.sleep` (tests inject their own).
    """
    _check_settings(timeout, interval, max_interval)
    now = clock if clock is not None else asyncio.get_running_loop().time
    deadline = None if timeout is None else now() + timeout
    last: TransferStatus | None = None
    seen_state: object = _NOTHING
    delay = interval
    failure: Exception | None = None
    while True:
        try:
            status = await _read_before(deadline, now, read_status, what, timeout, last)
        except TRANSIENT as exc:
            failure = exc
            await _pause(deadline, now, sleep, delay, what, timeout, last, failure)
            delay = min(delay * GROWTH, max_interval)
            continue
        except WaitTimeoutError as exc:
            if failure is None:
                raise
            _note_failure(exc, failure)
            raise exc from failure
        failure = None
        last = status
        if status.state is not seen_state:
            seen_state = status.state
            if on_update is not None:
                result = on_update(status)
                if inspect.isawaitable(result):
                    await result
        if status.state is TransferState.ACTIVE:
            return status
        error = _failure(what, status)
        if error is not None:
            raise error
        await _pause(deadline, now, sleep, delay, what, timeout, last, None)
        delay = min(delay * GROWTH, max_interval)


_NOTHING: Final = object()

#: Status reads failing like this are read again (until the deadline).
TRANSIENT: Final = (TransportError, ServerError, RateLimitedError, ResponseParseError)


async def _pause(
    deadline: float | None,
    now: Callable[[], float],
    sleep: Callable[[float], Awaitable[object]],
    delay: float,
    what: str,
    seconds: float | None,
    last: TransferStatus | None,
    failure: Exception | None,
) -> None:
    """Sleep ``delay`` (at most until the deadline); past it, raise the timeout."""
    if deadline is None:
        await sleep(delay)
        return
    remaining = deadline - now()
    if remaining <= 0:
        error = _timeout(what, seconds, last)
        if failure is not None:
            _note_failure(error, failure)
            raise error from failure
        raise error
    await sleep(min(delay, remaining))


def _note_failure(error: WaitTimeoutError, failure: Exception) -> None:
    error.add_note(
        f"the last status read failed ({type(failure).__name__}); the wait rode it out"
        " until the deadline"
    )


async def _read_before(
    deadline: float | None,
    now: Callable[[], float],
    read_status: Callable[[], Awaitable[TransferStatus]],
    what: str,
    seconds: float | None,
    last: TransferStatus | None,
) -> TransferStatus:
    if deadline is None:
        return await read_status()
    remaining = deadline - now()
    if remaining <= 0:
        raise _timeout(what, seconds, last)
    cm = asyncio.timeout(remaining)
    try:
        async with cm:
            return await read_status()
    except TimeoutError:
        if cm.expired():
            raise _timeout(what, seconds, last) from None
        raise


def _timeout(what: str, timeout: float | None, last: TransferStatus | None) -> WaitTimeoutError:
    state = "no status could be read" if last is None else f"last state {_state_text(last)}"
    return WaitTimeoutError(
        f"{what} did not become active within {timeout:g} s ({state})", last_status=last
    )


def _state_text(status: TransferStatus) -> str:
    return "not reported" if status.state is None else status.state.value


async def wait_until_active(
    sender: Sender,
    tracking_id: str,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the issue fixes this name
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    on_update: OnUpdate | None = None,
    language: str | None = None,
) -> TransferStatus:
    """Wait until the transfer ``tracking_id`` sent by ``sender`` is ``ACTIVE``.

    For callers who stored only the tracking id; the same as
    ``await sender.transfer(tracking_id).wait_until_active(...)``.

    Args:
        timeout: seconds to wait in all (``None``: no limit).
        interval: the first pause between two reads; it grows by half each time...
        max_interval: ...up to this.
        on_update: called (sync or async) with each status whose state is new.
        language: ``Accept-Language`` for the files' ``removal_cause``.

    Raises:
        TransferFailedError: the transfer ended ``FAILED`` or was deleted.
        WaitTimeoutError: ``timeout`` passed first (``last_status`` holds the last read).

    Example::

        status = await wait_until_active(alice, tracking_id, timeout=120, on_update=print)
    """
    return await sender.transfer(tracking_id).wait_until_active(
        timeout=timeout,
        interval=interval,
        max_interval=max_interval,
        on_update=on_update,
        language=language,
    )

"""Progress callbacks: sync or async, called with ``(bytes_sent, total)``, throttled.

Example::

    def on_progress(sent: int, total: int) -> None:
        print(f"{sent / total:.0%}")

    await session.upload("big.iso", progress=on_progress)
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Final, TypeAlias

__all__ = ["FileProgressCallback", "ProgressCallback", "ProgressReporter"]

ProgressCallback: TypeAlias = Callable[[int, int], Awaitable[None] | None]
#: ``(file_name, sent, total)`` for each file of a batch; may be sync or async.
FileProgressCallback: TypeAlias = Callable[[str, int, int], Awaitable[None] | None]
"""Called with the bytes sent so far and the total; may be a coroutine function.
An exception it raises aborts the upload and propagates unchanged."""

REPORT_EVERY: Final = 1 << 20


class ProgressReporter:
    """Calls the callback at the start, at least every ``every`` bytes, and at the end.

    A retried request starts again from 0: the counts are of the current attempt.
    """

    def __init__(
        self, callback: ProgressCallback, total: int, *, every: int = REPORT_EVERY
    ) -> None:
        self._callback = callback
        self._total = total
        self._every = every
        self._last = -1

    @property
    def total(self) -> int:
        return self._total

    async def report(self, sent: int) -> None:
        if sent != self._total and self._last >= 0 and sent - self._last < self._every:
            return
        if sent == self._last:
            return
        self._last = sent
        result = self._callback(sent, self._total)
        if inspect.isawaitable(result):
            await result

    def restart(self) -> None:
        self._last = -1

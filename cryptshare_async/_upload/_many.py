"""Upload many files with bounded concurrency and memory.

Example::

    files = await session.upload_many(["a.pdf", "b.csv", "c.zip"], concurrency=2)

Each upload holds at most a few chunks in memory, so a batch holds ``concurrency`` times
that. Two uploads at a time already keep both cores of a small machine busy: one file's
pre-pass hashing overlaps another's sending.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .._errors import InvalidInputError
from .._threads import wait_through_cancellation
from ._dispatch import Source, as_upload_source
from ._progress import FileProgressCallback, ProgressCallback
from ._reader import DEFAULT_CHUNK_SIZE
from ._upload import (
    ChecksumMode,
    UploadedFile,
    choose_name,
    effective_mode,
    release_name,
    reserve_names,
    session_facts,
    upload,
)

if TYPE_CHECKING:
    from .._session import TransferSession

__all__ = ["upload_many"]


class _BatchProgress:
    """Adds the per-file counts into one ``(sent, total)`` for the whole batch."""

    def __init__(self, callback: ProgressCallback, total: int) -> None:
        self._callback = callback
        self._total = total
        self._sent: dict[int, int] = {}

    def for_file(self, index: int) -> ProgressCallback:
        async def report(sent: int, _total: int) -> None:
            self._sent[index] = sent
            result = self._callback(sum(self._sent.values()), self._total)
            if inspect.isawaitable(result):
                await result

        return report


async def upload_many(
    session: TransferSession,
    sources: Iterable[Source],
    *,
    concurrency: int = 2,
    checksum: ChecksumMode = ChecksumMode.AUTO,
    progress: ProgressCallback | None = None,
    hash_progress: ProgressCallback | None = None,
    return_exceptions: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    file_progress: FileProgressCallback | None = None,
) -> list[UploadedFile] | list[UploadedFile | BaseException]:
    """Upload every source, at most ``concurrency`` at a time; results in input order.

    Every source is opened and checked, and every name checked for uniqueness (within
    the batch and against the session, with one ``GET``), before anything is
    registered. Without ``return_exceptions`` the first failure cancels the uploads
    in flight (their registered files are removed), files already uploaded stay, and
    the failure is raised; with it, each failure takes its file's place in the result.
    ``progress`` receives the bytes sent over the whole batch, ``hash_progress`` the
    bytes hashed by the pre-passes over the size of the sources that get one, and
    ``file_progress(file_name, sent, total)`` each file's own count.
    """
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise InvalidInputError(f"concurrency must be an int >= 1, got {concurrency!r}")
    if not isinstance(checksum, ChecksumMode):
        raise InvalidInputError("upload_many() takes a ChecksumMode; give digests per upload()")
    items = [as_upload_source(source) for source in sources]
    names: list[str] = []
    total = hashed_total = 0
    for item in items:
        opened = await item.aopen()
        try:
            names.append(choose_name(item, opened, None))
            total += opened.size
            if effective_mode(checksum, opened) is ChecksumMode.PRE_PASS:
                hashed_total += opened.size
        finally:
            opened.close()
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise InvalidInputError(f"file names must be unique per transfer; repeated: {duplicates}")
    facts = await session_facts(session)
    reserve_names(session, names, facts.file_names)
    batch = _BatchProgress(progress, total) if progress is not None else None
    hashing = _BatchProgress(hash_progress, hashed_total) if hash_progress is not None else None
    results: list[UploadedFile | BaseException | None] = [None] * len(items)
    queue = list(range(len(items)))
    queue.reverse()
    started: set[int] = set()

    async def worker() -> None:
        while queue:
            index = queue.pop()
            started.add(index)
            try:
                results[index] = await upload(
                    session,
                    items[index],
                    checksum=checksum,
                    progress=_both(batch, file_progress, names[index], index),
                    hash_progress=hashing.for_file(index) if hashing is not None else None,
                    chunk_size=chunk_size,
                    facts=facts,
                    name_reserved=True,
                )
            except Exception as exc:
                if not return_exceptions:
                    raise
                results[index] = exc

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(items)))]
    try:
        await _gather_or_fail(workers)
    finally:
        for index, name in enumerate(names):
            if index not in started:
                release_name(session, name)
    return results  # type: ignore[return-value]


def _both(
    batch: _BatchProgress | None, each: FileProgressCallback | None, name: str, index: int
) -> ProgressCallback | None:
    """One file's progress callback: into the batch's sum and to ``each`` by name."""
    whole = batch.for_file(index) if batch is not None else None
    if each is None:
        return whole

    async def report(sent: int, total: int) -> None:
        if whole is not None:
            await _call(whole(sent, total))
        await _call(each(name, sent, total))

    return report


async def _call(result: object) -> None:
    if inspect.isawaitable(result):
        await result


async def _gather_or_fail(workers: Sequence[asyncio.Future[None]]) -> None:
    """Wait for every worker; on the first failure (or our own cancellation) cancel the
    others, wait until their cleanup is over, then raise."""
    try:
        pending = set(workers)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            for future in done:
                if not future.cancelled() and future.exception() is not None:
                    raise future.exception()  # type: ignore[misc]
    except BaseException:
        for future in workers:
            future.cancel()
        await _wait_all(workers)
        raise


async def _wait_all(workers: Sequence[asyncio.Future[None]]) -> None:
    """Wait until every worker has ended (each within its clean-up grace period), also
    if cancelled meanwhile (then re-raise); their outcomes are retrieved, not raised."""
    everyone = asyncio.gather(*workers, return_exceptions=True)
    if await wait_through_cancellation(everyone):
        raise asyncio.CancelledError

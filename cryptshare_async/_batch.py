"""Batches: `send_many` sends one transfer per `SendJob`, at most ``concurrency`` at a time.

Every job is checked before anything is sent. Each job gets one result, a
:class:`SendResult` or the exception that stopped it; one job's failure never stops the
others. ``progress(sent, total)`` counts bytes over the whole batch (a job found already
sent counts as fully sent).

With a :class:`Journal`, a re-run of the same batch sends each job exactly once:

* a job with a recorded outcome is skipped, and its recorded result returned;
* a job with a tracking id but no outcome is resolved by reading the transfer status
  under that id: a finalized transfer is adopted (recorded, never sent again); "not
  found" means finalize never happened, so the leftover session (if any) is deleted
  and the job sent again;
* a job another worker holds fails with :class:`JobHeldError`, a :class:`JournalError`
  (nothing is sent).

Give the client a token store that outlives the process (a ``FileTokenStore``): the
server lets only the token that created a session delete it, so a resumed run needs
that token to delete what its predecessor left. Without it such a session is left
to expire (it is never finalized, so nothing is delivered twice).

Example::

    jobs = [SendJob(f"slip-{n}", [path], to=[addr], name="Payroll", phone="1")
            for n, (path, addr) in enumerate(slips)]
    async with SQLiteJournal("payroll.db") as journal:
        results = await payroll.send_many(jobs, journal=journal, concurrency=4)
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from attrs import define, field

from . import _public
from ._errors import (
    ApiVersionUnsupportedError,
    CryptshareError,
    InvalidInputError,
    NotFoundError,
    SessionTokenRejectedError,
    VerificationError,
)
from ._journal import JobHeldError, JobOutcome, Journal, JournalRecord
from ._send_plan import SendPlan, make_plan, measure_sources
from ._session_scope import SessionDeletion, check_timeout
from ._session_settings import SessionSettings
from ._threads import wait_through_cancellation
from ._transfer import Transfer
from ._upload import ChecksumMode, ProgressCallback, Source
from ._workflow import SendResult, check_options, run_plan

if TYPE_CHECKING:
    from ._sender import Sender

__all__ = ["DEFAULT_LEASE", "SendJob", "check_jobs", "send_many"]

logger = logging.getLogger("cryptshare_async")

#: The errors of deleting a session that another token made.
_OTHER_TOKEN: Final = frozenset({VerificationError.__name__, SessionTokenRejectedError.__name__})

#: Seconds a journal claim holds a job (for journals shared between workers).
DEFAULT_LEASE: Final = 3600.0


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    if isinstance(value, str | bytes):
        raise InvalidInputError("give a list, not a single str or bytes")
    return tuple(value)


# Typed for SendJob's __init__ (attrs takes a converter's parameter type as the field's).
def _sources(value: Iterable[Source]) -> tuple[Source, ...]:
    return _tuple(value)


def _addresses(value: Iterable[str]) -> tuple[str, ...]:
    return _tuple(value)


@define(frozen=True, slots=True)
class SendJob:
    """One transfer of a batch. ``key`` names the job in the journal (your choice, unique
    in the batch, and no secret); ``settings`` are those of :meth:`TransferSession.update`.

    Example::

        SendJob("invoice-42", ["invoice-42.pdf"], to=["bob@example.org"],
                name="Billing", phone="+49 1", settings={"password_mode": PasswordMode.NONE})
    """

    key: str
    sources: tuple[Source, ...] = field(converter=_sources, repr=False)
    to: tuple[str, ...] = field(default=(), converter=_addresses, kw_only=True)
    cc: tuple[str, ...] = field(default=(), converter=_addresses, kw_only=True)
    bcc: tuple[str, ...] = field(default=(), converter=_addresses, kw_only=True)
    name: str = field(kw_only=True)
    phone: str = field(kw_only=True)
    settings: SessionSettings = field(factory=SessionSettings, kw_only=True, repr=False)
    checksum: ChecksumMode = field(default=ChecksumMode.AUTO, kw_only=True)


async def send_many(
    sender: Sender,
    jobs: Iterable[SendJob],
    *,
    concurrency: int = 4,
    journal: Journal | None = None,
    progress: ProgressCallback | None = None,
    lease: float = DEFAULT_LEASE,
) -> list[SendResult | Exception]:
    """Send every job; one result per job, in order (see the module docstring).

    ``concurrency`` jobs run at a time, each uploading its files one after another.
    ``lease`` is how long a journal claim holds a job. Cancelling the call cancels every
    job (each deletes its unfinalized session) and raises the cancellation; its
    ``results`` attribute then holds one entry per job (``None`` if not finished), with a
    :class:`SendResult` for every job sent, also one whose finalize had gone out before
    the cancellation (and the journal records it as sent).

    Example::

        results = await alice.send_many(jobs, journal=journal)
        failed = [r for r in results if isinstance(r, Exception)]
    """
    jobs = list(jobs)
    plans = [
        await measure_sources(plan)
        for plan in _check(jobs, concurrency=concurrency, journal=journal)
    ]
    check_timeout(lease, "lease")
    batch = _Progress(progress, [plan.total_size for plan in plans])
    results: list[SendResult | Exception | None] = [None] * len(jobs)
    queue = list(reversed(range(len(jobs))))

    async def worker() -> None:
        while queue:
            index = queue.pop()
            job = _Job(sender, jobs[index], plans[index], journal, lease, batch.for_job(index))
            try:
                results[index] = await job.run()
            except asyncio.CancelledError as cancel:
                made = getattr(cancel, "transfer", None)
                if isinstance(made, Transfer):  # finalize had gone out: it was sent
                    results[index] = SendResult(transfer=made, files=())
                raise
            except Exception as exc:
                results[index] = exc

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(jobs)))]
    try:
        await asyncio.gather(*workers)
    except BaseException as exc:
        for future in workers:
            future.cancel()
        await _settle_all(workers)  # each job deletes its unfinalized session first
        if isinstance(exc, asyncio.CancelledError):
            exc.results = list(results)  # type: ignore[attr-defined]
            sent = sum(isinstance(r, SendResult) for r in results)
            exc.add_note(
                f"send_many was cancelled after {sent} of {len(jobs)} job(s) were sent"
                " (including any whose finalize had gone out): this exception's .results"
                " holds one entry per job (a SendResult, an error, or None if not finished)"
            )
        raise
    return [result for result in results if result is not None]


async def _settle_all(workers: Sequence[asyncio.Future[None]]) -> None:
    while not all(future.done() for future in workers):
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait(workers)
    for future in workers:
        if not future.cancelled():
            future.exception()  # retrieved: the caller gets the first failure


def check_jobs(jobs: Sequence[SendJob]) -> list[SendPlan]:
    """Check a batch as :func:`send_many` does (each job, unique keys), sending nothing."""
    return _check(jobs, concurrency=1, journal=None)


def _check(jobs: Sequence[SendJob], *, concurrency: object, journal: object) -> list[SendPlan]:
    check_options(checksum=ChecksumMode.AUTO, concurrency=concurrency, wait=False, timeout=None)
    if journal is not None and not isinstance(journal, Journal):
        raise InvalidInputError("journal must implement the Journal protocol (or be None)")
    seen: set[str] = set()
    plans: list[SendPlan] = []
    for position, job in enumerate(jobs):
        if not isinstance(job, SendJob):
            raise InvalidInputError(f"job {position} is a {type(job).__name__}, not a SendJob")
        if not isinstance(job.key, str) or not job.key:
            raise InvalidInputError(f"job {position}: the key must be a non-empty str")
        if job.key in seen:
            raise InvalidInputError(f"job key {job.key!r} appears twice; keys must be unique")
        seen.add(job.key)
        if not isinstance(job.checksum, ChecksumMode):
            raise InvalidInputError(f"job {job.key!r}: checksum must be a ChecksumMode")
        try:
            plans.append(
                make_plan(
                    job.sources,
                    to=job.to,
                    cc=job.cc,
                    bcc=job.bcc,
                    name=job.name,
                    phone=job.phone,
                    settings=job.settings,
                )
            )
        except InvalidInputError as exc:
            exc.add_note(f"in job {job.key!r}; nothing was sent")
            raise
    return plans


class _Progress:
    """Adds each job's bytes into one ``(sent, total)`` for the batch."""

    def __init__(self, callback: ProgressCallback | None, sizes: list[int]) -> None:
        self._callback = callback
        self._sizes = sizes
        self._sent = [0] * len(sizes)
        self._total = sum(sizes)

    def for_job(self, index: int) -> _JobProgress:
        return _JobProgress(self, index)

    async def set(self, index: int, sent: int) -> None:
        self._sent[index] = sent
        if self._callback is not None:
            result = self._callback(sum(self._sent), self._total)
            if inspect.isawaitable(result):
                await result

    def size(self, index: int) -> int:
        return self._sizes[index]

    @property
    def active(self) -> bool:
        return self._callback is not None


@define
class _JobProgress:
    batch: _Progress
    index: int

    async def __call__(self, sent: int, _total: int) -> None:
        await self.batch.set(self.index, sent)

    async def complete(self) -> None:
        await self.batch.set(self.index, self.batch.size(self.index))


@define
class _Job:
    """One job's run, with or without a journal."""

    sender: Sender
    job: SendJob
    plan: SendPlan
    journal: Journal | None
    lease: float
    progress: _JobProgress

    async def run(self) -> SendResult:
        if self.journal is None:
            return await self._send(None)
        journal, key = self.journal, self.job.key
        record = await journal.claim(key, lease=self.lease)
        if record is None:
            raise JobHeldError(f"job {key!r} is being sent by another worker; it was skipped")
        if record.outcome is not None:
            await self.progress.complete()
            return self._recorded(record.outcome)
        try:
            if record.tracking_id is not None:
                adopted = await self._resolve(record)
                if adopted is not None:
                    return adopted
            return await self._send(journal)
        except BaseException as exc:
            made = getattr(exc, "transfer", None)
            if isinstance(made, Transfer):  # cancelled after finalize went out: it was sent
                await _record_made(journal, key, made)
            else:
                await _release(journal, key)
            raise

    async def _send(self, journal: Journal | None) -> SendResult:
        key = self.job.key

        async def on_created(tracking_id: str) -> None:
            if journal is not None:
                await journal.record_tracking_id(key, tracking_id)

        result = await run_plan(
            self.sender,
            self.plan,
            checksum=self.job.checksum,
            progress=self.progress if self.progress.batch.active else None,
            concurrency=1,
            on_created=on_created,
        )
        if journal is not None:
            outcome = JobOutcome(
                tracking_id=result.tracking_id, files=result.files, finished_at=_now()
            )
            try:
                await journal.record_outcome(key, outcome)
            except BaseException as exc:
                exc.add_note(
                    f"job {key!r} was sent as transfer {result.tracking_id}; the journal"
                    " holds its tracking id, so a re-run adopts it instead of sending again"
                )
                raise
        return result

    async def _resolve(self, record: JournalRecord) -> SendResult | None:
        """A tracking id without an outcome: adopt the transfer if finalize happened,
        else delete the leftover session and return ``None`` (send again)."""
        assert self.journal is not None and record.tracking_id is not None
        tracking_id = record.tracking_id
        transfer = self.sender.transfer(tracking_id)
        try:
            await transfer.status()
        except ApiVersionUnsupportedError:
            raise
        except NotFoundError:
            if not await self._delete_leftover(tracking_id) or not await _exists(transfer):
                return None
            # The session vanished between the status read and the delete: finalized
            # by a worker whose lease ran out while it still lived. Adopt, never resend.
        outcome = JobOutcome(tracking_id=tracking_id, adopted=True, finished_at=_now())
        await self.journal.record_outcome(self.job.key, outcome)
        await self.progress.complete()
        return SendResult(transfer=transfer, files=(), from_journal=True)

    async def _delete_leftover(self, tracking_id: str) -> bool:
        """Delete the session an earlier run left, through the client's clean-ups (they
        ride out transient failures; a failure is recorded in ``client.cleanup_failures``
        and logged by the ``cryptshare_async.cleanup`` logger); true if it was already
        gone. Its run is over (the journal's claim says so) and it was never finalized,
        so sending again cannot deliver twice. If it still cannot be deleted, the job
        fails and its record stays, so that the next run tries again instead of leaving
        it (with its content) behind; only a session of another token, which cannot be
        deleted, is left."""
        # Gone: deleted by the crashed run, expired, or finalized meanwhile.
        delete = SessionDeletion(self.sender.resume_session(tracking_id))
        task = self.sender._client._cleanups.delete_session(tracking_id, delete)
        if await wait_through_cancellation(task):
            raise asyncio.CancelledError
        failure = task.result() if not task.cancelled() else None
        if failure is not None and failure.error in _OTHER_TOKEN:
            # Only the token that created a session may delete it.
            logger.warning(
                "transfer session %s left by an earlier run of job %r was made with another"
                " verification token and cannot be deleted; it expires unfinalized (give the"
                " client a lasting token store, FileTokenStore or RedisTokenStore, so that a"
                " resumed run has that token)",
                tracking_id,
                self.job.key,
            )
        elif failure is not None or task.cancelled():
            reason = failure.error if failure is not None else "given up"
            raise CryptshareError(
                f"transfer session {tracking_id}, left by an earlier run of job"
                f" {self.job.key!r}, could not be deleted ({reason}); nothing was sent"
                " again: run the batch again later"
            )
        return delete.gone

    def _recorded(self, outcome: JobOutcome) -> SendResult:
        return SendResult(
            transfer=Transfer(self.sender, outcome.tracking_id),
            files=outcome.files,
            from_journal=True,
        )


async def _record_made(journal: Journal, key: str, transfer: Transfer) -> None:
    """Record a job sent after all, riding out further cancellations (the caller is
    re-raising one that carries the transfer: it must stay the one that propagates)."""
    outcome = JobOutcome(tracking_id=transfer.tracking_id, finished_at=_now())
    task = asyncio.ensure_future(journal.record_outcome(key, outcome))
    await wait_through_cancellation(task)
    error = None if task.cancelled() else task.exception()
    if task.cancelled() or error is not None:
        logger.warning(
            "could not record job %r as sent (transfer %s) in the journal: %s; a re-run"
            " finds it by its tracking id",
            key,
            transfer.tracking_id,
            type(error).__name__ if error is not None else "cancelled",
        )


async def _exists(transfer: Transfer) -> bool:
    try:
        await transfer.status()
    except ApiVersionUnsupportedError:
        raise
    except NotFoundError:
        return False
    return True


async def _release(journal: Journal, key: str) -> None:
    try:
        await asyncio.shield(journal.release(key))
    except Exception as exc:
        logger.warning("could not release job %r in the journal: %s", key, type(exc).__name__)


def _now() -> datetime:
    return datetime.now(UTC)


_public.claim(globals())

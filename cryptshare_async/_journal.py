"""The batch journal: what ``send_many`` remembers so that a re-run sends nothing twice.

A job (a key the caller chooses) goes through three recorded points:

1. claimed: this worker is sending it (:meth:`Journal.claim`);
2. the tracking id of its session, recorded right after the session is created and
   so always before finalize (:meth:`Journal.record_tracking_id`);
3. its outcome, recorded after finalize (:meth:`Journal.record_outcome`).

On a re-run a job with an outcome is skipped; a job with only a tracking id is resolved
by reading the transfer under that id: a transfer found is adopted (never sent again), a
transfer not found means finalize never happened, so the leftover session is deleted and
the job sent again.

The journal holds job keys, tracking ids and file facts (names, sizes, checksums), never
a token, client id or password: do not put secrets in job keys either.

Example::

    async with SQLiteJournal("batch.db") as journal:
        results = await alice.send_many(jobs, journal=journal)
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from attrs import define

from ._errors import CryptshareError
from ._upload import UploadedFile

__all__ = ["JobHeldError", "JobOutcome", "Journal", "JournalError", "JournalRecord"]


class JournalError(CryptshareError):
    """The journal cannot be used: it is held by another process, unreadable, or a job
    is claimed by another worker. Nothing was sent for the job concerned."""


class JobHeldError(JournalError):
    """Another worker holds a live claim on the job: it was skipped (try it again after
    the lease, if that worker may have died)."""


@define(frozen=True, slots=True)
class JobOutcome:
    """What a finished job produced: the transfer's tracking id and its files.

    ``adopted`` says the job was found finalized on a re-run (its outcome had not been
    recorded before the crash); ``files`` is then empty, as the journal never learnt them.
    """

    tracking_id: str
    files: tuple[UploadedFile, ...] = ()
    adopted: bool = False
    finished_at: datetime | None = None


@define(frozen=True, slots=True)
class JournalRecord:
    """A job as the journal knows it. A new job has neither tracking id nor outcome."""

    key: str
    tracking_id: str | None = None
    outcome: JobOutcome | None = None

    @property
    def done(self) -> bool:
        return self.outcome is not None


@runtime_checkable
class Journal(Protocol):
    """Where a batch records its jobs. Implement it to share a journal between processes
    (a Redis implementation follows this contract with an atomic claim and a lease).

    Every method is a single atomic, durable step: once it returns, the record survives
    a crash of this process. Each journal object acts as one worker.

    * ``claim(key, lease=...)``: take the job for ``lease`` seconds and return its record
      (a new, empty one the first time). A job already done is returned as it is and not
      claimed. ``None`` means another worker holds a live claim: leave the job alone.
    * ``record_tracking_id(key, tracking_id)``: the job's session exists (before finalize).
    * ``record_outcome(key, outcome)``: the job is done; its claim ends.
    * ``release(key)``: the job stopped without an outcome (it may be tried again); its
      claim ends, the recorded tracking id stays.
    * ``get(key)``: the job's record, or ``None`` if the journal never saw it.
    """

    async def claim(self, key: str, *, lease: float) -> JournalRecord | None: ...

    async def record_tracking_id(self, key: str, tracking_id: str) -> None: ...

    async def record_outcome(self, key: str, outcome: JobOutcome) -> None: ...

    async def release(self, key: str) -> None: ...

    async def get(self, key: str) -> JournalRecord | None: ...

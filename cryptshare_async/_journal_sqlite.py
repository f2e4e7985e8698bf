"""`SQLiteJournal`: the batch journal in one SQLite file.

Why SQLite rather than JSON Lines: each record is written in a transaction, so it is either
wholly in the file or not at all (JSON Lines would need torn last lines detected and skipped);
a job's record is updated in place, so the file does not grow with every re-run and
needs no compaction; a key is found by index, not by reading the whole history. It
ships with Python (``sqlite3``), and the write-ahead log with ``synchronous=FULL`` makes
every returned record durable, against ``kill -9`` and against power loss. Records that
arrive together (concurrent jobs) share one transaction and one sync (a group commit);
each call still returns only once its own record is committed.

One process holds the file at a time: the database is opened in exclusive locking mode,
an operating-system lock that a second process is refused and that dies with its holder,
even on ``kill -9``. That is why claims are kept in memory: a crashed process's claims
die with it, and a re-run can resume at once. Every SQLite call runs in one worker
thread owned by the journal, never on the event loop.

Example::

    async with SQLiteJournal("state.db") as journal:
        results = await alice.send_many(jobs, journal=journal)
        record = await journal.get("invoice-2024-001")
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sqlite3
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, TypeVar

from attrs import define

from ._journal import JobOutcome, JournalError, JournalRecord
from ._upload import UploadedFile

__all__ = ["SQLiteJournal", "dump_outcome", "load_outcome"]

T = TypeVar("T")

SCHEMA_VERSION: Final = 1
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY,
    tracking_id TEXT,
    outcome TEXT,
    updated_at TEXT NOT NULL
)
"""


@define(frozen=True, slots=True)
class _Pending:
    """A record waiting for the next group commit, and how its writer learns the result."""

    row: tuple[str, str, str | None]
    done: Future[None]


class SQLiteJournal:
    """A durable :class:`Journal` in a SQLite file, for one process at a time.

    Open it with ``async with`` (or :meth:`open` and :meth:`close`). Opening a file
    another live process holds raises :class:`JournalError`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path).expanduser()
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None
        self._claimed: set[str] = set()
        self._pending: deque[_Pending] = deque()

    def __repr__(self) -> str:
        return f"SQLiteJournal({str(self._path)!r})"

    @property
    def path(self) -> Path:
        return self._path

    async def __aenter__(self) -> SQLiteJournal:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Open (creating if needed) the file and take its lock."""
        if self._executor is not None:
            raise JournalError(f"the journal {self._path} is already open")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cryptshare-journal")
        try:
            self._connection = await self._run(self._connect)
        except BaseException:
            self._executor.shutdown(wait=True)
            self._executor = None
            raise

    async def close(self) -> None:
        """Release the file; records already returned are on disk. Safe to call twice."""
        executor, connection = self._executor, self._connection
        if executor is None:
            return
        self._connection = None
        try:
            if connection is not None:
                await asyncio.get_running_loop().run_in_executor(executor, connection.close)
        finally:
            self._executor = None
            self._claimed.clear()
            executor.shutdown(wait=True)

    # ------------------------------------------------------------ the Journal protocol

    async def claim(self, key: str, *, lease: float) -> JournalRecord | None:
        """Take ``key`` (see :class:`Journal`). ``lease`` is checked but needs no timer
        here: the claim lasts until released, recorded done, or the process ends."""
        _check_key(key)
        if not isinstance(lease, int | float) or not math.isfinite(lease) or lease <= 0:
            raise JournalError(f"lease must be a finite number of seconds > 0, got {lease!r}")
        if key in self._claimed:
            return None
        self._claimed.add(key)
        try:
            record = await self._run(self._read, key)
        except BaseException:
            self._claimed.discard(key)
            raise
        if record is None:
            return JournalRecord(key)
        if record.done:
            self._claimed.discard(key)
        return record

    async def record_tracking_id(self, key: str, tracking_id: str) -> None:
        _check_key(key)
        self._check_claimed(key)
        await self._record(key, tracking_id, None)

    async def record_outcome(self, key: str, outcome: JobOutcome) -> None:
        _check_key(key)
        self._check_claimed(key)
        await self._record(key, outcome.tracking_id, dump_outcome(outcome))
        self._claimed.discard(key)

    async def release(self, key: str) -> None:
        self._claimed.discard(key)

    async def get(self, key: str) -> JournalRecord | None:
        _check_key(key)
        return await self._run(self._read, key)

    # ------------------------------------------------------------ in the worker thread

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self._path, timeout=0, isolation_level=None)
        except sqlite3.Error as exc:
            raise JournalError(
                f"cannot open the journal {self._path}: {exc} (does its folder exist?)"
            ) from None
        try:
            connection.execute("PRAGMA locking_mode=EXCLUSIVE")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("BEGIN IMMEDIATE")  # takes the lock, held until close
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise JournalError(
                    f"the journal {self._path} has schema version {version}; this library"
                    f" reads version {SCHEMA_VERSION}: use a new journal file"
                )
            connection.execute(_SCHEMA)
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            connection.close()
            if "locked" in str(exc):
                raise JournalError(
                    f"the journal {self._path} is in use by another process (or another"
                    " SQLiteJournal object): wait until that batch ends, or use another file"
                ) from None
            raise JournalError(f"cannot use the journal {self._path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise JournalError(
                f"{self._path} is not a journal (an SQLite database): {exc}"
            ) from None
        except BaseException:
            connection.close()
            raise
        return connection

    def _read(self, key: str) -> JournalRecord | None:
        row = (
            self._db()
            .execute("SELECT tracking_id, outcome FROM jobs WHERE key = ?", (key,))
            .fetchone()
        )
        if row is None:
            return None
        tracking_id, outcome = row
        return JournalRecord(
            key,
            tracking_id=tracking_id,
            outcome=load_outcome(key, outcome) if outcome is not None else None,
        )

    def _flush(self) -> None:
        """Write every pending record in one transaction (a group commit: concurrent
        jobs share one sync), then tell each writer how it went."""
        batch: list[_Pending] = []
        while self._pending:
            batch.append(self._pending.popleft())
        if not batch:
            return  # an earlier flush took this caller's record
        db = self._db()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT INTO jobs (key, tracking_id, outcome, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET tracking_id = excluded.tracking_id,"
                    " outcome = excluded.outcome, updated_at = excluded.updated_at",
                    [(*item.row, datetime.now(UTC).isoformat()) for item in batch],
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")  # synced (synchronous=FULL) before anyone is told
        except sqlite3.Error as exc:
            for item in batch:
                item.done.set_exception(JournalError(f"the journal {self._path} failed: {exc}"))
            return
        for item in batch:
            item.done.set_result(None)

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise JournalError(f"the journal {self._path} is not open: use `async with`")
        return self._connection

    # ------------------------------------------------------------ helpers

    async def _record(self, key: str, tracking_id: str, outcome: str | None) -> None:
        """Durably write one record; returns once it is committed."""
        done: Future[None] = Future()
        self._pending.append(_Pending((key, tracking_id, outcome), done))
        # The one worker thread runs flushes in order: when ours returns, the flush that
        # took our record (ours or an earlier one) has finished.
        await self._run(self._flush)
        done.result(timeout=0)

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise JournalError(f"the journal {self._path} is not open: use `async with`")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, function, *args)
        except sqlite3.Error as exc:
            raise JournalError(f"the journal {self._path} failed: {exc}") from None

    def _check_claimed(self, key: str) -> None:
        if key not in self._claimed:
            raise JournalError(f"job {key!r} is not claimed by this journal: claim() it first")


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise JournalError(f"a job key must be a non-empty str, got {key!r}")


def dump_outcome(outcome: JobOutcome) -> str:
    return json.dumps(
        {
            "tracking_id": outcome.tracking_id,
            "adopted": outcome.adopted,
            "finished_at": (outcome.finished_at or datetime.now(UTC)).isoformat(),
            "files": [
                {
                    "file_id": f.file_id,
                    "file_name": f.file_name,
                    "size": f.size,
                    "checksum": f.checksum,
                    "algorithm": f.algorithm,
                    "checksum_registered": f.checksum_registered,
                }
                for f in outcome.files
            ],
        }
    )


def load_outcome(key: str, text: str) -> JobOutcome:
    try:
        data = json.loads(text)
        return JobOutcome(
            tracking_id=data["tracking_id"],
            adopted=bool(data["adopted"]),
            finished_at=datetime.fromisoformat(data["finished_at"]),
            files=tuple(UploadedFile(**item) for item in data["files"]),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise JournalError(
            f"the journal's outcome of job {key!r} is unreadable ({type(exc).__name__})"
        ) from None

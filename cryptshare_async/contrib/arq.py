"""A worker fleet on arq (asyncio jobs on Redis) that sends each job exactly once.

Install with ``pip install 'cryptshare-async[arq]'``. Three pieces:

* :func:`worker_settings` builds arq's ``WorkerSettings``: one shared
  :class:`~cryptshare_async.CryptshareClient` per worker process, opened by the startup
  hook and closed by the shutdown hook, and the job function :func:`send_transfer`.
* :func:`send_transfer` (registered as ``"cryptshare_send"``) sends one
  :class:`~cryptshare_async.SendJob` through ``send_many`` with a
  :class:`~cryptshare_async.contrib.redis.RedisJournal`, so a job arq runs twice (its
  worker died after finalize but before arq heard of it) is sent once: the second run
  finds the outcome, or resolves the recorded tracking id. Transient failures become
  arq's ``Retry`` with a growing delay; permanent ones fail the job at once.
* :func:`enqueue_sends` (the producer) checks a batch and enqueues one arq job per
  ``SendJob``, with a job id derived from the journal name and the job key, so
  enqueueing the same batch twice queues nothing twice.

Example (``fleet.py``; run workers with ``arq fleet.WorkerSettings``)::

    def make_client(redis: Redis) -> CryptshareClient:
        return CryptshareClient(URL, client_id=os.environ["CRYPTSHARE_CLIENT_ID"],
                                token_store=RedisTokenStore(redis))

    WorkerSettings = worker_settings(make_client, redis_settings=RedisSettings())

    # producer
    redis = await arq.create_pool(RedisSettings())
    await enqueue_sends(redis, jobs, sender="payroll@example.com", journal="payroll-2026-01")
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final

from arq import Retry
from arq.connections import ArqRedis, RedisSettings
from arq.worker import func
from attrs import define, field
from redis.asyncio import Redis

from .._batch import SendJob, check_jobs
from .._client import CryptshareClient
from .._errors import (
    ChecksumMismatchError,
    ConfigurationError,
    InvalidInputError,
    RateLimitedError,
    ResponseParseError,
    ServerError,
    SessionTokenRejectedError,
    TransportError,
)
from .._journal import JobHeldError, JournalError
from .._upload import BytesSource, FileSource
from .._validation import validate_email
from .._workflow import SendResult
from .redis import RedisJournal

__all__ = [
    "FUNCTION_NAME",
    "QueuedSend",
    "enqueue_sends",
    "is_transient",
    "send_transfer",
    "worker_settings",
]

#: The name the job function is registered under (what producers enqueue).
FUNCTION_NAME: Final = "cryptshare_send"
#: Seconds a worker's journal claim lasts without renewal: how soon another worker can
#: take over the jobs of a worker that died.
DEFAULT_LEASE: Final = 60.0
#: Retry delays: ``RETRY_BASE * 2**(try - 1)`` seconds, at most ``RETRY_CAP``.
RETRY_BASE: Final = 5.0
RETRY_CAP: Final = 300.0
_CLIENT: Final = "cryptshare_client"
_LEASE: Final = "cryptshare_lease"
Hook = Callable[[dict[Any, Any]], Awaitable[None]]


@define(frozen=True, slots=True)
class QueuedSend:
    """What one arq job carries: the sender, the journal (batch) name and the job.

    Its repr shows the batch and the job key only: arq logs job arguments, and
    addresses and names are personal data.
    """

    sender: str
    journal: str
    job: SendJob = field()

    def __repr__(self) -> str:
        return f"QueuedSend({self.journal!r}, {self.job.key!r})"


def is_transient(error: BaseException) -> bool:
    """True for a failure that a later try may not meet: the network, the server's 5xx
    or rate limit, a garbled answer, an upload corrupted on the way, a session token the
    server stopped accepting, the journal (Redis) unreachable or the job held by
    another worker. Anything else (bad input, policy, verification, a missing file)
    fails the same way every time."""
    return isinstance(
        error,
        TransportError
        | ServerError
        | RateLimitedError
        | ResponseParseError
        | ChecksumMismatchError
        | SessionTokenRejectedError
        | JournalError,
    )


def retry_delay(job_try: int) -> float:
    """Seconds before the next try after ``job_try`` failed tries."""
    return float(min(RETRY_BASE * 2 ** max(job_try - 1, 0), RETRY_CAP))


async def send_transfer(ctx: dict[Any, Any], queued: QueuedSend) -> str:
    """arq job: send ``queued.job`` once; return the transfer's tracking id.

    A job already sent (this run is arq's second) returns its recorded tracking id. A
    transient failure raises ``arq.Retry`` (a job another worker holds: after the
    lease; else after :func:`retry_delay`); a permanent one is raised as it is, and arq
    records the job as failed.
    """
    client = ctx.get(_CLIENT)
    if not isinstance(client, CryptshareClient):
        raise ConfigurationError(
            "no CryptshareClient in the worker: build the settings with worker_settings()"
        )
    lease = float(ctx.get(_LEASE, DEFAULT_LEASE))
    async with RedisJournal(ctx["redis"], queued.journal) as journal:
        [result] = await client.sender(queued.sender).send_many(
            [queued.job], journal=journal, concurrency=1, lease=lease
        )
    if isinstance(result, SendResult):
        return result.tracking_id
    if isinstance(result, JobHeldError):
        raise Retry(defer=lease) from result
    if is_transient(result):
        raise Retry(defer=retry_delay(int(ctx.get("job_try", 1)))) from result
    raise result


def worker_settings(
    make_client: Callable[[Redis], CryptshareClient],
    *,
    redis_settings: RedisSettings | None = None,
    lease: float = DEFAULT_LEASE,
    on_startup: Hook | None = None,
    on_shutdown: Hook | None = None,
    **options: Any,
) -> dict[str, Any]:
    """arq ``WorkerSettings`` for a fleet of senders.

    ``make_client(redis)`` is called once per worker process, at startup, with arq's
    Redis connection (give the client a ``RedisTokenStore(redis)`` so that the whole
    fleet shares one verification per sender); the client is closed at shutdown.
    ``lease``: see :data:`DEFAULT_LEASE`. ``on_startup``/``on_shutdown`` run after the
    client is opened and before it is closed; other ``options`` go to arq's ``Worker``
    (``max_jobs``, ``job_timeout``, ``max_tries``, ``queue_name``...).

    Example::

        WorkerSettings = worker_settings(make_client, redis_settings=RedisSettings(),
                                         max_jobs=20, job_timeout=600)
    """
    if not callable(make_client):
        raise ConfigurationError("make_client must be a callable (redis) -> CryptshareClient")
    if not isinstance(lease, int | float) or isinstance(lease, bool) or not lease > 0:
        raise ConfigurationError(f"lease must be seconds > 0, got {lease!r}")
    if "functions" in options:
        raise ConfigurationError("functions are set by worker_settings(): give other options")

    async def startup(ctx: dict[Any, Any]) -> None:
        client = make_client(ctx["redis"])
        if not isinstance(client, CryptshareClient):
            raise ConfigurationError(
                f"make_client must return a CryptshareClient, got {type(client)!r}"
            )
        ctx[_CLIENT] = client
        ctx[_LEASE] = float(lease)
        if on_startup is not None:
            await on_startup(ctx)

    async def shutdown(ctx: dict[Any, Any]) -> None:
        try:
            if on_shutdown is not None:
                await on_shutdown(ctx)
        finally:
            client = ctx.pop(_CLIENT, None)
            if isinstance(client, CryptshareClient):
                await client.aclose()

    settings: dict[str, Any] = {
        "functions": [func(send_transfer, name=FUNCTION_NAME)],
        "on_startup": startup,
        "on_shutdown": shutdown,
        **options,
    }
    if redis_settings is not None:
        settings["redis_settings"] = redis_settings
    return settings


async def enqueue_sends(
    redis: ArqRedis,
    jobs: Iterable[SendJob],
    *,
    sender: str,
    journal: str,
    queue_name: str | None = None,
) -> list[str]:
    """Check every job, then enqueue one arq job per ``SendJob``; return the arq job ids
    enqueued now (a job already queued or with a kept result is not queued again).

    Sources must be file paths the workers can read (the same path on every machine)
    or bytes; streams cannot travel through a queue. A transfer ``password`` is refused:
    it would sit in Redis and in arq's job records. Use
    ``password_mode=PasswordMode.GENERATED`` (or ``NONE``) instead.

    Example::

        ids = await enqueue_sends(redis, jobs, sender="payroll@example.com",
                                  journal="payroll-2026-01")
    """
    if not isinstance(redis, ArqRedis):
        raise ConfigurationError(f"give arq's Redis pool (arq.create_pool), got {type(redis)!r}")
    sender = validate_email(sender, what="sender email")
    RedisJournal(redis, journal)  # checks the name
    jobs = list(jobs)
    check_jobs(jobs)
    for job in jobs:
        _check_portable(job)
    enqueued: list[str] = []
    for job in jobs:
        job_id = f"cryptshare:{journal}:{job.key}"
        queued = QueuedSend(sender=sender, journal=journal, job=job)
        arq_job = await redis.enqueue_job(
            FUNCTION_NAME, queued, _job_id=job_id, _queue_name=queue_name
        )
        if arq_job is not None:
            enqueued.append(job_id)
    return enqueued


def _check_portable(job: SendJob) -> None:
    """Refuse what cannot or must not travel through the queue."""
    for source in job.sources:
        if not isinstance(source, str | os.PathLike | bytes | FileSource | BytesSource):
            raise InvalidInputError(
                f"job {job.key!r}: a {type(source).__name__} cannot travel through a queue;"
                " give file paths the workers can read, or bytes"
            )
    if isinstance(job.settings, Mapping) and "password" in job.settings:
        raise InvalidInputError(
            f"job {job.key!r}: a transfer password would be stored in Redis with the job;"
            " use password_mode=PasswordMode.GENERATED (or NONE) for queued sends"
        )

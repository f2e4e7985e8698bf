"""Verification tokens and the batch journal on Redis, shared by a fleet of processes.

Install with ``pip install 'cryptshare-async[redis]'`` (redis-py's asyncio client). Both
classes take a ``redis.asyncio.Redis`` you create and close; they never close it.

* :class:`RedisTokenStore`: a :class:`~cryptshare_async.TokenStore` every worker shares,
  so a sender verifies once (an email code: a person, once), not once per worker.
* :class:`RedisJournal`: the :class:`~cryptshare_async.Journal` protocol with an atomic
  claim and a lease, so two workers never send the same job, and a job whose worker died
  is resolved through its recorded tracking id.

Every change is one Redis command or one Lua script, so it is atomic. Redis keeps its
data in memory: run it with ``appendonly yes`` (and ``appendfsync always`` for the
journal's "once it returns, it survives" to hold across a crash of Redis itself) and
protect it like a password file (ACLs, TLS, a private network): it holds tokens.

Example::

    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    store = RedisTokenStore(redis)
    async with CryptshareClient(url, client_id=cid, token_store=store) as client:
        async with RedisJournal(redis, "payroll-2026-01") as journal:
            results = await client.sender(ALICE).send_many(jobs, journal=journal)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from .._errors import ConfigurationError, CryptshareError
from .._journal import JobOutcome, JournalError, JournalRecord
from .._journal_sqlite import dump_outcome, load_outcome
from .._tokens import StoredToken, TokenKey

__all__ = ["RedisJournal", "RedisTokenStore"]

logger = logging.getLogger("cryptshare_async")

DEFAULT_TOKEN_PREFIX: Final = "cryptshare:tokens:"
DEFAULT_JOURNAL_PREFIX: Final = "cryptshare:journal:"
#: How long one process may hold a sender's fetch lock (a verification request).
FETCH_LOCK_SECONDS: Final = 30.0
_NAME = re.compile(r"[A-Za-z0-9._:-]{1,200}")


def _text(value: object) -> str | None:
    """A Redis reply as text, whether the client decodes replies or not."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _check_client(redis: object) -> None:
    if not isinstance(redis, Redis):
        raise ConfigurationError(
            f"give a redis.asyncio.Redis client (redis-py's asyncio client), got {type(redis)!r}"
        )


def _check_prefix(prefix: object) -> str:
    if not isinstance(prefix, str) or not _NAME.fullmatch(prefix.rstrip(":") or "-"):
        raise ConfigurationError(
            f"prefix must be letters, digits and . _ : - (at most 200), got {prefix!r}"
        )
    return prefix


# ---------------------------------------------------------------- tokens

# Delete the entry only if it still holds the token given (compare and delete).
_DISCARD: Final = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, entry = pcall(cjson.decode, raw)
if ok and type(entry) == 'table' and entry['token'] == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisTokenStore:
    """Verification tokens in Redis, one key per sender, shared by every process.

    - Keys are ``<prefix><client-id fingerprint>:<hash of server and email>``: tokens of
      different client ids never mix, and key names show no address.
    - A token with a known validity expires in Redis when it does (``PXAT``).
    - Every update is atomic; :meth:`discard` (delete only if the entry still holds a
      given token) is one Lua script, so a token another process saved meanwhile stays.
    - :meth:`fetch_lock` lets one process at a time fetch a missing token for a sender,
      so a fleet makes one verification request, not one per worker.

    Example::

        store = RedisTokenStore(Redis.from_url("redis://127.0.0.1:6379/0"))
        client = CryptshareClient(url, client_id=cid, token_store=store)
    """

    def __init__(self, redis: Redis, *, prefix: str = DEFAULT_TOKEN_PREFIX) -> None:
        _check_client(redis)
        self._redis = redis
        self._prefix = _check_prefix(prefix)
        self._discard = redis.register_script(_DISCARD)

    def __repr__(self) -> str:
        return f"RedisTokenStore(prefix={self._prefix!r})"

    def redis_key(self, key: TokenKey) -> str:
        """The Redis key holding ``key``'s token."""
        who = hashlib.sha256(f"{key.server}|{key.email}".encode()).hexdigest()[:32]
        return f"{self._prefix}{key.client_fingerprint}:{who}"

    async def get(self, key: TokenKey) -> StoredToken | None:
        raw = _text(await self._call("read", self._redis.get(self.redis_key(key))))
        if raw is None:
            return None
        parsed = _parse(raw)
        if parsed is None:
            logger.warning(
                "token store %r: the entry of %s at %s is not a token; skipped",
                self._prefix,
                key.email,
                key.server,
            )
        return parsed

    async def set(self, key: TokenKey, token: StoredToken) -> None:
        name = self.redis_key(key)
        value = json.dumps(
            {
                "token": token.token,
                "valid_until": token.valid_until.isoformat() if token.valid_until else None,
            }
        )
        if token.valid_until is None:
            await self._call("write", self._redis.set(name, value))
            return
        until_ms = math.floor(token.valid_until.timestamp() * 1000)
        if until_ms <= math.floor(datetime.now(UTC).timestamp() * 1000):
            await self._call("write", self._redis.delete(name))  # already expired
            return
        await self._call("write", self._redis.set(name, value, pxat=until_ms))

    async def delete(self, key: TokenKey) -> None:
        await self._call("write", self._redis.delete(self.redis_key(key)))

    async def discard(self, key: TokenKey, token: str) -> None:
        """Delete the entry only if it still holds ``token`` (atomically, in Redis)."""
        await self._call("write", self._discard(keys=[self.redis_key(key)], args=[token]))

    @contextlib.asynccontextmanager
    async def fetch_lock(self, key: TokenKey) -> AsyncIterator[None]:
        """Held by one process at a time per sender while it fetches a token.

        The lock expires after :data:`FETCH_LOCK_SECONDS` if its holder dies; a process
        that cannot get it in that time fetches anyway (one extra request, never a
        stall).
        """
        lock = self._redis.lock(
            self.redis_key(key) + ":fetch",
            timeout=FETCH_LOCK_SECONDS,
            sleep=0.05,
            blocking_timeout=FETCH_LOCK_SECONDS,
        )
        acquired = await self._call("lock", lock.acquire())
        try:
            yield
        finally:
            if acquired:
                with contextlib.suppress(LockError, RedisError):
                    await asyncio.shield(lock.release())

    async def _call(self, what: str, awaitable: Any) -> Any:
        try:
            return await awaitable
        except RedisError as exc:
            # Only the type: a server's error text may quote the command, and with it a token.
            raise CryptshareError(
                f"token store {self._prefix!r}: Redis {what} failed ({type(exc).__name__});"
                " check that Redis is reachable and that this client may use it"
            ) from None


def _parse(raw: str) -> StoredToken | None:
    try:
        entry = json.loads(raw)
        token = entry["token"]
        until = entry["valid_until"]
        if not isinstance(token, str) or not token:
            return None
        if until is None:
            return StoredToken(token=token)
        valid_until = datetime.fromisoformat(until)
    except (ValueError, TypeError, KeyError):
        return None
    if valid_until.tzinfo is None:
        return None
    return StoredToken(token=token, valid_until=valid_until)


# ---------------------------------------------------------------- journal

# KEYS: record, claim. ARGV: owner, lease in ms.
# A job done is returned and not claimed; else the claim is taken if free.
_CLAIM: Final = """
local tid = redis.call('HGET', KEYS[1], 'tracking_id')
local outcome = redis.call('HGET', KEYS[1], 'outcome')
if outcome then return {'done', tid, outcome} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return {'claimed', tid, false}
end
return {'held', false, false}
"""

# KEYS: record, claim. ARGV: owner, tracking id, outcome ('' for none), updated at.
# Written only while the claim is ours (a fence: a worker whose lease ran out and was
# taken over cannot write over the new holder). An outcome ends the claim.
_RECORD: Final = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'tracking_id', ARGV[2], 'updated_at', ARGV[4])
if ARGV[3] ~= '' then
    redis.call('HSET', KEYS[1], 'outcome', ARGV[3])
    redis.call('DEL', KEYS[2])
end
return 1
"""

# KEYS: claim. ARGV: owner, lease in ms ('' to release). Only the owner renews or frees.
_RENEW: Final = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


class RedisJournal:
    """The batch :class:`~cryptshare_async.Journal` on Redis, shared by many workers.

    ``name`` identifies the batch (its keys are ``<prefix>{<name>}:…``; give each batch
    its own). Each ``RedisJournal`` object is one worker:

    - :meth:`claim` is one Lua script: a job done is returned as it is; otherwise the
      claim is taken with ``SET NX PX`` (the lease) or ``None`` is returned if another
      worker holds it.
    - While this object holds a claim it renews the lease every third of it, so a live
      worker keeps its jobs however long they take, and a dead one (``kill -9``) loses
      them once its lease runs out. Another worker then claims the job and resolves it
      through its recorded tracking id (the transfer is adopted if it was finalized,
      else the leftover session is deleted and the job sent again).
    - Records are fenced: a worker writes only while its claim is alive, so a worker
      whose lease was taken over cannot write over the new holder.

    Open it with ``async with`` (or call :meth:`aclose`): closing stops the renewals
    and releases the claims still held. The Redis client is the caller's.

    Example::

        async with RedisJournal(redis, "payroll-2026-01") as journal:
            results = await alice.send_many(jobs, journal=journal, lease=30)
    """

    def __init__(self, redis: Redis, name: str, *, prefix: str = DEFAULT_JOURNAL_PREFIX) -> None:
        _check_client(redis)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigurationError(
                f"a journal name must be 1 to 200 letters, digits and . _ : -, got {name!r}"
            )
        self._redis = redis
        self._name = name
        self._prefix = _check_prefix(prefix)
        self._owner = uuid.uuid4().hex
        self._claim_script = redis.register_script(_CLAIM)
        self._record_script = redis.register_script(_RECORD)
        self._renew_script = redis.register_script(_RENEW)
        self._renewals: dict[str, asyncio.Task[None]] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"RedisJournal({self._name!r}, <{len(self._renewals)} claims>)"

    @property
    def name(self) -> str:
        return self._name

    async def __aenter__(self) -> RedisJournal:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop renewing and release every claim still held. Safe to call twice."""
        self._closed = True
        for key in list(self._renewals):
            try:
                await self.release(key)
            except JournalError as exc:
                # The claim then runs out by itself when its lease does.
                logger.warning("journal %r: could not release job %r: %s", self._name, key, exc)

    # ------------------------------------------------------------ the Journal protocol

    async def claim(self, key: str, *, lease: float) -> JournalRecord | None:
        """Take ``key`` for ``lease`` seconds, renewed while this object holds it."""
        _check_key(key)
        if not isinstance(lease, int | float) or not math.isfinite(lease) or lease <= 0:
            raise JournalError(f"lease must be a finite number of seconds > 0, got {lease!r}")
        if self._closed:
            raise JournalError(f"the Redis journal {self._name!r} is closed")
        if key in self._renewals:
            return None
        lease_ms = max(1, math.ceil(lease * 1000))
        reply = await self._call(
            self._claim_script(keys=self._keys(key), args=[self._owner, lease_ms])
        )
        state, tracking_id, outcome = (_text(part) for part in reply)
        if state == "held":
            return None
        record = JournalRecord(
            key,
            tracking_id=tracking_id,
            outcome=load_outcome(key, outcome) if outcome is not None else None,
        )
        if state == "claimed":
            self._renewals[key] = asyncio.create_task(self._renew(key, lease_ms))
        return record

    async def record_tracking_id(self, key: str, tracking_id: str) -> None:
        _check_key(key)
        await self._record(key, tracking_id, "")

    async def record_outcome(self, key: str, outcome: JobOutcome) -> None:
        _check_key(key)
        await self._record(key, outcome.tracking_id, dump_outcome(outcome))
        self._stop_renewing(key)

    async def release(self, key: str) -> None:
        if self._stop_renewing(key):
            await self._call(self._renew_script(keys=[self._keys(key)[1]], args=[self._owner, ""]))

    async def get(self, key: str) -> JournalRecord | None:
        _check_key(key)
        tracking_id, outcome = (
            _text(part)
            for part in await self._call(
                self._redis.hmget(self._keys(key)[0], ["tracking_id", "outcome"])
            )
        )
        if tracking_id is None and outcome is None:
            return None
        return JournalRecord(
            key,
            tracking_id=tracking_id,
            outcome=load_outcome(key, outcome) if outcome is not None else None,
        )

    # ------------------------------------------------------------ helpers

    def _keys(self, key: str) -> list[str]:
        # One hash tag per batch: a Redis Cluster keeps a batch's keys on one node, as
        # the scripts need.
        base = f"{self._prefix}{{{self._name}}}:"
        return [f"{base}job:{key}", f"{base}claim:{key}"]

    async def _record(self, key: str, tracking_id: str, outcome: str) -> None:
        if key not in self._renewals:
            raise JournalError(f"job {key!r} is not claimed by this journal: claim() it first")
        written = await self._call(
            self._record_script(
                keys=self._keys(key),
                args=[self._owner, tracking_id, outcome, datetime.now(UTC).isoformat()],
            )
        )
        if not written:
            self._stop_renewing(key)
            raise JournalError(
                f"job {key!r} is no longer claimed by this worker: its lease ran out (was"
                " this process stalled, or Redis unreachable, for longer than the lease?)"
                " and another worker may be sending it; nothing was recorded"
            )

    async def _renew(self, key: str, lease_ms: int) -> None:
        """Extend the claim every third of the lease until stopped or lost."""
        while True:
            await asyncio.sleep(lease_ms / 3000)
            try:
                kept = await self._renew_script(
                    keys=[self._keys(key)[1]], args=[self._owner, lease_ms]
                )
            except RedisError as exc:
                logger.warning(
                    "journal %r: could not renew the claim of job %r (%s); retrying",
                    self._name,
                    key,
                    type(exc).__name__,
                )
                continue
            if not kept:
                logger.warning(
                    "journal %r: the claim of job %r ran out before it was renewed;"
                    " another worker may take the job over",
                    self._name,
                    key,
                )
                return

    def _stop_renewing(self, key: str) -> bool:
        task = self._renewals.pop(key, None)
        if task is None:
            return False
        task.cancel()
        return True

    async def _call(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except RedisError as exc:
            raise JournalError(
                f"the Redis journal {self._name!r} failed ({type(exc).__name__}: {exc});"
                " check that Redis is reachable"
            ) from None


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise JournalError(f"a job key must be a non-empty str, got {key!r}")

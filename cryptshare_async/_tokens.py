"""Where verification tokens are kept between calls (and, with a file, between runs).

A token is valid for one (server, client id, sender email) triple, so that triple is
the key. The client id itself is never stored: the key holds a SHA-256 fingerprint.

Example::

    store = FileTokenStore("~/.config/cryptshare/tokens.json")
    client = CryptshareClient(url, client_id=cid, token_store=store)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from attrs import define, field

from ._errors import ConfigurationError, CryptshareError
from ._file_lock import CROSS_PROCESS, FileLock, LockTimeoutError

__all__ = ["FileTokenStore", "MemoryTokenStore", "StoredToken", "TokenKey", "TokenStore"]

logger = logging.getLogger("cryptshare_async")
T = TypeVar("T")
Document = dict[str, Any]


@define(frozen=True, slots=True)
class TokenKey:
    """Identifies whose token it is. Build it with :meth:`for_sender`."""

    server: str
    client_fingerprint: str
    email: str

    @classmethod
    def for_sender(cls, server: str, client_id: str, email: str) -> TokenKey:
        """Key for ``email`` at ``server`` with ``client_id``.

        The email is compared case-insensitively (servers treat addresses that way);
        the client id is reduced to a fingerprint.
        """
        fingerprint = hashlib.sha256(client_id.encode("ascii")).hexdigest()[:32]
        return cls(server=server.rstrip("/"), client_fingerprint=fingerprint, email=email.lower())

    def as_string(self) -> str:
        return f"{self.server}|{self.client_fingerprint}|{self.email}"


@define(frozen=True, slots=True)
class StoredToken:
    """A verification token and when it stops being valid (``None``: unknown)."""

    token: str = field(repr=False)
    valid_until: datetime | None = None

    def is_usable(self, *, now: datetime | None = None, margin: timedelta) -> bool:
        """True unless the token expires within ``margin`` from ``now``."""
        if self.valid_until is None:
            return True
        current = now or datetime.now(UTC)
        return self.valid_until - margin > current

    def is_expired(self, *, now: datetime | None = None) -> bool:
        """True once ``valid_until`` has passed (never when it is unknown)."""
        return not self.is_usable(now=now, margin=timedelta(0))


@runtime_checkable
class TokenStore(Protocol):
    """Storage for tokens. Implementations must be safe to call concurrently.

    A store may also offer ``async def discard(key, token: str) -> None``: delete the
    entry only if it still holds ``token``, atomically. The client then uses it to drop a
    token the server refused without any risk of dropping a newer one saved meanwhile
    (by another process sharing the store, say); without it, it reads, compares and
    deletes.

    A store shared between processes may also offer ``fetch_lock(key)``, an async
    context manager held across processes (see :class:`SupportsFetchLock`): the client
    then fetches a missing token under it, after looking in the store once more, so a
    fleet of workers starting together makes one verification request per sender.
    """

    async def get(self, key: TokenKey) -> StoredToken | None: ...

    async def set(self, key: TokenKey, token: StoredToken) -> None: ...

    async def delete(self, key: TokenKey) -> None: ...


@runtime_checkable
class SupportsDiscard(Protocol):
    """A :class:`TokenStore` that can delete an entry only if it holds a given token."""

    async def discard(self, key: TokenKey, token: str) -> None: ...


@runtime_checkable
class SupportsFetchLock(Protocol):
    """A :class:`TokenStore` whose processes take turns fetching a token for one key."""

    def fetch_lock(self, key: TokenKey) -> AbstractAsyncContextManager[None]: ...


class MemoryTokenStore:
    """Keeps tokens in this process only (the default)."""

    def __init__(self) -> None:
        self._tokens: dict[TokenKey, StoredToken] = {}

    def __repr__(self) -> str:
        return f"MemoryTokenStore(<{len(self._tokens)} tokens>)"

    async def get(self, key: TokenKey) -> StoredToken | None:
        return self._tokens.get(key)

    async def set(self, key: TokenKey, token: StoredToken) -> None:
        self._tokens[key] = token

    async def delete(self, key: TokenKey) -> None:
        self._tokens.pop(key, None)

    async def discard(self, key: TokenKey, token: str) -> None:
        """Delete the entry only if it still holds ``token``."""
        stored = self._tokens.get(key)
        if stored is not None and stored.token == token:
            del self._tokens[key]


class FileTokenStore:
    """Keeps tokens in a JSON file readable by its owner only (mode 0600).

    - **Shared safely.** Every change takes an exclusive lock on a sibling file
      (``<name>.lock``, ``fcntl.flock``), reads the file again, applies its one change and
      replaces the file atomically (a temporary file, flushed to disk, renamed over it).
      So several instances and several processes can write one file and no key is lost.
      Reads take no lock: they see the old or the new file, never half of one. Without
      ``fcntl`` (Windows) only writers in this process are serialised; writers in
      several processes may then lose each other's changes (the last writer wins).
    - **No leftovers.** Temporary files are created 0600 and named ``.<name>.tmp-*``; one
      left by a killed writer is removed, under the lock, before the next write and when
      a store is made while no writer is active.
    - **Damage is skipped, not fatal.** An entry that is not a valid token (wrong types,
      a bad or zone-less date) is skipped as if missing, with a warning on the
      ``cryptshare_async`` logger. A file that is not UTF-8 JSON holding an object is
      reported once, treated as empty, and replaced by the next write (what it held could
      not be read anyway). Warnings never show a token.
    - **Checked at once.** A path that is a folder, a parent that is a file, or a folder
      this process cannot write raise :class:`ConfigurationError` when the store is made.

    File I/O runs in a worker thread, never on the event loop (only the checks made when
    the store is constructed are synchronous).

    Example::

        store = FileTokenStore("~/.config/cryptshare/tokens.json")
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path).expanduser()
        self._lock_path = self._path.with_name(self._path.name + ".lock")
        self._temp_prefix = f".{self._path.name}.tmp-"
        self._lock = asyncio.Lock()
        self._reported: set[str] = set()
        _check_location(self._path)
        self._sweep_if_idle()

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self._path)!r})"

    @property
    def path(self) -> Path:
        return self._path

    async def get(self, key: TokenKey) -> StoredToken | None:
        async with self._lock:
            document = await asyncio.to_thread(self._guarded, self._read)
        if key.as_string() not in document:
            return None
        parsed = _parse_entry(document[key.as_string()])
        if isinstance(parsed, str):
            self._report(f"skipped the entry of {key.email} at {key.server}: {parsed}")
            return None
        return parsed

    async def set(self, key: TokenKey, token: StoredToken) -> None:
        entry: dict[str, str | None] = {
            "token": token.token,
            "valid_until": token.valid_until.isoformat() if token.valid_until else None,
        }

        def change(document: Document) -> bool:
            document[key.as_string()] = entry
            return True

        async with self._lock:
            await asyncio.to_thread(self._guarded, lambda: self._update(change))

    async def delete(self, key: TokenKey) -> None:
        await self._remove(key, None)

    async def discard(self, key: TokenKey, token: str) -> None:
        """Delete the entry only if it still holds ``token`` (atomically, under the lock)."""
        await self._remove(key, token)

    async def _remove(self, key: TokenKey, token: str | None) -> None:
        name = key.as_string()

        def holds(document: Document) -> bool:
            if name not in document:
                return False
            entry = document[name]
            return token is None or (isinstance(entry, dict) and entry.get("token") == token)

        def change(document: Document) -> bool:
            if not holds(document):
                return False
            del document[name]
            return True

        async with self._lock:
            # Nothing to remove in the file as it is now: no lock, no write (nor a folder
            # made for nothing); a writer adding the key after this read comes later.
            if not holds(await asyncio.to_thread(self._guarded, self._read)):
                return
            await asyncio.to_thread(self._guarded, lambda: self._update(change))

    # ------------------------------------------------------------ worker-thread side

    def _guarded(self, action: Callable[[], T]) -> T:
        """Run ``action``, turning I/O failures into a :class:`CryptshareError`."""
        try:
            return action()
        except LockTimeoutError as exc:
            raise CryptshareError(
                f"token store {str(self._path)!r}: {exc}; is another process stuck?"
            ) from None
        except OSError as exc:
            raise CryptshareError(
                f"token store {str(self._path)!r} could not be read or written:"
                f" {exc.strerror or type(exc).__name__}; check the path and its permissions"
            ) from exc

    def _update(self, change: Callable[[Document], bool]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with FileLock(self._lock_path):
            document = self._read()
            self._sweep()
            if change(document):
                self._write(document)

    def _read(self) -> Document:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            document = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            problem = "it is not UTF-8 text"
        except (ValueError, RecursionError):
            problem = "it is not valid JSON"
        else:
            if isinstance(document, dict):
                return document
            problem = "it does not hold a JSON object"
        self._report(
            f"cannot be read ({problem}): treated as empty; the next token saved replaces it"
        )
        return {}

    def _write(self, document: Document) -> None:
        fd, tmp = tempfile.mkstemp(prefix=self._temp_prefix, dir=self._path.parent)  # 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _sync_folder(self._path.parent)

    def _sweep(self) -> None:
        """Remove temporary files of this store (call only while holding the lock: then
        no writer is active and every such file is a killed writer's leftover).

        Without a cross-process lock another process may be writing one right now, so
        only files older than any write could take are removed; likewise for the names
        earlier versions used (they took no lock).
        """
        now = time.time()
        with os.scandir(self._path.parent) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(self._temp_prefix):
                    stale = CROSS_PROCESS or _older_than_any_write(entry, now)
                else:
                    stale = _LEGACY_TEMP.fullmatch(name) is not None and _older_than_any_write(
                        entry, now
                    )
                if stale:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)

    def _sweep_if_idle(self) -> None:
        if not CROSS_PROCESS or not self._path.parent.is_dir():
            return
        lock = FileLock(self._lock_path)
        try:
            if lock.acquire(blocking=False):
                try:
                    self._sweep()
                finally:
                    lock.release()
        except OSError:
            pass  # a best effort: the next write sweeps (and reports a real problem)

    def _report(self, problem: str) -> None:
        if problem not in self._reported:
            self._reported.add(problem)
            logger.warning("token store %r %s", str(self._path), problem)


# mkstemp names of earlier versions: ".tokens-" and 8 characters, in the store's folder.
_LEGACY_TEMP = re.compile(r"\.tokens-[a-z0-9_]{8}")
_WRITE_TIME_BOUND = 600.0  # seconds; a write takes milliseconds


def _older_than_any_write(entry: os.DirEntry[str], now: float) -> bool:
    try:
        return entry.is_file(follow_symlinks=False) and (
            now - entry.stat(follow_symlinks=False).st_mtime > _WRITE_TIME_BOUND
        )
    except OSError:
        return False


def _parse_entry(entry: object) -> StoredToken | str:
    """The token in ``entry``, or why it is not one (never showing the values)."""
    if not isinstance(entry, dict):
        return "the entry is not a JSON object"
    token = entry.get("token")
    if not isinstance(token, str) or not token:
        return "its token is not a non-empty string"
    until = entry.get("valid_until")
    if until is None:
        return StoredToken(token=token)
    if not isinstance(until, str):
        return "its valid_until is not a string"
    try:
        valid_until = datetime.fromisoformat(until)
    except ValueError:
        return "its valid_until is not an ISO 8601 date"
    if valid_until.tzinfo is None:
        return "its valid_until has no time zone"
    return StoredToken(token=token, valid_until=valid_until)


def _check_location(path: Path) -> None:
    """Raise :class:`ConfigurationError` unless a token file can be kept at ``path``."""
    where = f"token store {str(path)!r}"
    try:
        if path.is_dir():
            raise ConfigurationError(
                f"{where} is a folder; give a file path such as {str(path / 'tokens.json')!r}"
            )
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise ConfigurationError(
                f"{where}: {str(folder)!r} is a file, not a folder; choose another path"
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigurationError(
                f"{where}: this process cannot write in {str(folder)!r}; choose a folder"
                " it can write, or change the folder's permissions"
            )
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise ConfigurationError(
                f"{where}: this process cannot read and write the file; fix its permissions"
            )
    except OSError as exc:
        raise ConfigurationError(
            f"{where} cannot be used: {exc.strerror or type(exc).__name__}"
        ) from exc


def _sync_folder(folder: Path) -> None:
    """Flush the rename to disk (where folders can be opened; not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

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
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

from attrs import define, field

from ._errors import CryptshareError

__all__ = ["FileTokenStore", "MemoryTokenStore", "StoredToken", "TokenKey", "TokenStore"]


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
    """Storage for tokens. Implementations must be safe to call concurrently."""

    async def get(self, key: TokenKey) -> StoredToken | None: ...

    async def set(self, key: TokenKey, token: StoredToken) -> None: ...

    async def delete(self, key: TokenKey) -> None: ...


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


class FileTokenStore:
    """Keeps tokens in a JSON file readable by its owner only (mode 0600).

    Every write goes to a temporary file in the same folder, is flushed to disk and
    renamed over the old file, so a crash never leaves a half-written store. File I/O
    runs in a worker thread so it never blocks the event loop. Several processes sharing
    one file each keep their own view; the last writer wins.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path).expanduser()
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self._path)!r})"

    @property
    def path(self) -> Path:
        return self._path

    def _read(self) -> dict[str, dict[str, str | None]]:
        try:
            text = self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise CryptshareError(
                f"token store {str(self._path)!r} is not valid JSON; delete it to start afresh"
            ) from exc
        if not isinstance(document, dict):
            raise CryptshareError(f"token store {str(self._path)!r} does not hold a JSON object")
        return document

    def _write(self, document: dict[str, dict[str, str | None]]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=self._path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    async def get(self, key: TokenKey) -> StoredToken | None:
        async with self._lock:
            document = await asyncio.to_thread(self._read)
        entry = document.get(key.as_string())
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            return None
        until = entry.get("valid_until")
        valid_until = datetime.fromisoformat(until) if isinstance(until, str) else None
        return StoredToken(token=str(entry["token"]), valid_until=valid_until)

    async def set(self, key: TokenKey, token: StoredToken) -> None:
        entry: dict[str, str | None] = {
            "token": token.token,
            "valid_until": token.valid_until.isoformat() if token.valid_until else None,
        }
        async with self._lock:

            def update() -> None:
                document = self._read()
                document[key.as_string()] = entry
                self._write(document)

            await asyncio.to_thread(update)

    async def delete(self, key: TokenKey) -> None:
        async with self._lock:

            def update() -> None:
                document = self._read()
                if document.pop(key.as_string(), None) is not None:
                    self._write(document)

            await asyncio.to_thread(update)

"""Getting, caching and refreshing verification tokens, one request per sender at a time.

Internal: users reach this through :class:`~cryptshare_async.Sender`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from ._errors import VerificationError
from ._tokens import StoredToken, TokenKey, TokenStore

__all__ = ["TokenManager"]

Fetch = Callable[[], Awaitable[StoredToken]]


class TokenManager:
    """Hands out valid tokens from a :class:`TokenStore`, fetching missing ones once.

    Concurrent callers that need a token for the same key while none is usable share
    one fetch (single flight): a worker pool of 50 tasks starting at once makes one
    verification request, not 50.
    """

    def __init__(self, store: TokenStore, *, refresh_margin: timedelta) -> None:
        self._store = store
        self._margin = refresh_margin
        self._inflight: dict[TokenKey, asyncio.Future[StoredToken]] = {}

    @property
    def store(self) -> TokenStore:
        return self._store

    async def cached(self, key: TokenKey) -> StoredToken | None:
        """The stored token if it is still usable, else ``None`` (an expired one is dropped)."""
        stored = await self._store.get(key)
        if stored is None:
            return None
        if not stored.is_usable(margin=self._margin):
            await self._store.delete(key)
            return None
        return stored

    async def obtain(self, key: TokenKey, fetch: Fetch | None) -> StoredToken:
        """A usable token: the cached one, or one fetched with ``fetch`` (shared).

        Without ``fetch`` (automatic verification off), a missing token raises
        :class:`VerificationError` telling the caller how to verify.
        """
        while True:
            stored = await self.cached(key)
            if stored is not None:
                return stored
            if fetch is None:
                raise _not_verified(key.email)
            pending = self._inflight.get(key)
            if pending is None:
                return await self._fetch(key, fetch)
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                # The task that was fetching was cancelled, not us: try again.

    async def _fetch(self, key: TokenKey, fetch: Fetch) -> StoredToken:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[StoredToken] = loop.create_future()
        self._inflight[key] = future
        try:
            token = await fetch()
            await self._store.set(key, token)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: there may be no other waiter
            raise
        else:
            future.set_result(token)
            return token
        finally:
            self._inflight.pop(key, None)

    async def save(self, key: TokenKey, token: StoredToken) -> None:
        await self._store.set(key, token)

    async def forget(self, key: TokenKey, token: str | None = None) -> None:
        """Drop the stored token (only if it is still ``token``, when given)."""
        if token is not None:
            stored = await self._store.get(key)
            if stored is None or stored.token != token:
                return
        await self._store.delete(key)


def _not_verified(email: str) -> VerificationError:
    return VerificationError(
        status=0,
        error_code=3002,
        error_message=(
            f"no valid verification token for {email}: call sender.verify_with_client_id(),"
            " or sender.request_email_code() then sender.verify_with_code(code)"
        ),
        method="-",
        path="(not sent)",
    )

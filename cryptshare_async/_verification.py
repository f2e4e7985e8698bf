"""Getting, caching and refreshing verification tokens, one request per sender at a time,
and sending a request with the right token.

Internal: users reach this through :class:`~cryptshare_async.Sender`.

Which token a request carries:

- a request of a transfer session made by ``create_session`` carries the token that
  created the session, always (the server binds a session to that token and refuses any
  other with 401/3002);
- every other request (listings, transfers, policy, handles from ``sender.resume_session(id)``)
  carries the sender's current token from the :class:`TokenStore`.

A token is used until the server refuses it. Only with automatic verification by client
id, where a fetch costs nothing, is a token that expires within the refresh margin
replaced ahead of time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from attrs import define

from . import _protocol as protocol
from ._errors import (
    ConfigurationError,
    CryptshareError,
    SessionTokenRejectedError,
    VerificationError,
)
from ._protocol import ApiRequest, ApiResponse, TokenUse
from ._tokens import StoredToken, SupportsDiscard, SupportsFetchLock, TokenKey, TokenStore

__all__ = ["Fetch", "SendWith", "Sent", "TokenManager", "is_token_rejection"]

logger = logging.getLogger("cryptshare_async")

Fetch = Callable[[], Awaitable[StoredToken]]
"""Gets a new token from the server (automatic verification by client id)."""

SendWith = Callable[[str | None], Awaitable[ApiResponse]]
"""Sends one request with the given token (``None``: without one)."""


@define(frozen=True, slots=True)
class Sent:
    """An answer and the token the request carried (``None``: none).

    The token is a :class:`StoredToken`, whose repr hides the secret.
    """

    response: ApiResponse
    token: StoredToken | None


class TokenManager:
    """Hands out tokens from a :class:`TokenStore`, fetching missing ones once.

    Concurrent callers that need a token for the same key while none is usable share
    one fetch (single flight): a worker pool of 50 tasks starting at once makes one
    verification request, not 50. With a store that offers a cross-process
    ``fetch_lock`` (``RedisTokenStore``), a fleet of processes does the same.

    ``refresh_margin``: with a fetch at hand (automatic verification by client id), a
    token that expires within this margin is replaced ahead of time; without one (email
    code verification) it is used until it expires or the server refuses it. Keep it
    well below the server's token term, or every call fetches a new token.
    """

    def __init__(self, store: TokenStore, *, refresh_margin: timedelta) -> None:
        if not isinstance(refresh_margin, timedelta) or refresh_margin < timedelta(0):
            raise ConfigurationError(
                f"token_refresh_margin must be a timedelta >= 0, got {refresh_margin!r}"
            )
        self._store = store
        self._margin = refresh_margin
        self._inflight: dict[TokenKey, asyncio.Future[StoredToken]] = {}

    @property
    def store(self) -> TokenStore:
        return self._store

    async def cached(self, key: TokenKey) -> StoredToken | None:
        """The stored token unless it is past its ``valid_until`` (then it is dropped).

        The margin does not apply here: a token the server still accepts is kept.
        """
        stored = await self._store.get(key)
        if stored is None:
            return None
        # The server said when the token stops working; sending it later only earns a
        # 3002, so it is dropped here and the caller learns at once to verify again.
        # A skewed local clock moves this moment by the skew, no more.
        if stored.is_expired():
            await self.forget(key, stored.token)
            return None
        return stored

    async def obtain(self, key: TokenKey, fetch: Fetch | None) -> StoredToken:
        """A token to send: the stored one, or one fetched with ``fetch`` (shared).

        With ``fetch``, a stored token expiring within the margin is refreshed first; if
        that refresh fails, the stored token (still valid) is used. Without ``fetch``
        (automatic verification off), a missing token raises :class:`VerificationError`
        telling the caller how to verify.
        """
        while True:
            stored = await self.cached(key)
            if stored is not None and (fetch is None or stored.is_usable(margin=self._margin)):
                return stored
            if fetch is None:
                raise _not_verified(key.email)
            try:
                fetched = await self._join_or_fetch(key, fetch)
            except CryptshareError as exc:
                if stored is None:
                    raise
                logger.debug(
                    "early token refresh failed (%s); the old token is still valid",
                    type(exc).__name__,
                )
                return stored
            if fetched is not None:
                return fetched
            # The task that was fetching was cancelled, not us: look again.

    async def _join_or_fetch(self, key: TokenKey, fetch: Fetch) -> StoredToken | None:
        pending = self._inflight.get(key)
        if pending is None:
            return await self._fetch(key, fetch)
        try:
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not pending.cancelled() or (task is not None and task.cancelling()):
                raise
            return None

    async def _fetch(self, key: TokenKey, fetch: Fetch) -> StoredToken:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[StoredToken] = loop.create_future()
        self._inflight[key] = future
        try:
            token = await self._fetch_once(key, fetch)
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

    async def _fetch_once(self, key: TokenKey, fetch: Fetch) -> StoredToken:
        """Fetch and store a token; with a store shared between processes, under its
        lock and only if no other process stored a usable one meanwhile."""
        if not isinstance(self._store, SupportsFetchLock):
            token = await fetch()
            await self._store.set(key, token)
            return token
        async with self._store.fetch_lock(key):
            stored = await self.cached(key)
            if stored is not None and stored.is_usable(margin=self._margin):
                return stored
            token = await fetch()
            await self._store.set(key, token)
            return token

    async def save(self, key: TokenKey, token: StoredToken) -> None:
        await self._store.set(key, token)

    async def forget(self, key: TokenKey, token: str | None = None) -> None:
        """Drop the stored token (only if it is still ``token``, when given)."""
        if token is not None and isinstance(self._store, SupportsDiscard):
            await self._store.discard(key, token)
            return
        if token is not None:
            stored = await self._store.get(key)
            if stored is None or stored.token != token:
                return
        await self._store.delete(key)

    async def send_with_token(
        self,
        key: TokenKey,
        request: ApiRequest,
        send: SendWith,
        fetch: Fetch | None,
        *,
        bound: StoredToken | None = None,
    ) -> Sent:
        """Send ``request`` with the right token; return the answer and the token used.

        ``bound`` is the token a transfer session was created with: the request carries
        it and no other. If the server refuses it (3002), it is dropped from the store
        only if the store still holds it, and :class:`SessionTokenRejectedError` says
        to create a new session (a new token cannot help a session bound to the old).

        Without ``bound``, the sender's current token is used. If the server refuses it
        (3002) and ``fetch`` is given, that token alone is dropped, a new one fetched,
        and the request sent once more (a streamed body only if it can be replayed).

        Example::

            sent = await manager.send_with_token(key, request, send, fetch)
            sent.response.status, sent.token  # the answer, the token it was sent with
        """
        if request.token is TokenUse.NONE:
            return Sent(await send(None), None)
        if request.token is TokenUse.OPTIONAL:
            current = bound or await self.cached(key)
            return Sent(await send(current.token if current else None), current)
        if bound is not None:
            # Not checked against valid_until: the server may have extended the token
            # (its idle term restarts with use), and it alone decides.
            response = await send(bound.token)
            if not is_token_rejection(request, response):
                return Sent(response, bound)
            await self.forget(key, bound.token)
            raise _session_token_rejected(request, response)
        stored = await self.obtain(key, fetch)
        response = await send(stored.token)
        if fetch is None or not is_token_rejection(request, response):
            return Sent(response, stored)
        await self.forget(key, stored.token)
        fresh = await self.obtain(key, fetch)
        if fresh.token == stored.token:
            return Sent(response, stored)
        return Sent(await send(fresh.token), fresh)


def is_token_rejection(request: ApiRequest, response: ApiResponse) -> bool:
    """True if the server refused the request's token (401/403 with errorCode 3002)."""
    if response.status not in {401, 403}:
        return False
    error = protocol.error_for_response(request, response)
    return isinstance(error, VerificationError) and error.error_code == 3002


def _session_token_rejected(request: ApiRequest, response: ApiResponse) -> CryptshareError:
    server = protocol.error_for_response(request, response)
    reason = f" (the server said: {server.error_message})" if server.error_message else ""
    error = SessionTokenRejectedError(
        status=server.status,
        error_code=server.error_code,
        error_message=(
            "the transfer session was created with a verification token the server no"
            f" longer accepts{reason}; a session only works with the token that created it,"
            " so verifying again cannot help: create a new session"
        ),
        method=server.method,
        path=server.path,
    )
    error.__cause__ = server
    return error


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

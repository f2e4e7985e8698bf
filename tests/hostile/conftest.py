"""Fixtures of the hostile-server tests: a client on a scripted peer, secrets pre-seeded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from cryptshare_async import CryptshareClient, RetryPolicy, Timeouts
from cryptshare_async._tokens import StoredToken

from .checks import CLIENT_ID, TOKEN
from .server import Route, ScriptedServer

SENDER = "alice@example.com"
#: Small, so that stalls and drips end fast; healthy replies are written at once.
READ_TIMEOUT = 0.1

Connect = Callable[..., AbstractAsyncContextManager[tuple[ScriptedServer, CryptshareClient]]]


@asynccontextmanager
async def connected(
    route: Route, *, read: float = READ_TIMEOUT
) -> AsyncIterator[tuple[ScriptedServer, CryptshareClient]]:
    """A scripted server and a client on it whose sender already holds a token.

    Tests that expect success pass a generous ``read`` timeout."""
    async with ScriptedServer(route) as server:
        client = CryptshareClient(
            server.url,
            client_id=CLIENT_ID,
            timeouts=Timeouts(connect=2.0, read=read),
            retry=RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_max=0.002),
        )
        async with client:
            await client._tokens.save(client.token_key(SENDER), StoredToken(TOKEN))
            yield server, client


@pytest.fixture
def connect() -> Connect:
    return connected

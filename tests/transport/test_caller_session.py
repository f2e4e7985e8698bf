"""A caller's aiohttp session keeps the library's timeouts and per-request settings."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from cryptshare_async import (
    ApiRequest,
    ConfigurationError,
    CryptshareClient,
    RequestTimeoutError,
    RetryPolicy,
    Timeouts,
    generate_client_id,
)
from cryptshare_async.testing import MockTransport

from .httppeer import Peer, Seen, response

CID = generate_client_id()
BODY = b'{"data": {"password": "p"}}'


async def drip(seen: Seen, writer: asyncio.StreamWriter) -> None:
    """Answer over ~2 s, bytes moving every 0.2 s (leading blanks are valid JSON)."""
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {10 + len(BODY)}\r\nConnection: close\r\n\r\n".encode()
    )
    for _ in range(10):
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.2)
    writer.write(BODY)


class SlowBody:
    """An upload body that takes ~2 s, 10 chunks 0.2 s apart."""

    size = 10 * 1024

    async def _chunks(self) -> AsyncIterator[bytes]:
        for _ in range(10):
            await asyncio.sleep(0.2)
            yield b"x" * 1024

    def open(self) -> AsyncIterator[bytes]:
        return self._chunks()


def short_session() -> aiohttp.ClientSession:
    # What aiohttp does by default, only shorter: a total timeout kills long transfers.
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1))


async def test_a_slow_answer_outlives_the_sessions_total_timeout() -> None:
    async with Peer(drip) as peer, short_session() as session:
        client = CryptshareClient(peer.url, client_id=CID, session=session)
        assert await client.generate_password() == "p"


async def test_a_slow_upload_outlives_the_sessions_total_timeout() -> None:
    async def ok(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(response(b"{}"))

    async with Peer(ok) as peer, short_session() as session:
        client = CryptshareClient(peer.url, client_id=CID, session=session)
        answer = await client.request(ApiRequest("PUT", "/slow"), body=SlowBody())
    assert answer.status == 200
    assert peer.seen[0].body == b"x" * SlowBody.size


async def test_the_librarys_read_timeout_still_bounds_a_stalled_answer() -> None:
    async def stall(seen: Seen, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(20)

    async with Peer(stall) as peer, aiohttp.ClientSession() as session:
        client = CryptshareClient(
            peer.url,
            client_id=CID,
            session=session,
            timeouts=Timeouts(connect=5, read=0.3),
            retry=RetryPolicy.disabled(),
        )
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            await client.generate_password()
        assert time.monotonic() - started < 5


def sent_options(mocked: aioresponses) -> dict[str, Any]:
    ((_, calls),) = mocked.requests.items()
    return dict(calls[0].kwargs)


@pytest.mark.parametrize("own_session", [False, True])
async def test_every_request_carries_the_settings(own_session: bool) -> None:
    context = ssl.create_default_context()
    async with aiohttp.ClientSession() as session:
        with aioresponses() as mocked:
            mocked.get("https://x.y/api/password", payload={"data": {"password": "p"}})
            async with CryptshareClient(
                "https://x.y",
                client_id=CID,
                session=None if own_session else session,
                timeouts=Timeouts(connect=3, read=7),
                ssl_context=context,
                proxy="http://proxy.example.com:3128",
            ) as client:
                await client.generate_password()
            options = sent_options(mocked)
    timeout = options["timeout"]
    assert (timeout.total, timeout.sock_connect, timeout.sock_read) == (None, 3, 7)
    assert options["ssl"] is context
    assert options["proxy"] == URL("http://proxy.example.com:3128")
    assert options["raise_for_status"] is False
    assert options["headers"]["User-Agent"].startswith("cryptshare-async/")


async def test_a_sessions_own_user_agent_is_kept() -> None:
    async with aiohttp.ClientSession(headers={"User-Agent": "acme/2"}) as session:
        with aioresponses() as mocked:
            mocked.get("https://x.y/api/password", payload={"data": {"password": "p"}})
            async with CryptshareClient("https://x.y", client_id=CID, session=session) as client:
                await client.generate_password()
            assert sent_options(mocked)["headers"]["User-Agent"] == "acme/2"


async def test_a_session_raising_for_status_still_gets_typed_errors() -> None:
    async with (
        Peer(lambda seen, writer: _write(writer, response(b"{}", status=404))) as peer,
        aiohttp.ClientSession(raise_for_status=True) as session,
    ):
        client = CryptshareClient(peer.url, client_id=CID, session=session)
        answer = await client.request(ApiRequest("GET", "/missing"))
    assert answer.status == 404


async def _write(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_connections": 5}, "TCPConnector"),
        ({"max_connections_per_host": 5}, "TCPConnector"),
        ({"max_connections": 5, "max_connections_per_host": 5}, "max_connections and"),
        ({"trust_env": False}, "trust_env"),
        ({"trust_env": True}, "trust_env"),
    ],
)
async def test_settings_a_session_cannot_take_are_refused(
    kwargs: dict[str, Any], match: str
) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ConfigurationError, match=match):
            CryptshareClient("https://x.y", client_id=CID, session=session, **kwargs)


async def test_a_closed_session_is_refused() -> None:
    session = aiohttp.ClientSession()
    await session.close()
    with pytest.raises(ConfigurationError, match="closed"):
        CryptshareClient("https://x.y", client_id=CID, session=session)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeouts": Timeouts()},
        {"max_connections": 5},
        {"max_connections_per_host": 5},
        {"ssl_context": ssl.create_default_context()},
        {"proxy": "http://proxy.example.com:3128"},
        {"trust_env": False},
    ],
)
def test_settings_a_custom_transport_would_ignore_are_refused(kwargs: dict[str, Any]) -> None:
    transport = MockTransport(lambda request, headers: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigurationError, match=f"{next(iter(kwargs))}.*transport="):
        CryptshareClient("https://x.y", client_id=CID, transport=transport, **kwargs)


def test_pool_defaults_apply_to_the_clients_own_session() -> None:
    client = CryptshareClient("https://x.y", client_id=CID, max_connections=7)
    settings = client.transport.settings  # type: ignore[attr-defined]
    assert (settings.max_connections, settings.max_connections_per_host) == (7, 100)
    assert settings.trust_env is True


@pytest.mark.parametrize("value", ["yes", 1, 0])
def test_trust_env_must_be_a_flag(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="trust_env must be True or False"):
        CryptshareClient("https://x.y", client_id=CID, trust_env=value)


@pytest.mark.parametrize(
    ("url", "trusted"),
    [("https://x.y", True), ("http://127.0.0.1:8080", False), ("http://localhost:1", False)],
)
def test_environment_proxies_never_apply_to_loopback(url: str, trusted: bool) -> None:
    client = CryptshareClient(url, client_id=CID, trust_env=True)
    assert client.transport.settings.trust_env is trusted  # type: ignore[attr-defined]

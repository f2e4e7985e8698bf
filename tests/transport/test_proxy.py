"""Proxies: proxy= and the environment (HTTP_PROXY, NO_PROXY); credentials stay secret."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
from typing import Any

import aiohttp
import pytest

from cryptshare_async import (
    ConfigurationError,
    CryptshareClient,
    MalformedResponseError,
    RetryPolicy,
    TransportError,
    generate_client_id,
)

from .httppeer import Peer, Seen
from .rawpeer import assert_no_secret

CID = generate_client_id()
# Never resolvable: an answer proves the request went through the proxy.
ORIGIN = "http://origin.invalid:8080"
PROXY_SECRET = "Pr0xy-Secret-pw"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def remote(**kwargs: Any) -> CryptshareClient:
    return CryptshareClient(ORIGIN, client_id=CID, allow_insecure_http=True, **kwargs)


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_proxy_parameter_routes_every_request() -> None:
    async with Peer() as proxy, remote(proxy=proxy.url) as client:
        for _ in range(3):
            assert await client.generate_password() == "p"
    assert len(proxy.seen) == 3
    assert {seen.target for seen in proxy.seen} == {ORIGIN + "/api/password"}


async def test_proxy_credentials_are_sent_to_the_proxy_only_and_never_shown() -> None:
    async with Peer() as proxy:
        url = proxy.url.replace("http://", f"http://bob:{PROXY_SECRET}@")
        async with remote(proxy=url) as client:
            await client.generate_password()
            shown = repr(client) + repr(client.transport) + repr(client.transport.settings)  # type: ignore[attr-defined]
    expected = base64.b64encode(f"bob:{PROXY_SECRET}".encode()).decode()
    assert proxy.seen[0].headers["proxy-authorization"] == f"Basic {expected}"
    assert PROXY_SECRET not in shown


async def test_an_unreachable_proxy_fails_without_its_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://bob:{PROXY_SECRET}@127.0.0.1:{dead_port()}"
    async with remote(proxy=url, retry=RetryPolicy(backoff_base=0)) as client:
        with pytest.raises(TransportError) as caught:
            await client.generate_password()
    assert caught.value.attempts == 3
    assert_no_secret(caught.value, [PROXY_SECRET, url])
    for record in caplog.records:
        assert PROXY_SECRET not in record.getMessage() + repr(record.args)


async def test_a_callers_session_goes_through_the_proxy_too() -> None:
    async with Peer() as proxy, aiohttp.ClientSession() as session:
        client = remote(proxy=proxy.url, session=session)
        assert await client.generate_password() == "p"
    assert proxy.seen[0].target == ORIGIN + "/api/password"


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy"])
async def test_the_environment_proxy_is_used(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    async with Peer() as proxy:
        monkeypatch.setenv(variable, proxy.url)
        async with remote() as client:
            assert await client.generate_password() == "p"
    assert [seen.target for seen in proxy.seen] == [ORIGIN + "/api/password"]


@pytest.mark.parametrize(
    ("no_proxy", "kwargs"),
    [
        ("origin.invalid", {}),
        (".invalid", {}),
        ("*", {}),
        ("", {"trust_env": False}),
    ],
)
async def test_no_proxy_and_trust_env_false_go_direct(
    monkeypatch: pytest.MonkeyPatch, no_proxy: str, kwargs: dict[str, Any]
) -> None:
    async with Peer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        if no_proxy:
            monkeypatch.setenv("NO_PROXY", no_proxy)
        async with remote(retry=RetryPolicy.disabled(), **kwargs) as client:
            # Direct means resolving origin.invalid, which fails: the proxy saw nothing.
            with pytest.raises(TransportError):
                await client.generate_password()
    assert proxy.seen == []


async def test_a_loopback_server_is_reached_directly_despite_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with Peer() as server, Peer() as proxy:
        origin = server.url
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with CryptshareClient(origin, client_id=CID) as client:
            await client.generate_password()
        async with CryptshareClient(origin, client_id=CID, proxy=proxy.url) as client:
            await client.generate_password()
    assert [seen.target for seen in server.seen] == ["/api/password"]
    assert [seen.target for seen in proxy.seen] == [origin + "/api/password"]


@pytest.mark.parametrize(
    "proxy",
    [
        f"ftp://bob:{PROXY_SECRET}@proxy.example.com",
        f"https://bob:{PROXY_SECRET}@proxy.example.com:3128",
        f"http://bob:{PROXY_SECRET}@proxy.example.com:3128/path",
        f"http://bob:{PROXY_SECRET}@proxy.example.com:3128/?q=1",
        f"http://bob:{PROXY_SECRET}@proxy.example.com:99999999",
        f"bob:{PROXY_SECRET}@proxy.example.com",
        42,
    ],
)
def test_unusable_proxies_are_refused_without_their_credentials(proxy: Any) -> None:
    with pytest.raises(ConfigurationError, match="proxy") as caught:
        remote(proxy=proxy)
    assert_no_secret(caught.value, [PROXY_SECRET])


async def refuse_tunnel(seen: Seen, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")


@pytest.mark.parametrize("by", ["parameter", "HTTPS_PROXY", "https_proxy"])
async def test_https_servers_are_tunnelled_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch, by: str
) -> None:
    async with Peer(refuse_tunnel) as proxy:
        url = proxy.url.replace("http://", f"http://bob:{PROXY_SECRET}@")
        kwargs: dict[str, Any] = {"retry": RetryPolicy.disabled()}
        if by == "parameter":
            kwargs["proxy"] = url
        else:
            monkeypatch.setenv(by, url)
        async with CryptshareClient("https://origin.invalid", client_id=CID, **kwargs) as client:
            with pytest.raises(TransportError, match="proxy answered HTTP 407") as caught:
                await client.generate_password()
    assert [(seen.method, seen.target) for seen in proxy.seen] == [
        ("CONNECT", "origin.invalid:443")
    ]
    expected = base64.b64encode(f"bob:{PROXY_SECRET}".encode()).decode()
    assert proxy.seen[0].headers["proxy-authorization"] == f"Basic {expected}"
    assert not isinstance(caught.value, MalformedResponseError)
    assert_no_secret(caught.value, [PROXY_SECRET, url])

"""Client construction rules, session ownership, and secrets kept out of reprs."""

from __future__ import annotations

import ssl

import aiohttp
import pytest
from aioresponses import aioresponses

from cryptshare_async import (
    ConfigurationError,
    CryptshareClient,
    CryptshareError,
    MemoryTokenStore,
    Timeouts,
    generate_client_id,
)

CID = generate_client_id()


def test_plain_http_refused_except_loopback_or_opt_in() -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        CryptshareClient("http://share.example.com", client_id=CID)
    for url in (
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9000",
        "http://127.8.9.1",
    ):
        CryptshareClient(url, client_id=CID)
    CryptshareClient("http://share.example.com", client_id=CID, allow_insecure_http=True)


@pytest.mark.parametrize(
    "bad", ["share.example.com", "ftp://x.y", "https://x.y/?a=1", "https:///nohost"]
)
def test_bad_base_urls(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        CryptshareClient(bad, client_id=CID)


def test_base_url_with_or_without_api_suffix() -> None:
    for url in ("https://x.example.com", "https://x.example.com/", "https://x.example.com/api/"):
        assert str(CryptshareClient(url, client_id=CID).base_url) == "https://x.example.com/"
    prefixed = CryptshareClient("https://x.example.com/cs/", client_id=CID)
    assert str(prefixed.base_url) == "https://x.example.com/cs"


def test_bad_settings_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        CryptshareClient("https://x.y", client_id="short")
    with pytest.raises(ConfigurationError):
        CryptshareClient("https://x.y", client_id=CID, minimum_minor_version=-1)
    with pytest.raises(ConfigurationError):
        CryptshareClient("https://x.y", client_id=CID, language="en\r\nX: 1")
    with pytest.raises(ValueError):
        Timeouts(connect=0)


def test_construction_outside_a_loop_creates_no_session() -> None:
    client = CryptshareClient("https://x.y", client_id=CID)
    assert client.transport._session is None


async def test_own_session_is_closed_and_use_after_close_fails() -> None:
    with aioresponses() as mocked:
        mocked.get("https://x.y/api/password", payload={"data": {"password": "p"}})
        client = CryptshareClient("https://x.y", client_id=CID)
        await client.generate_password()
        session = client.transport._session
        assert session is not None and not session.closed
        await client.aclose()
        assert session.closed
        await client.aclose()
        with pytest.raises(CryptshareError, match="closed"):
            await client.generate_password()


async def test_callers_session_is_used_and_never_closed() -> None:
    async with aiohttp.ClientSession() as session:
        with aioresponses() as mocked:
            mocked.get("https://x.y/api/password", payload={"data": {"password": "p"}})
            async with CryptshareClient("https://x.y", client_id=CID, session=session) as client:
                assert await client.generate_password() == "p"
        assert not session.closed


async def test_ssl_context_reaches_the_connector() -> None:
    context = ssl.create_default_context()
    async with CryptshareClient("https://x.y", client_id=CID, ssl_context=context) as client:
        session = await client.transport._get_session()
        assert session.connector is not None
        assert session.connector._ssl is context  # type: ignore[attr-defined]
        assert session.connector.limit == 100


def test_reprs_hold_no_secrets() -> None:
    store = MemoryTokenStore()
    client = CryptshareClient("https://x.y", client_id=CID, token_store=store)
    sender = client.sender("alice@example.com")
    for obj in (
        client,
        sender,
        sender.resume_session("T1"),
        sender.transfer("T1"),
        client.transport.settings,
    ):
        assert CID not in repr(obj)

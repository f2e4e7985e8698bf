"""Malformed answers from a raw peer: typed errors, no secret anywhere in the chain."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest

from cryptshare_async import (
    ApiError,
    CryptshareError,
    MalformedResponseError,
    NotFoundError,
    RequestTimeoutError,
    ResponseParseError,
    ResponseTooLargeError,
    RetryPolicy,
    ServerError,
    Timeouts,
    TransportError,
)
from cryptshare_async import _protocol as protocol

from .rawpeer import PASSWORD, TOKEN, RawServer, assert_no_secret, client_for

OK_HEAD = b"HTTP/1.1 200 OK\r\n"
DEEP = b"[" * 100_000 + b"]" * 100_000


def answer(status: bytes, body: bytes, *headers: bytes) -> bytes:
    extra = b"".join(h + b"\r\n" for h in headers)
    return (
        b"HTTP/1.1 " + status + b"\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body
    )


BOMB = gzip.compress(b"0" * (64 << 20), 9)

MALFORMED = {
    "bad status line": b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
    "not HTTP at all": b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
    "bad header line": OK_HEAD + b"Bad Header Line\r\nContent-Length: 2\r\n\r\n{}",
    "header too long": OK_HEAD + b"X-Long: " + b"a" * 100_000 + b"\r\nContent-Length: 2\r\n\r\n{}",
    "too many headers": OK_HEAD
    + b"".join(b"X-H%d: v\r\n" % i for i in range(1000))
    + b"Content-Length: 2\r\n\r\n{}",
    "100 KB Location": answer(b"201 Created", b"", b"Location: /" + b"L" * 100_000),
    "invalid chunked encoding": OK_HEAD
    + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    "broken gzip": answer(b"200 OK", b"0123456789", b"Content-Encoding: gzip"),
}


def session_request() -> protocol.ApiRequest:
    return protocol.get_session_request("alice@example.com", "T1")


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_answers_are_typed_and_not_retried(raw: bytes) -> None:
    async with RawServer(lambda n: raw) as server, client_for(server.url) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.request(session_request(), token=TOKEN)
    error = caught.value
    assert isinstance(error, TransportError) and isinstance(error, ResponseParseError)
    assert error.method == "GET" and error.path.endswith("/transfer-sessions/T1")
    assert "not valid HTTP" in str(error)
    assert error.__cause__ is None and error.__context__ is None
    assert server.requests == 1  # a malformed answer would be malformed again
    assert_no_secret(error)


async def test_a_truncated_body_is_a_transport_error_and_retried() -> None:
    raw = OK_HEAD + b'Content-Length: 100\r\n\r\n{"data":'
    async with RawServer(lambda n: raw) as server, client_for(server.url) as client:
        with pytest.raises(TransportError) as caught:
            await client.request(session_request(), token=TOKEN)
    assert type(caught.value) is TransportError
    assert "ClientPayloadError" in str(caught.value)
    assert server.requests == 2
    assert_no_secret(caught.value)


async def test_the_recipient_password_is_not_in_the_error() -> None:
    request = protocol.recipient_info_request("X7hk2pQr9a", password=PASSWORD)
    raw = MALFORMED["bad header line"]
    async with RawServer(lambda n: raw) as server, client_for(server.url) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.request(request)
    assert b"X-CS-Password" in server.heads[0]
    assert_no_secret(caught.value)


async def test_a_gzip_bomb_stops_at_the_limit() -> None:
    raw = answer(b"200 OK", BOMB, b"Content-Encoding: gzip")
    assert len(BOMB) < (1 << 20)  # under 1 MiB on the wire, 64 MiB decompressed
    async with RawServer(lambda n: raw) as server, client_for(server.url) as client:
        with pytest.raises(ResponseTooLargeError) as caught:
            await client.request(session_request(), token=TOKEN)
    assert caught.value.limit == 4 * 1024 * 1024
    assert "max_response_bytes" in str(caught.value)
    assert server.requests == 1
    assert_no_secret(caught.value)


async def test_the_limit_is_configurable_and_announced_lengths_are_refused_early() -> None:
    body = json.dumps({"data": {"password": "x" * 5000}}).encode()
    raw = answer(b"200 OK", body)
    async with RawServer(lambda n: raw) as server:
        async with client_for(server.url, max_response_bytes=4096) as client:
            with pytest.raises(ResponseTooLargeError, match="4096 bytes"):
                await client.generate_password()
        async with client_for(server.url, max_response_bytes=8192) as client:
            assert await client.generate_password() == "x" * 5000


async def test_a_huge_error_body_still_maps_to_its_status() -> None:
    page = b"<html><body>" + b"Not here. " * 1_000_000 + b"</body></html>"
    raw = answer(b"404 Not Found", page)
    async with RawServer(lambda n: raw) as server, client_for(server.url) as client:
        with pytest.raises(NotFoundError) as caught:
            await _json(client)
    assert caught.value.status == 404
    assert caught.value.error_message.startswith("Not here.")
    assert len(caught.value.error_message) <= 200
    assert_no_secret(caught.value)


async def _json(client: object) -> object:
    from cryptshare_async import CryptshareClient

    assert isinstance(client, CryptshareClient)
    request = session_request()
    return protocol.json_data(request, await client.request(request, token=TOKEN))


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (b"200 OK", ResponseParseError),
        (b"404 Not Found", NotFoundError),
        (b"503 Service Unavailable", ServerError),
        (b"418 I'm a teapot", ApiError),
    ],
)
async def test_deep_json_never_recurses(status: bytes, expected: type[CryptshareError]) -> None:
    raw = answer(status, DEEP, b"Content-Type: application/json")
    async with RawServer(lambda n: raw) as server, client_for(server.url) as client:
        with pytest.raises(expected) as caught:
            await _json(client)
    assert not isinstance(caught.value, RecursionError)
    if isinstance(caught.value, ApiError):
        assert caught.value.error_code is None
        assert caught.value.error_message.startswith("[[[")
    else:
        assert "nested deeper than" in str(caught.value)
    assert_no_secret(caught.value)


async def test_a_stalled_server_times_out_without_retry() -> None:
    async with RawServer(lambda n: None) as server:
        client = client_for(server.url, timeouts=Timeouts(connect=5, read=0.3))
        async with client:
            async with asyncio.timeout(10):  # a bound, not a measurement
                with pytest.raises(RequestTimeoutError) as caught:
                    await client.request(session_request(), token=TOKEN)
    assert isinstance(caught.value, TimeoutError)
    assert server.requests == 1
    assert_no_secret(caught.value)


async def test_connection_refused_is_retried_then_typed() -> None:
    async with RawServer(lambda n: b"") as server:
        url = server.url
    client = client_for(url, retry=RetryPolicy(max_attempts=3, backoff_base=0, backoff_max=0))
    async with client:
        with pytest.raises(TransportError) as caught:
            await client.request(session_request(), token=TOKEN)
    assert type(caught.value) is TransportError
    assert "ClientConnectorError" in str(caught.value) or "Connect" in str(caught.value)
    assert_no_secret(caught.value)


async def test_the_limit_counts_decoded_bytes_not_wire_bytes() -> None:
    prefix, suffix = b'{"data": {"password": "', b'"}}'
    body = prefix + b"x" * (4096 - len(prefix) - len(suffix)) + suffix
    stored = gzip.compress(body, compresslevel=0)  # no compression: the wire is larger
    assert len(body) == 4096 < len(stored)
    raw = answer(b"200 OK", stored, b"Content-Encoding: gzip")
    async with RawServer(lambda n: raw) as server:
        async with client_for(server.url, max_response_bytes=4096) as client:
            assert len(await client.generate_password()) == 4096 - len(prefix) - len(suffix)
        async with client_for(server.url, max_response_bytes=4095) as client:
            with pytest.raises(ResponseTooLargeError):
                await client.generate_password()

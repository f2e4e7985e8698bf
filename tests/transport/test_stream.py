"""Downloads go through the same pipeline: retried opening, typed errors, no secrets."""

from __future__ import annotations

import pytest

from cryptshare_async import (
    ApiError,
    CryptshareClient,
    MalformedResponseError,
    NotFoundError,
    ServerError,
    StreamedResponse,
    TransportError,
)
from cryptshare_async import _endpoints as api
from cryptshare_async import _protocol as protocol

from .rawpeer import PASSWORD, RawServer, assert_no_secret, client_for

CONTENT = bytes(range(256)) * 4096  # 1 MiB


def download_request() -> protocol.ApiRequest:
    return api.RECIPIENT_DOWNLOAD.request(transfer_id="X7hk2pQr9a", file_id="F1", password=PASSWORD)


def ok(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body


UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"


async def read_all(response: StreamedResponse, size: int = 65536) -> bytes:
    return b"".join([chunk async for chunk in response.iter_chunks(size)])


async def test_a_503_on_opening_is_retried() -> None:
    answers = {1: UNAVAILABLE, 2: ok(CONTENT)}
    async with (
        RawServer(answers.__getitem__) as server,
        client_for(server.url) as client,
        client.stream(download_request()) as response,
    ):
        assert response.status == 200
        assert await read_all(response) == CONTENT
    assert server.requests == 2


async def test_a_503_that_stays_is_a_server_error() -> None:
    async with RawServer(lambda n: UNAVAILABLE) as server, client_for(server.url) as client:
        with pytest.raises(ServerError) as caught:
            async with client.stream(download_request()):
                pytest.fail("the block must not run")
    assert caught.value.status == 503 and caught.value.error_message == "busy"
    assert server.requests == 2
    assert_no_secret(caught.value)


async def test_a_reset_before_the_answer_is_retried() -> None:
    answers = {1: b"", 2: ok(b"abc")}
    async with (
        RawServer(answers.__getitem__) as server,
        client_for(server.url) as client,
        client.stream(download_request()) as response,
    ):
        assert await response.read(10) == b"abc"
        assert await response.read(10) == b""
    assert server.requests == 2


async def test_a_body_cut_mid_way_is_raised_not_retried() -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(CONTENT) + CONTENT[:1000]
    async with RawServer(lambda n: raw) as server, client_for(server.url) as client:
        with pytest.raises(TransportError) as caught:
            async with client.stream(download_request()) as response:
                await read_all(response)
    assert server.requests == 1
    assert_no_secret(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"HTTP/1.1 abc\r\n\r\n", MalformedResponseError),
        (b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnah", NotFoundError),
        (b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n", ApiError),
        (
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 4000000\r\n\r\n" + b"x" * 4_000_000,
            NotFoundError,
        ),
    ],
    ids=["bad status line", "404", "redirect", "huge error page"],
)
async def test_failed_openings_are_typed(raw: bytes, expected: type[Exception]) -> None:
    async with RawServer(lambda n: raw) as server, client_for(server.url) as client:
        with pytest.raises(expected) as caught:
            async with client.stream(download_request()):
                pytest.fail("the block must not run")
    assert server.requests == 1
    assert_no_secret(caught.value)


async def test_the_callers_own_errors_pass_through_unchanged() -> None:
    class DiskFull(OSError):
        pass

    async def write_to_a_full_disk(client: CryptshareClient) -> None:
        async with client.stream(download_request()) as response:
            await response.read(10)
            raise DiskFull(28, "No space left on device")

    async with RawServer(lambda n: ok(CONTENT)) as server, client_for(server.url) as client:
        with pytest.raises(DiskFull):
            await write_to_a_full_disk(client)
        # The connection was given back cleanly: the client still works.
        async with client.stream(download_request()) as response:
            assert await read_all(response) == CONTENT

"""MockTransport and the pipeline every transport goes through (retries, bounds, errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from cryptshare_async import (
    ApiRequest,
    ApiResponse,
    ConfigurationError,
    CryptshareClient,
    CryptshareError,
    NotFoundError,
    ResponseTooLargeError,
    RetryPolicy,
    ServerError,
    Transport,
    TransportError,
)
from cryptshare_async import _protocol as protocol
from cryptshare_async._transport import AiohttpTransport, TransportSettings
from cryptshare_async.testing import MockCall, MockTransport, json_response
from tests.transport.rawpeer import CID, TOKEN, assert_no_secret

FAST = RetryPolicy(max_attempts=3, backoff_base=0, backoff_max=0)
PASSWORD = {"data": {"password": "s3cret-Pa55"}}


def client_with(transport: Transport, **kwargs: object) -> CryptshareClient:
    kwargs.setdefault("retry", FAST)
    return CryptshareClient(
        "https://share.example.com", client_id=CID, transport=transport, **kwargs
    )  # type: ignore[arg-type]


class Body:
    def __init__(self, chunks: list[bytes], *, fail: Exception | None = None) -> None:
        self.chunks, self.fail = chunks, fail

    @property
    def size(self) -> int:
        return sum(map(len, self.chunks))

    def open(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.fail is not None:
            raise self.fail


async def test_the_documented_example() -> None:
    def handler(request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
        if request.path == "/password":
            return json_response(PASSWORD)
        return json_response({"errorCode": 1006, "errorMessage": "no such page"}, status=404)

    mock = MockTransport(handler)
    async with client_with(mock) as client:
        assert await client.generate_password() == "s3cret-Pa55"
        with pytest.raises(NotFoundError, match="no such page"):
            await client.server_status()
    assert [call.request.path for call in mock.calls] == ["/password", "/status"]
    assert mock.calls[0].headers["X-CS-ClientId"] == CID
    assert CID not in repr(mock.calls[0]) and CID not in repr(mock)
    assert not mock.closed  # a transport passed in belongs to the caller


async def test_an_async_handler_and_a_retried_503() -> None:
    statuses = iter([503, 502, 200])

    async def handler(request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
        status = next(statuses)
        return json_response(PASSWORD if status == 200 else {}, status=status)

    mock = MockTransport(handler)
    async with client_with(mock) as client:
        assert await client.generate_password() == "s3cret-Pa55"
    assert len(mock.calls) == 3


async def test_non_idempotent_requests_are_not_retried() -> None:
    mock = MockTransport(lambda request, headers: json_response({}, status=503))
    async with client_with(mock) as client:
        request = protocol.token_request("alice@example.com", "123456")
        with pytest.raises(ServerError):
            protocol.json_data(request, await client.request(request))
    assert len(mock.calls) == 1


async def test_a_transport_error_from_the_handler_is_retried() -> None:
    calls = 0

    def handler(request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TransportError("connection reset", method=request.method, path=request.path)
        return json_response(PASSWORD)

    async with client_with(MockTransport(handler)) as client:
        assert await client.generate_password() == "s3cret-Pa55"
    assert calls == 2


def leaky_aiohttp_error(request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
    info = aiohttp.RequestInfo(
        URL("https://share.example.com/api/x"),
        request.method,
        CIMultiDictProxy(CIMultiDict(headers)),
        URL("https://share.example.com/api/x"),
    )
    raise aiohttp.ClientResponseError(info, (), status=400, message=f"bad {TOKEN} {CID}")


@pytest.mark.parametrize(
    "failure",
    [
        leaky_aiohttp_error,
        lambda request, headers: (_ for _ in ()).throw(OSError(f"token {TOKEN} refused")),
        lambda request, headers: "not an ApiResponse",
    ],
    ids=["aiohttp error holding the headers", "OSError quoting the token", "wrong return type"],
)
async def test_foreign_failures_become_scrubbed_transport_errors(failure: object) -> None:
    mock = MockTransport(failure)  # type: ignore[arg-type]
    async with client_with(mock) as client:
        request = protocol.get_session_request("alice@example.com", "T1")
        with pytest.raises(TransportError) as caught:
            await client.request(request, token=TOKEN)
    error = caught.value
    assert error.__cause__ is None and error.__context__ is None
    assert "failed in the transport" in str(error)
    assert_no_secret(error)
    assert len(mock.calls) == 3  # retried like a dropped connection


async def test_the_body_is_recorded_and_its_own_error_passes_through() -> None:
    mock = MockTransport(lambda request, headers: ApiResponse(200, {}, b""))
    request = protocol.put_content_request("alice@example.com", "T1", "F1")
    async with client_with(mock) as client:
        await client.request(request, token=TOKEN, body=Body([b"ab", b"cd"]))
        assert mock.calls[-1].body == b"abcd"
        integrity = ValueError("the checksum does not match")
        with pytest.raises(ValueError) as caught:
            await client.request(request, token=TOKEN, body=Body([b"ab"], fail=integrity))
    assert caught.value is integrity  # unchanged and not retried
    assert len(mock.calls) == 1


async def test_downloads_are_served_from_the_answer() -> None:
    content = bytes(range(256)) * 100

    def handler(request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
        if request.path.endswith("/F1"):
            return ApiResponse(200, {"Content-Length": str(len(content))}, content)
        return json_response({"errorCode": 2003, "errorMessage": "gone"}, status=404)

    mock = MockTransport(handler)
    async with client_with(mock) as client:
        request = protocol.recipient_download_request("X7hk2pQr9a", "F1", password=None)
        async with client.stream(request) as response:
            chunks = [chunk async for chunk in response.iter_chunks(1000)]
        assert b"".join(chunks) == content and max(map(len, chunks)) == 1000
        missing = protocol.recipient_download_request("X7hk2pQr9a", "F2", password=None)
        with pytest.raises(NotFoundError, match="gone"):
            async with client.stream(missing):
                pytest.fail("the block must not run")
    assert [call.streamed for call in mock.calls] == [True, True]
    assert isinstance(mock.calls[0], MockCall)


async def test_answers_are_bounded_for_any_transport() -> None:
    big = b"x" * 5000
    statuses = iter([200, 500])
    mock = MockTransport(lambda request, headers: ApiResponse(next(statuses), {}, big))
    async with client_with(mock, max_response_bytes=4096, retry=RetryPolicy.disabled()) as client:
        with pytest.raises(ResponseTooLargeError) as caught:
            await client.generate_password()
        assert caught.value.limit == 4096
        with pytest.raises(ServerError) as error:
            await client.generate_password()
        assert error.value.error_message == "x" * 199 + "…"


async def test_a_closed_client_refuses_requests_and_leaves_the_transport_open() -> None:
    mock = MockTransport(lambda request, headers: json_response(PASSWORD))
    client = client_with(mock)
    await client.aclose()
    assert client.closed and not mock.closed
    with pytest.raises(CryptshareError, match="closed"):
        await client.generate_password()
    assert mock.calls == []


async def test_transport_configuration_is_checked() -> None:
    assert isinstance(MockTransport(lambda r, h: json_response({})), Transport)
    assert isinstance(AiohttpTransport(URL("https://x.y"), settings=TransportSettings()), Transport)
    with pytest.raises(ConfigurationError, match="send"):
        client_with(object())  # type: ignore[arg-type]
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ConfigurationError, match="transport"):
            client_with(MockTransport(lambda r, h: json_response({})), session=session)


def test_request_reprs_hold_no_secrets() -> None:
    for request in (
        protocol.validate_password_request("pw-Secret-123"),
        protocol.token_request("alice@example.com", "pw-Secret-123"),
        protocol.recipient_info_request("X7hk2pQr9a", password="pw-Secret-123"),
    ):
        call = MockCall(request, {"X-CS-Password": "pw-Secret-123"}, b"pw-Secret-123")
        assert "pw-Secret-123" not in repr(request) + repr(call)

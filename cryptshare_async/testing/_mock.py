"""`MockTransport`: answer the client's requests from a function, without HTTP.

Example::

    from cryptshare_async import ApiResponse, CryptshareClient
    from cryptshare_async.testing import MockTransport, json_response

    def handler(request, headers):
        if request.path == "/password":
            return json_response({"data": {"password": "s3cret-Pa55"}})
        return json_response({"errorCode": 1006, "errorMessage": "no such page"}, status=404)

    mock = MockTransport(handler)
    async with CryptshareClient("https://share.example.com", client_id=CID, transport=mock) as c:
        assert await c.generate_password() == "s3cret-Pa55"
    assert [call.request.path for call in mock.calls] == ["/password"]
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from attrs import define, field

from .. import _public
from .._protocol import ApiRequest, ApiResponse
from .._transport_api import StreamBody, StreamedResponse

__all__ = ["MockCall", "MockTransport", "json_response"]

Handler = Callable[[ApiRequest, Mapping[str, str]], ApiResponse | Awaitable[ApiResponse]]
"""``handler(request, headers)`` returns (or, if async, resolves to) the answer."""


def json_response(
    document: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> ApiResponse:
    """An answer carrying ``document`` as JSON (wrap data in ``{"data": ...}`` yourself).

    Example::

        json_response({"data": {"password": "x"}})
        json_response({"errorCode": 2003, "errorMessage": "gone"}, status=404)
    """
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return ApiResponse(status=status, headers=all_headers, body=json.dumps(document).encode())


@define(frozen=True, slots=True)
class MockCall:
    """One request the client made: the request, its headers, and the streamed body.

    ``headers`` holds the real client id and token (that is what a test checks), so it
    is left out of the repr.
    """

    request: ApiRequest
    headers: Mapping[str, str] = field(repr=False)
    body: bytes | None = field(default=None, repr=False)
    streamed: bool = False


class MockTransport:
    """A :class:`~cryptshare_async.Transport` that calls ``handler`` for every request.

    ``handler(request, headers)`` may be a plain or an ``async`` function; it returns an
    :class:`~cryptshare_async.ApiResponse` (see :func:`json_response`), or raises a
    :class:`~cryptshare_async.TransportError` to simulate a failed connection. Any
    other exception it raises reaches the caller as a ``TransportError``.

    A streamed upload body is read whole before the handler runs (so a source's
    integrity checks run as in real use) and recorded as ``call.body``; downloads
    (``client.stream``) are served from the answer's body. The client's retries,
    bounds and typed errors apply as with the real transport, and every call,
    retries included, is recorded in :attr:`calls`.
    """

    def __init__(self, handler: Handler) -> None:
        if not callable(handler):
            raise TypeError(f"handler must be callable, got {type(handler)!r}")
        self._handler = handler
        self.calls: list[MockCall] = []
        self.closed = False

    def __repr__(self) -> str:
        return f"MockTransport(calls={len(self.calls)})"

    async def _answer(self, request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
        result = self._handler(request, headers)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, ApiResponse):
            raise TypeError(f"the MockTransport handler returned {type(result)!r}, not ApiResponse")
        return result

    async def send(
        self,
        request: ApiRequest,
        headers: Mapping[str, str],
        *,
        body: StreamBody | None = None,
    ) -> ApiResponse:
        content: bytes | None = None
        if body is not None:
            content = b"".join([chunk async for chunk in body.open()])
        self.calls.append(MockCall(request, dict(headers), content))
        return await self._answer(request, headers)

    @asynccontextmanager
    async def stream(
        self, request: ApiRequest, headers: Mapping[str, str]
    ) -> AsyncIterator[StreamedResponse]:
        self.calls.append(MockCall(request, dict(headers), streamed=True))
        answer = await self._answer(request, headers)
        yield StreamedResponse.from_bytes(answer.status, answer.headers, answer.body)

    async def aclose(self) -> None:
        self.closed = True


_public.claim(globals(), "cryptshare_async.testing")

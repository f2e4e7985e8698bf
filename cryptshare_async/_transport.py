"""The one place that talks HTTP: aiohttp session ownership, timeouts, pool, retries.

Example::

    transport = Transport(URL("https://share.example.com"), settings=TransportSettings())
    response = await transport.send(request, headers)
    await transport.aclose()
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Protocol
from urllib.parse import unquote

import aiohttp
from attrs import Attribute, define, field, validators
from yarl import URL

from ._errors import CryptshareError, RequestTimeoutError, TransportError
from ._protocol import ApiRequest, ApiResponse, error_for_response
from ._retry import RetryPolicy
from ._transport_body import StreamBodyPayload
from ._version import __version__

__all__ = ["StreamBody", "Timeouts", "Transport", "TransportSettings"]


@define(frozen=True, slots=True)
class Timeouts:
    """Connect and read timeouts, in seconds; there is deliberately no total timeout.

    ``read`` bounds the wait for the *next* bytes of an answer, so a multi-GiB upload
    that keeps moving never times out, while a stalled one does.

    Example::

        Timeouts(connect=5, read=120)
    """

    connect: float | None = field(default=10.0)
    read: float | None = field(default=60.0)

    @connect.validator
    @read.validator
    def _positive(self, attribute: Attribute[float | None], value: float | None) -> None:
        if value is not None and not value > 0:
            raise ValueError(f"{attribute.name} timeout must be > 0 seconds or None, got {value!r}")

    def to_aiohttp(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=self.connect, sock_read=self.read
        )


@define(frozen=True, slots=True)
class TransportSettings:
    """Everything the transport needs besides the base URL."""

    timeouts: Timeouts = field(factory=Timeouts)
    retry: RetryPolicy = field(factory=RetryPolicy)
    max_connections: int = field(default=100, validator=validators.ge(1))
    max_connections_per_host: int = field(default=100, validator=validators.ge(0))
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    user_agent: str = f"cryptshare-async/{__version__}"


class StreamBody(Protocol):
    """A request body streamed from its source.

    ``open()`` must give a *fresh* iterator over the whole content each time it is
    called (a retry calls it again), or raise
    :class:`~cryptshare_async.SourceNotReplayableError` if it cannot.
    """

    @property
    def size(self) -> int: ...

    def open(self) -> AsyncIterator[bytes]: ...


# Every way aiohttp can fail to deliver an answer: connection trouble, a payload that
# breaks off, and an answer that is not valid HTTP (ClientResponseError wraps the parser's
# complaint). OSError covers the socket itself; TimeoutError is one and is caught first.
_CONNECTION_ERRORS = (aiohttp.ClientError, OSError)
_SECRET_HEADERS = ("X-CS-ClientId", "X-CS-VerificationToken", "X-CS-Password")
_MAX_DETAIL = 300


def _failure(request: ApiRequest, exc: BaseException, headers: Mapping[str, str]) -> TransportError:
    """The library's error for an aiohttp failure, made *outside* the ``except`` block
    by the caller: aiohttp's exceptions carry the request headers (secrets), so they are
    neither chained nor kept, only their type and their scrubbed, trimmed text."""
    detail = f"{type(exc).__name__}: {exc}"
    for name in _SECRET_HEADERS:
        value = headers.get(name)
        if value:
            for form in {value, unquote(value)}:
                detail = detail.replace(form, "***")
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 1] + "…"
    if isinstance(exc, TimeoutError):
        return RequestTimeoutError(
            f"{request.method} {request.url_path} timed out ({detail})",
            method=request.method,
            path=request.url_path,
        )
    return TransportError(
        f"{request.method} {request.url_path} failed: {detail}",
        method=request.method,
        path=request.url_path,
    )


class Transport:
    """Sends :class:`ApiRequest` values and returns :class:`ApiResponse` values.

    A caller's ``aiohttp.ClientSession`` is used as given and never closed; a session
    the transport makes itself is created lazily inside the running event loop (never
    at import or construction) and closed by :meth:`aclose`.
    """

    def __init__(
        self,
        base_url: URL,
        *,
        settings: TransportSettings,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._base_url = base_url
        self._settings = settings
        self._session = session
        self._owns_session = session is None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def settings(self) -> TransportSettings:
        return self._settings

    def url_for(self, request: ApiRequest) -> URL:
        """The full URL; the path is already percent-encoded, so yarl must not re-encode it."""
        path = self._base_url.raw_path.rstrip("/") + request.url_path
        url = self._base_url.with_path(path, encoded=True)
        if request.query:
            url = url.with_query(list(request.query))
        return url

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise CryptshareError("this client is closed; create a new CryptshareClient")
        if self._session is not None:
            return self._session
        connector = aiohttp.TCPConnector(
            limit=self._settings.max_connections,
            limit_per_host=self._settings.max_connections_per_host,
            ssl=self._settings.ssl_context if self._settings.ssl_context is not None else True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._settings.timeouts.to_aiohttp(),
            headers={"User-Agent": self._settings.user_agent},
            raise_for_status=False,
            auto_decompress=True,
        )
        return self._session

    async def aclose(self) -> None:
        """Close the session if this transport made it. Safe to call twice."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    async def send(
        self,
        request: ApiRequest,
        headers: Mapping[str, str],
        *,
        body: StreamBody | None = None,
    ) -> ApiResponse:
        """Send ``request`` (retrying per the policy) and read the whole answer.

        Error statuses are returned, not raised, except that a retryable status that is
        still failing after the last attempt is returned as it came.
        """
        policy = self._settings.retry
        retryable = request.idempotent
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._send_once(request, headers, body)
            except TransportError as exc:
                if (
                    retryable
                    and policy.retry_on_connection_errors
                    and attempt < policy.max_attempts
                    and not isinstance(exc, RequestTimeoutError)
                ):
                    await asyncio.sleep(policy.delay(attempt))
                    continue
                raise
            if (
                retryable
                and policy.should_retry_status(response.status)
                and attempt < policy.max_attempts
            ):
                error = error_for_response(request, response)
                await asyncio.sleep(policy.delay(attempt, retry_after=error.retry_after))
                continue
            return response

    async def _send_once(
        self, request: ApiRequest, headers: Mapping[str, str], body: StreamBody | None
    ) -> ApiResponse:
        session = await self._get_session()
        url = self.url_for(request)
        send_headers = dict(headers)
        data: StreamBodyPayload | None = None
        iterator: AsyncIterator[bytes] | None = None
        if body is not None:
            iterator = body.open()
            data = StreamBodyPayload(iterator, size=body.size)
            send_headers["Content-Type"] = "application/octet-stream"
            send_headers["Content-Length"] = str(body.size)
        failure: TransportError | None = None
        try:
            async with session.request(
                request.method,
                url,
                headers=send_headers,
                json=request.json if request.json is not None else None,
                data=data,
                allow_redirects=False,
            ) as resp:
                content = await resp.read()
                response = ApiResponse(status=resp.status, headers=dict(resp.headers), body=content)
        except _CONNECTION_ERRORS as exc:
            # aiohttp reports a failure of the body itself (an integrity check, a progress
            # callback) as a connection error: that one is raised unchanged below, and
            # never retried.
            if data is None or data.body_error is None:
                failure = _failure(request, exc, send_headers)
        finally:
            if iterator is not None:
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    with suppress(Exception):
                        await aclose()
        if failure is not None:
            raise failure
        if data is not None and data.body_error is not None:
            # Raised outside the except blocks, so the body's exception keeps its context.
            raise data.body_error
        return response

    @asynccontextmanager
    async def stream(
        self, request: ApiRequest, headers: Mapping[str, str]
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Open a response for streaming (downloads). Error statuses raise typed errors."""
        session = await self._get_session()
        failure: TransportError | None = None
        try:
            async with session.request(
                request.method, self.url_for(request), headers=dict(headers), allow_redirects=False
            ) as resp:
                if resp.status >= 400:
                    content = await resp.read()
                    raise error_for_response(
                        request,
                        ApiResponse(status=resp.status, headers=dict(resp.headers), body=content),
                    )
                yield resp
        except _CONNECTION_ERRORS as exc:
            failure = _failure(request, exc, headers)
        if failure is not None:
            raise failure

"""The default transport: aiohttp session ownership, timeouts, pool, proxy, bounded reads.

It does one attempt per call; retries, and the mapping of a foreign transport's
failures, live in :mod:`cryptshare_async._pipeline`. Every aiohttp, parser and OS
failure leaves this module as a library error that holds no secret and chains nothing.

Timeouts, the proxy, TLS settings and the User-Agent are passed with every request, so a
caller's own ``aiohttp.ClientSession`` gets them too (its own ``total`` timeout, which
would kill a long upload, is overridden per request).

Example::

    transport = AiohttpTransport(URL("https://share.example.com"), settings=TransportSettings())
    response = await transport.send(request, headers)
    await transport.aclose()
"""

from __future__ import annotations

import http.client
import math
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any, Final

import aiohttp
from aiohttp import http_exceptions
from attrs import Attribute, define, field
from yarl import URL

from . import _public
from ._errors import (
    ConfigurationError,
    CryptshareError,
    MalformedResponseError,
    RequestTimeoutError,
    ResponseTooLargeError,
    TransportError,
)
from ._protocol import ApiRequest, ApiResponse
from ._scrub import describe, secrets_in
from ._transport_api import StreamBody, StreamedResponse, request_url
from ._transport_body import StreamBodyPayload
from ._version import __version__

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "AiohttpTransport",
    "StreamBody",
    "Timeouts",
    "TransportSettings",
    "map_error",
]

DEFAULT_MAX_RESPONSE_BYTES: Final = 4 * 1024 * 1024
"""The largest API answer read into memory (after decompression); downloads are streamed."""

_READ_CHUNK: Final = 64 * 1024


def _timeout(_: object, attribute: Attribute[Any], value: object) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(
            f"the {attribute.name} timeout must be a finite number of seconds > 0, or None"
            f" for no limit; got {value!r}"
        )


@define(frozen=True, slots=True)
class Timeouts:
    """Connect and read timeouts, in seconds; there is deliberately no total timeout.

    ``read`` bounds the wait for the *next* bytes of an answer, so a multi-GiB upload
    that keeps moving never times out, while a stalled one does. ``None`` means no
    limit; anything else must be a finite number > 0. They are passed with every
    request, so they also replace the timeout of a caller's own ``aiohttp`` session.

    Example::

        Timeouts(connect=5, read=120)
    """

    connect: float | None = field(default=10.0, validator=_timeout)
    read: float | None = field(default=60.0, validator=_timeout)

    def to_aiohttp(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=self.connect, sock_read=self.read
        )


def _count(minimum: int) -> Callable[[object, Attribute[int], int], None]:
    def check(_: object, attribute: Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigurationError(f"{attribute.name} must be an int >= {minimum}, got {value!r}")

    return check


@define(frozen=True, slots=True)
class TransportSettings:
    """Everything the aiohttp transport needs besides the base URL."""

    timeouts: Timeouts = field(factory=Timeouts)
    max_connections: int = field(default=100, validator=_count(1))
    max_connections_per_host: int = field(default=100, validator=_count(0))
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    user_agent: str = f"cryptshare-async/{__version__}"
    max_response_bytes: int = field(
        default=DEFAULT_MAX_RESPONSE_BYTES,
        validator=_count(1024),
    )
    # The proxy URL may carry credentials: never in a repr.
    proxy: URL | None = field(default=None, repr=False)
    trust_env: bool = True

    def proxy_secrets(self) -> frozenset[str]:
        """The proxy's credentials, in every spelling an error text could quote."""
        proxy = self.proxy
        if proxy is None or (proxy.user is None and proxy.password is None):
            return frozenset()
        found = {str(proxy), proxy.raw_user or "", proxy.raw_password or ""}
        found |= {proxy.user or "", proxy.password or ""}
        return frozenset(item for item in found if len(item) >= 4)


# What a malformed answer raises: aiohttp wraps parser errors in ClientResponseError; the
# parsers themselves raise HttpProcessingError (LineTooLong, BadStatusLine...), ValueError
# or UnicodeError, and http.client-style code raises HTTPException.
_MALFORMED: Final = (
    aiohttp.ClientResponseError,
    http_exceptions.HttpProcessingError,
    http.client.HTTPException,
    ValueError,
)

# A body whose chunked framing or compression is broken will be broken again.
_BROKEN_ENCODING: Final = (
    http_exceptions.TransferEncodingError,
    http_exceptions.ContentEncodingError,
)


def map_error(exc: Exception, request: ApiRequest, secrets: frozenset[str]) -> TransportError:
    """The library error for a failure of the HTTP exchange itself.

    The result chains nothing (aiohttp's errors hold the request headers) and its text
    names the exception's type and a scrubbed excerpt of its message.
    """
    what = f"{request.method} {request.url_path}"
    detail = describe(exc, secrets)
    cls: type[TransportError]
    if isinstance(exc, TimeoutError):
        cls, text = RequestTimeoutError, f"{what} timed out ({detail})"
    elif isinstance(exc, aiohttp.ClientHttpProxyError):
        # The proxy refused to open the tunnel to an https:// server: a valid answer, not
        # a malformed one. Its text is not quoted (it may echo the proxy's URL).
        cls = TransportError
        text = (
            f"{what} failed: the proxy answered HTTP {exc.status} instead of opening a tunnel"
            " to the server; check the proxy URL, its credentials and whether it allows"
            " this host"
        )
    elif isinstance(exc, aiohttp.ClientPayloadError) and not isinstance(
        exc.__cause__, _BROKEN_ENCODING
    ):
        # The body was cut short: usually a dropped connection, so a plain (retryable)
        # transport failure.
        cls, text = TransportError, f"{what} failed while reading the answer: {detail}"
    elif isinstance(exc, (*_MALFORMED, aiohttp.ClientPayloadError)):
        cls = MalformedResponseError
        text = f"{what}: the server's answer is not valid HTTP ({detail}); is a proxy in the way?"
    else:
        cls, text = TransportError, f"{what} failed: {detail}"
    return cls(text, method=request.method, path=request.url_path)


class AiohttpTransport:
    """Sends :class:`ApiRequest` values over aiohttp; one attempt per call.

    A caller's ``aiohttp.ClientSession`` is used as given and never closed, with the
    timeouts, proxy, TLS context and User-Agent passed per request; a session the
    transport makes itself (``trust_env`` as configured) is created lazily inside the
    running event loop (never at import or construction) and closed by :meth:`aclose`.
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
        self._timeout = settings.timeouts.to_aiohttp()  # the same for every request
        self._session = session
        self._owns_session = session is None
        self._closed = False

    def __repr__(self) -> str:
        return f"AiohttpTransport({str(self._base_url)!r})"

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def settings(self) -> TransportSettings:
        return self._settings

    def url_for(self, request: ApiRequest) -> URL:
        """The full URL of ``request`` on this transport's server."""
        return request_url(self._base_url, request)

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
            trust_env=self._settings.trust_env,
        )
        return self._session

    def _options(self, session: aiohttp.ClientSession, headers: dict[str, str]) -> dict[str, Any]:
        """What every request carries, whoever made the session.

        A caller's session keeps its cookies, auth, connector and default headers (its
        User-Agent included), but its timeout, status raising and decompression are
        overridden: the library's bounded reads and error mapping depend on them.
        """
        settings = self._settings
        if "User-Agent" not in session.headers:
            headers.setdefault("User-Agent", settings.user_agent)
        options: dict[str, Any] = {
            "headers": headers,
            "timeout": self._timeout,
            "raise_for_status": False,
            "auto_decompress": True,
            "allow_redirects": False,
        }
        if settings.ssl_context is not None:
            options["ssl"] = settings.ssl_context
        if settings.proxy is not None:
            options["proxy"] = settings.proxy
        return options

    def _secrets(self, headers: Mapping[str, str]) -> frozenset[str]:
        return secrets_in(headers) | self._settings.proxy_secrets()

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
        """Send ``request`` once and read the whole answer, whatever its status.

        The body is read up to ``max_response_bytes`` (after decompression): a success
        above it raises :class:`ResponseTooLargeError`; an error answer is cut there.
        """
        session = await self._get_session()
        url = self.url_for(request)
        send_headers = dict(headers)
        data: StreamBodyPayload | None = None
        iterator: AsyncIterator[bytes] | None = None
        failure: CryptshareError | None = None
        response: ApiResponse | None = None
        try:
            if body is not None:
                iterator = body.open()
                data = StreamBodyPayload(iterator, size=body.size)
                send_headers["Content-Type"] = "application/octet-stream"
                send_headers["Content-Length"] = str(body.size)
            async with session.request(
                request.method,
                url,
                json=request.json if request.json is not None else None,
                data=data,
                **self._options(session, send_headers),
            ) as resp:
                _check_head(resp, request)
                content = await self._read_body(resp, request)
                response = ApiResponse(status=resp.status, headers=dict(resp.headers), body=content)
        except CryptshareError:
            raise
        except Exception as exc:
            # aiohttp reports a failure of the body itself (an integrity check, a progress
            # callback) as a connection error: that one is raised unchanged below.
            if data is None or data.body_error is None:
                failure = map_error(exc, request, self._secrets(send_headers))
        finally:
            if iterator is not None:
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    with suppress(Exception):
                        await aclose()
        # Raised outside the except blocks: the body's error keeps its own context, and a
        # mapped error gets none (the aiohttp error it replaces holds the headers).
        if data is not None and data.body_error is not None:
            raise data.body_error
        if failure is not None:
            raise failure
        assert response is not None
        return response

    async def _read_body(self, resp: aiohttp.ClientResponse, request: ApiRequest) -> bytes:
        limit = self._settings.max_response_bytes
        success = 200 <= resp.status < 300
        # An announced length counts only when it is the decoded length (no compression).
        announced = resp.content_length
        encoded = resp.headers.get("Content-Encoding", "identity").lower() != "identity"
        if success and not encoded and announced is not None and announced > limit:
            resp.close()
            raise _too_large(request, resp.status, limit)
        if not encoded and announced is not None and announced <= limit:
            return await resp.read()  # the parser stops at the announced length
        parts: list[bytes] = []
        total = 0
        while chunk := await resp.content.read(_READ_CHUNK):
            total += len(chunk)
            if total > limit:
                resp.close()
                if success:
                    raise _too_large(request, resp.status, limit)
                # An error answer still maps to its typed error: keep what fits.
                parts.append(chunk[: len(chunk) - (total - limit)])
                break
            parts.append(chunk)
        return b"".join(parts)

    @asynccontextmanager
    async def stream(
        self, request: ApiRequest, headers: Mapping[str, str]
    ) -> AsyncIterator[StreamedResponse]:
        """Open the answer to ``request`` for reading piece by piece, whatever its status."""
        session = await self._get_session()
        secrets = self._secrets(headers)
        failure: CryptshareError | None = None
        resp: aiohttp.ClientResponse | None = None
        try:
            resp = await session.request(
                request.method, self.url_for(request), **self._options(session, dict(headers))
            )
        except CryptshareError:
            raise
        except Exception as exc:
            failure = map_error(exc, request, secrets)
        if failure is not None:
            raise failure
        assert resp is not None
        _check_head(resp, request)  # closes the answer when it refuses it
        content = resp.content

        async def read(size: int) -> bytes:
            mapped: CryptshareError | None = None
            try:
                return await content.read(size)
            except CryptshareError:
                raise
            except Exception as exc:
                mapped = map_error(exc, request, secrets)
            assert mapped is not None
            raise mapped

        # Only the transport's own reads are mapped: whatever the caller raises inside
        # the block (a full disk, an integrity check) passes through unchanged.
        async with resp:
            yield StreamedResponse(resp.status, dict(resp.headers), read)


#: More header lines than any API answer needs; newer aiohttp versions refuse such an
#: answer in their parser, older ones accept thousands: the limit is the library's own.
MAX_RESPONSE_HEADERS: Final = 128


def _check_head(resp: aiohttp.ClientResponse, request: ApiRequest) -> None:
    if len(resp.raw_headers) > MAX_RESPONSE_HEADERS:
        resp.close()
        raise MalformedResponseError(
            f"{request.method} {request.url_path}: the server's answer is not valid HTTP"
            f" (more than {MAX_RESPONSE_HEADERS} header lines); is a proxy in the way?",
            method=request.method,
            path=request.url_path,
        )


def _too_large(request: ApiRequest, status: int, limit: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{request.method} {request.url_path} answered HTTP {status} with a body larger than"
        f" max_response_bytes ({limit} bytes); raise the limit if the answer is legitimate",
        limit=limit,
    )


_public.claim(globals())

"""`CryptshareClient`: the entry point, owner of the connection pool and the headers.

Example::

    async with CryptshareClient("https://share.example.com", client_id=CLIENT_ID) as client:
        alice = client.sender("alice@example.com")
        await alice.verify_with_client_id()
        session = await alice.create_session(to=["bob@example.org"], name="Alice", phone="1")
"""

from __future__ import annotations

import ipaddress
import ssl
from datetime import timedelta
from types import TracebackType
from typing import Self

import aiohttp
from yarl import URL

from . import _protocol as protocol
from ._cleanup import DEFAULT_CLEANUP_GRACE, DEFAULT_CLOSE_TIMEOUT, CleanupFailure, Cleanups
from ._converter import structure, structure_list
from ._errors import ConfigurationError, InvalidInputError, VerificationError
from ._models import (
    ClientIdResponse,
    GeneratedPassword,
    PasswordRule,
    PasswordValidation,
    ServerStatus,
)
from ._protocol import ApiRequest, ApiResponse, TokenUse
from ._recipient import RecipientTransfer
from ._retry import RetryPolicy
from ._sender import Sender
from ._tokens import MemoryTokenStore, TokenKey, TokenStore
from ._transport import StreamBody, Timeouts, Transport, TransportSettings
from ._validation import validate_client_id, validate_email, validate_header_value
from ._verification import Fetch, TokenManager

__all__ = ["DEFAULT_MINIMUM_MINOR_VERSION", "CryptshareClient"]

DEFAULT_MINIMUM_MINOR_VERSION = 8
"""The minor API version sent when an endpoint needs nothing newer (API 1.8)."""


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: str | URL, allow_insecure_http: bool) -> URL:
    url = URL(base_url) if isinstance(base_url, str) else base_url
    if url.scheme not in {"http", "https"} or not url.host:
        raise ConfigurationError(
            f"base_url must be an absolute http(s) URL such as https://share.example.com,"
            f" got {str(base_url)!r}"
        )
    if url.scheme == "http" and not allow_insecure_http and not _is_loopback(url.host):
        raise ConfigurationError(
            f"refusing plain http:// for {url.host}: tokens and files would travel unencrypted."
            " Use https://, or pass allow_insecure_http=True if you really mean it"
        )
    if url.query_string or url.fragment:
        raise ConfigurationError("base_url must not carry a query string or fragment")
    path = url.path.rstrip("/")
    if path.endswith("/api"):
        path = path[: -len("/api")]
    return url.with_path(path or "/")


class CryptshareClient:
    """An asyncio client for one Cryptshare server.

    Args:
        base_url: the server root (``https://share.example.com``); ``/api`` is appended.
        client_id: this installation's client id (50-4000 ``[A-Za-z0-9]``); tokens are
            bound to it, so keep it stable. ``generate_client_id()`` makes one.
        minimum_minor_version: the floor sent as ``X-CS-MinimumMinorApiVersion``; an
            endpoint that needs more (revocation 10, polling 12) sends its own need.
        product_key: ``X-CS-ProductKey`` (default ``api.rest``).
        language: default ``Accept-Language`` (per call overridable).
        timeouts: connect and read timeouts; there is no total timeout.
        retry: which failures are retried and how long to back off.
        max_connections, max_connections_per_host: the connection pool's limits.
        session: an ``aiohttp.ClientSession`` to use; it is never closed by the client.
        ssl_context: for private CAs or client certificates; verification stays on.
        allow_insecure_http: permit ``http://`` to hosts other than loopback.
        token_store: where tokens live (default: in memory).
        token_refresh_margin: a token expiring sooner than this is treated as expired.
        cleanup_grace: seconds a failed or cancelled call waits for its in-flight
            request or its clean-up (removing what it left on the server) before it
            returns; what is left then runs on in the background.
        cleanup_close_timeout: seconds :meth:`aclose` waits for such clean-ups.

    The client is safe to share between tasks of one event loop. Use it as an async
    context manager, or call :meth:`aclose`.
    """

    def __init__(
        self,
        base_url: str | URL,
        *,
        client_id: str | None,
        minimum_minor_version: int = DEFAULT_MINIMUM_MINOR_VERSION,
        product_key: str = "api.rest",
        language: str | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_connections: int = 100,
        max_connections_per_host: int = 100,
        session: aiohttp.ClientSession | None = None,
        ssl_context: ssl.SSLContext | None = None,
        allow_insecure_http: bool = False,
        token_store: TokenStore | None = None,
        token_refresh_margin: timedelta = timedelta(seconds=60),
        cleanup_grace: float = DEFAULT_CLEANUP_GRACE,
        cleanup_close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    ) -> None:
        self._base_url = _check_base_url(base_url, allow_insecure_http)
        self._client_id = validate_client_id(client_id) if client_id is not None else None
        if not isinstance(minimum_minor_version, int) or minimum_minor_version < 0:
            raise ConfigurationError(
                f"minimum_minor_version must be an int >= 0, got {minimum_minor_version!r}"
            )
        self._minor = minimum_minor_version
        try:
            self._product_key = validate_header_value(product_key, what="product_key")
            self._language = (
                validate_header_value(language, what="language") if language is not None else None
            )
        except InvalidInputError as exc:
            raise ConfigurationError(str(exc)) from None
        if session is not None and ssl_context is not None:
            raise ConfigurationError(
                "ssl_context applies to sessions the client makes; configure your own"
                " session's connector instead"
            )
        settings = TransportSettings(
            timeouts=timeouts or Timeouts(),
            retry=retry or RetryPolicy(),
            max_connections=max_connections,
            max_connections_per_host=max_connections_per_host,
            ssl_context=ssl_context,
        )
        self._transport = Transport(self._base_url, settings=settings, session=session)
        self._tokens = TokenManager(
            token_store if token_store is not None else MemoryTokenStore(),
            refresh_margin=token_refresh_margin,
        )
        for what, seconds in (
            ("cleanup_grace", cleanup_grace),
            ("cleanup_close_timeout", cleanup_close_timeout),
        ):
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
                raise ConfigurationError(f"{what} must be seconds >= 0, got {seconds!r}")
        self._cleanups = Cleanups(grace=cleanup_grace, close_timeout=cleanup_close_timeout)

    def __repr__(self) -> str:
        return f"CryptshareClient({str(self._base_url)!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Finish the clean-ups still running (at most ``cleanup_close_timeout``), then
        close the connection pool if the client made it. Safe to call twice."""
        await self._cleanups.aclose()
        await self._transport.aclose()

    @property
    def cleanup_failures(self) -> tuple[CleanupFailure, ...]:
        """Clean-ups that did not complete (a file or session a failed or cancelled call
        left on the server and could not remove), oldest first; also logged."""
        return self._cleanups.failures

    @property
    def base_url(self) -> URL:
        return self._base_url

    @property
    def closed(self) -> bool:
        return self._transport.closed

    @property
    def transport(self) -> Transport:
        return self._transport

    @property
    def tokens(self) -> TokenManager:
        return self._tokens

    def sender(self, email: str, *, auto_verify: bool = True) -> Sender:
        """A handle for sending as ``email``.

        With ``auto_verify`` (the default), a missing or expired token is fetched by
        client id (the administrator must have whitelisted this client id); otherwise
        verify explicitly with :meth:`Sender.verify_with_client_id` or the email code.
        """
        self._require_client_id()
        return Sender(self, validate_email(email, what="sender email"), auto_verify=auto_verify)

    def token_key(self, email: str) -> TokenKey:
        return TokenKey.for_sender(str(self._base_url), self._require_client_id(), email)

    def _require_client_id(self) -> str:
        if self._client_id is None:
            raise ConfigurationError(
                "this call needs a client id: pass client_id= (see generate_client_id()"
                " or request_client_id())"
            )
        return self._client_id

    async def request_client_id(self) -> str:
        """Ask the server for a fresh client id (``GET /api/clients``).

        The client keeps using the id it was made with; store the new one and build
        a client with it. Example::

            new_id = await CryptshareClient(url, client_id=None).request_client_id()
        """
        request = protocol.client_id_request()
        data = protocol.json_data(request, await self.send(request))
        return validate_client_id(structure(data, ClientIdResponse).client_id)

    async def server_status(self) -> ServerStatus:
        """The API versions the server supports (``GET /api/status``, API 1.13)."""
        request = protocol.server_status_request()
        return structure(protocol.json_data(request, await self.send(request)), ServerStatus)

    async def generate_password(self) -> str:
        """A password generated by the server according to its password policy."""
        request = protocol.generate_password_request()
        data = protocol.json_data(request, await self.send(request))
        return structure(data, GeneratedPassword).password

    async def validate_password(self, password: str) -> PasswordValidation:
        """Check ``password`` against the server's password rules."""
        request = protocol.validate_password_request(password)
        return structure(protocol.json_data(request, await self.send(request)), PasswordValidation)

    async def password_requirements(self) -> tuple[PasswordRule, ...]:
        """The server's password rules."""
        request = protocol.password_requirements_request()
        data = protocol.json_data(request, await self.send(request))
        return structure_list(data, PasswordRule)

    def headers_for(self, request: ApiRequest, *, token: str | None) -> dict[str, str]:
        """The headers :meth:`send` would use (for tests and custom transports)."""
        client_id = self._client_id
        if client_id is None:
            if request.path != "/clients" and request.path != "/status":
                self._require_client_id()
            client_id = ""
        headers = protocol.build_headers(
            request,
            client_id=client_id,
            minimum_minor_version=self._minor,
            product_key=self._product_key,
            language=self._language,
            token=token,
        )
        if not client_id:
            del headers["X-CS-ClientId"]
        return headers

    async def send(
        self,
        request: ApiRequest,
        *,
        token: str | None = None,
        body: StreamBody | None = None,
    ) -> ApiResponse:
        """Send one request with the client's headers (low level; no token handling)."""
        return await self._transport.send(
            request, self.headers_for(request, token=token), body=body
        )

    async def send_as(
        self,
        request: ApiRequest,
        email: str,
        fetch: Fetch | None,
        *,
        body: StreamBody | None = None,
    ) -> ApiResponse:
        """Send ``request`` with ``email``'s token, fetched through ``fetch`` if missing.

        If the server rejects the token (3002) and ``fetch`` is given, the stale token
        is dropped, a new one fetched, and the request sent once more. A request whose
        body was streamed is retried only if the body can be replayed.
        """
        key = self.token_key(email)
        if request.token is TokenUse.OPTIONAL:
            stored = await self._tokens.cached(key)
            return await self.send(request, token=stored.token if stored else None, body=body)
        stored = await self._tokens.obtain(key, fetch)
        response = await self.send(request, token=stored.token, body=body)
        if fetch is None or not _is_token_rejection(request, response):
            return response
        await self._tokens.forget(key, stored.token)
        fresh = await self._tokens.obtain(key, fetch)
        if fresh.token == stored.token:
            return response
        return await self.send(request, token=fresh.token, body=body)

    def recipient_transfer(
        self, transfer_id: str, *, password: str | None = None
    ) -> RecipientTransfer:
        """The recipient's view of a transfer, by the recipient's own transfer id.

        ``password`` is the transfer password (``None`` for password mode ``NONE``).
        No request is made until a method is awaited.

        Example::

            incoming = client.recipient_transfer("x7Hk2pQr9a", password="s3cret!")
            await incoming.download_all("downloads/")
        """
        return RecipientTransfer(self, transfer_id, password=password)


def _is_token_rejection(request: ApiRequest, response: ApiResponse) -> bool:
    if response.status not in {401, 403}:
        return False
    error = protocol.error_for_response(request, response)
    return isinstance(error, VerificationError) and error.error_code == 3002

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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from types import TracebackType
from typing import Self, TypedDict

import aiohttp
import attrs
from yarl import URL

from . import _endpoints as api
from . import _protocol as protocol
from . import _public
from ._cleanup import DEFAULT_CLEANUP_GRACE, DEFAULT_CLOSE_TIMEOUT, CleanupFailure, Cleanups
from ._errors import ConfigurationError, InvalidInputError, NotFoundError
from ._events import EventHooks, Events
from ._models import (
    CorsStatus,
    Imprint,
    LanguagePack,
    LogEntry,
    LoggingSettings,
    PasswordBody,
    PasswordRule,
    PasswordValidation,
    ServerStatus,
    TermsOfUse,
)
from ._pipeline import Pipeline
from ._protocol import ApiRequest, ApiResponse, TokenUse
from ._recipient import RecipientTransfer
from ._retry import RetryPolicy
from ._sender import Sender
from ._tokens import MemoryTokenStore, TokenKey, TokenStore
from ._transport import DEFAULT_MAX_RESPONSE_BYTES, AiohttpTransport, Timeouts, TransportSettings
from ._transport_api import StreamBody, StreamedResponse, Transport, request_url
from ._validation import validate_client_id, validate_email, validate_header_value
from ._verification import Fetch, TokenManager
from ._versions import VersionGate

__all__ = ["DEFAULT_MINIMUM_MINOR_VERSION", "CryptshareClient"]

_WITHOUT_CLIENT_ID = frozenset(e.path for e in api.ENDPOINTS if not e.client_id)

DEFAULT_MINIMUM_MINOR_VERSION = 8
"""The minor API version sent when an endpoint needs nothing newer (API 1.8)."""
_DEFAULT_POOL = 100
#: Token keys kept per client (one per sender address; the cache is cleared when full).
_TOKEN_KEYS_KEPT = 1024


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
    if not isinstance(base_url, str | URL):
        raise ConfigurationError(f"base_url must be a str or yarl.URL, got {type(base_url)!r}")
    try:
        url = URL(base_url) if isinstance(base_url, str) else base_url
        host = url.host
    except ValueError:
        raise ConfigurationError(
            "base_url is not a valid URL; give one such as https://share.example.com"
        ) from None
    if url.user is not None or url.password is not None:
        # Never echo the URL: it carries a password.
        raise ConfigurationError(
            "base_url must not carry credentials (user:password@host): the API authenticates"
            " with the client id and verification tokens; remove them from the URL"
        )
    if url.scheme not in {"http", "https"} or not host:
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


def _check_ssl_context(context: object, allow_insecure_tls: bool) -> ssl.SSLContext | None:
    if context is None:
        return None
    if not isinstance(context, ssl.SSLContext):
        raise ConfigurationError(f"ssl_context must be an ssl.SSLContext, got {type(context)!r}")
    if (context.verify_mode == ssl.CERT_NONE or not context.check_hostname) and (
        not allow_insecure_tls
    ):
        raise ConfigurationError(
            "ssl_context does not verify the server (verify_mode CERT_NONE or check_hostname"
            " off): tokens and files could go to an impostor. Load your CA with"
            " context.load_verify_locations(...) instead, or pass allow_insecure_tls=True"
            " if you really mean it"
        )
    return context


def _check_flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, got {value!r}")
    return value


def _check_proxy(proxy: object) -> URL | None:
    """The proxy URL, refused (without echoing its credentials) unless usable."""
    if proxy is None:
        return None
    if not isinstance(proxy, str | URL):
        raise ConfigurationError(f"proxy must be a str or yarl.URL, got {type(proxy)!r}")
    try:
        url = URL(proxy) if isinstance(proxy, str) else proxy
        host = url.host
        url.port  # noqa: B018 (a bad port raises here, not at the first request)
    except ValueError:
        raise ConfigurationError(
            "proxy is not a valid URL; give one such as http://proxy.example.com:3128"
        ) from None
    shown = str(url.with_user(None)) if host else "(not shown)"
    if url.scheme != "http" or not host:
        raise ConfigurationError(
            f"proxy must be an absolute http:// URL such as http://proxy.example.com:3128,"
            f" got {shown!r} (the connection to the server is still TLS when base_url is"
            " https://)"
        )
    if url.raw_path not in {"", "/"} or url.query_string or url.fragment:
        raise ConfigurationError(f"proxy must not have a path, query or fragment, got {shown!r}")
    return url


def _check_transport_options(
    transport: object,
    session: object,
    **options: object,
) -> None:
    """Refuse settings that the chosen transport or session would silently ignore."""
    given = [name for name, value in options.items() if value is not None]
    if transport is not None and (session is not None or given):
        names = ", ".join(["session", *given] if session is not None else given)
        raise ConfigurationError(
            f"{names} configure the built-in transport, which transport= replaces;"
            " configure your transport instead"
        )
    if session is None:
        return
    if not isinstance(session, aiohttp.ClientSession):
        raise ConfigurationError(f"session must be an aiohttp.ClientSession, got {type(session)!r}")
    pool = [name for name in ("max_connections", "max_connections_per_host") if name in given]
    if pool:
        raise ConfigurationError(
            f"{' and '.join(pool)} cannot apply to your session's connection pool; create"
            " its connector with aiohttp.TCPConnector(limit=..., limit_per_host=...) instead"
        )
    if "trust_env" in given:
        raise ConfigurationError(
            "trust_env cannot apply to your session; create it with"
            " aiohttp.ClientSession(trust_env=...) instead"
        )
    if session.closed:
        raise ConfigurationError("session is closed; pass an open aiohttp.ClientSession")


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
        max_connections, max_connections_per_host: the connection pool's limits
            (default 100 each). A caller's ``session`` has its own pool: configure its
            connector instead (giving them with ``session`` is refused).
        session: an ``aiohttp.ClientSession`` to use; it is never closed by the client.
            Timeouts, ``proxy``, ``ssl_context``, ``max_response_bytes`` and the
            User-Agent (unless the session sets its own) still apply, per request; the
            session's own ``total`` timeout does not.
        proxy: an ``http://`` proxy URL for every request, e.g.
            ``http://user:password@proxy.example.com:3128``; its credentials are treated
            as secrets (never shown in reprs, errors or logs).
        trust_env: read ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` (and ``~/.netrc``)
            from the environment (default ``True``; ``proxy`` wins when given). A
            loopback ``base_url`` (a local emulator) is never sent to a proxy from the
            environment. A caller's ``session`` keeps its own ``trust_env``.
        ssl_context: for private CAs or client certificates; a context that does not
            verify the server is refused unless ``allow_insecure_tls`` is given.
        allow_insecure_http: permit ``http://`` to hosts other than loopback.
        allow_insecure_tls: accept an ``ssl_context`` that skips certificate or host
            name verification (test servers only).
        max_response_bytes: the largest API answer read into memory, after
            decompression (default 4 MiB; downloads are streamed and not bounded by it).
        transport: a :class:`Transport` to carry the requests instead of the built-in
            aiohttp one (it is never closed by the client); see
            :class:`cryptshare_async.testing.MockTransport` for tests.
        event_hooks: callables per kind, ``{"request": [...], "response": [...],
            "retry": [...]}``, called (sync or async) with a :class:`RequestEvent`,
            :class:`ResponseEvent` or :class:`RetryEvent` for every attempt. A hook
            that raises stops the request with its exception, unchanged and not retried.
        token_store: where tokens live (default: in memory).
        token_refresh_margin: with automatic verification by client id (a fetch costs
            nothing), a token expiring sooner than this is replaced ahead of time.
            Otherwise a token is used until it expires or the server refuses it. Keep
            it well below the server's token term.
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
        max_connections: int | None = None,
        max_connections_per_host: int | None = None,
        session: aiohttp.ClientSession | None = None,
        proxy: str | URL | None = None,
        trust_env: bool | None = None,
        ssl_context: ssl.SSLContext | None = None,
        allow_insecure_http: bool = False,
        allow_insecure_tls: bool = False,
        token_store: TokenStore | None = None,
        token_refresh_margin: timedelta = timedelta(seconds=60),
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: Transport | None = None,
        cleanup_grace: float = DEFAULT_CLEANUP_GRACE,
        cleanup_close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        event_hooks: EventHooks | None = None,
    ) -> None:
        self._base_url = _check_base_url(
            base_url, _check_flag(allow_insecure_http, "allow_insecure_http")
        )
        self._client_id = validate_client_id(client_id) if client_id is not None else None
        self._token_keys: dict[str, TokenKey] = {}  # per sender address, built once
        if (
            not isinstance(minimum_minor_version, int)
            or isinstance(minimum_minor_version, bool)
            or minimum_minor_version < 0
        ):
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
        context = _check_ssl_context(
            ssl_context, _check_flag(allow_insecure_tls, "allow_insecure_tls")
        )
        _check_transport_options(
            transport,
            session,
            timeouts=timeouts,
            max_connections=max_connections,
            max_connections_per_host=max_connections_per_host,
            ssl_context=context,
            proxy=proxy,
            trust_env=trust_env,
        )
        if token_store is not None and not isinstance(token_store, TokenStore):
            raise ConfigurationError(
                "token_store must implement TokenStore (async get, set and delete), got"
                f" {type(token_store)!r}"
            )
        if not isinstance(token_refresh_margin, timedelta) or token_refresh_margin < timedelta(0):
            raise ConfigurationError(
                f"token_refresh_margin must be a timedelta >= 0, got {token_refresh_margin!r}"
            )
        if timeouts is not None and not isinstance(timeouts, Timeouts):
            raise ConfigurationError(f"timeouts must be a Timeouts, got {type(timeouts)!r}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a RetryPolicy, got {type(retry)!r}")
        if transport is not None and not isinstance(transport, Transport):
            raise ConfigurationError(
                "transport must have async send(), stream() and async aclose() (see the"
                f" Transport protocol), got {type(transport)!r}"
            )
        settings = TransportSettings(
            timeouts=timeouts or Timeouts(),
            max_connections=_DEFAULT_POOL if max_connections is None else max_connections,
            max_connections_per_host=(
                _DEFAULT_POOL if max_connections_per_host is None else max_connections_per_host
            ),
            ssl_context=context,
            max_response_bytes=max_response_bytes,
            proxy=_check_proxy(proxy),
            # A proxy's loopback is not ours: a local server (the emulator) is reached
            # directly, whatever HTTP_PROXY says; proxy= still applies.
            trust_env=(True if trust_env is None else _check_flag(trust_env, "trust_env"))
            and not _is_loopback(self._base_url.host),
        )
        self._owns_transport = transport is None
        self._transport: Transport = (
            transport
            if transport is not None
            else AiohttpTransport(self._base_url, settings=settings, session=session)
        )
        self._pipeline = Pipeline(
            self._transport,
            retry=retry or RetryPolicy(),
            max_response_bytes=settings.max_response_bytes,
            events=Events(event_hooks),
        )
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
        self._versions = VersionGate(self._minor)

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
        close the connection pool if the client made it. Safe to call twice.

        A ``transport`` or ``session`` passed in is left open for its owner to close.
        """
        await self._cleanups.aclose()
        self._pipeline.closed = True
        if self._owns_transport:
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
        return self._pipeline.closed

    @property
    def transport(self) -> Transport:
        """The transport carrying the requests (an ``AiohttpTransport`` unless given)."""
        return self._transport

    @property
    def retry(self) -> RetryPolicy:
        return self._pipeline.retry

    def sender(self, email: str, *, auto_verify: bool = True) -> Sender:
        """A handle for sending as ``email``.

        With ``auto_verify`` (the default), a missing or expired token is fetched by
        client id (the administrator must have whitelisted this client id); otherwise
        verify explicitly with :meth:`Sender.verify_with_client_id` or the email code.
        """
        self._require_client_id()
        return Sender(self, validate_email(email, what="sender email"), auto_verify=auto_verify)

    def token_key(self, email: str) -> TokenKey:
        key = self._token_keys.get(email)
        if key is None:
            key = TokenKey.for_sender(str(self._base_url), self._require_client_id(), email)
            if len(self._token_keys) >= _TOKEN_KEYS_KEPT:
                self._token_keys.clear()
            self._token_keys[email] = key
        return key

    def url_for(self, request: ApiRequest) -> URL:
        """The full URL ``request`` goes to (also what a relative ``Location`` resolves
        against)."""
        return request_url(self._base_url, request)

    def check_version(self, request: ApiRequest) -> None:
        """Raise :class:`UnsupportedByServerError` if ``request`` is newer than the server
        (once :meth:`server_status` is known; otherwise nothing is checked)."""
        self._versions.check(request)

    def _require_client_id(self) -> str:
        if self._client_id is None:
            raise ConfigurationError(
                "this call needs a client id: pass client_id= (see generate_client_id()"
                " or request_client_id())"
            )
        return self._client_id

    async def request_client_id(self) -> str:
        """Ask the server for a fresh client id (``GET /api/clients``); works without one.

        The client keeps using the id it was made with; store the new one and build
        a client with it. Example::

            async with CryptshareClient(url, client_id=None) as bare:
                new_id = await bare.request_client_id()
        """
        request = api.REQUEST_CLIENT_ID.request()
        answer = api.REQUEST_CLIENT_ID.parse(request, await self.request(request))
        return validate_client_id(answer.client_id)

    async def server_status(self, *, refresh: bool = False) -> ServerStatus:
        """The API versions the server supports (``GET /api/status``, API 1.13).

        Asked once per client and cached (``refresh=True`` asks again). Once it is
        known, an endpoint newer than every version the server offers is refused
        before anything is sent, with :class:`UnsupportedByServerError`. The client
        never asks on its own: call this once to turn that check on.
        """
        cached = self._versions.status
        if cached is not None and not refresh:
            return cached
        request = api.SERVER_STATUS.request()
        # Not through send(): the version gate must never refuse the call that feeds it.
        headers = self.headers_for(request, token=None)
        response = await self._pipeline.send(request, headers)
        status = api.SERVER_STATUS.parse(request, response)
        self._versions.status = status
        return status

    async def _with_sender(self, request: ApiRequest, sender: Sender | None) -> ApiResponse:
        if sender is None:
            return await self.request(request)
        if not isinstance(sender, Sender):
            raise InvalidInputError(f"sender must be a Sender or None, got {type(sender)!r}")
        # A sender given means: send its token, fetching one if it has none.
        return await sender.request(attrs.evolve(request, token=TokenUse.REQUIRED))

    async def generate_password(self, *, sender: Sender | None = None) -> str:
        """A password generated by the server according to its password policy.

        With ``sender``, the request carries that sender's verification token, fetched
        as for any of the sender's calls if it has none (servers may require a verified
        sender for the password endpoints).
        """
        request = api.GENERATE_PASSWORD.request()
        answer = api.GENERATE_PASSWORD.parse(request, await self._with_sender(request, sender))
        return answer.password

    async def validate_password(
        self, password: str, *, sender: Sender | None = None
    ) -> PasswordValidation:
        """Check ``password`` against the server's password rules (``sender`` as in
        :meth:`generate_password`)."""
        if not isinstance(password, str):
            raise InvalidInputError("password must be a str")
        request = api.VALIDATE_PASSWORD.request(body=PasswordBody(password))
        return api.VALIDATE_PASSWORD.parse(request, await self._with_sender(request, sender))

    async def password_requirements(
        self, *, sender: Sender | None = None
    ) -> tuple[PasswordRule, ...]:
        """The server's password rules (``sender`` as in :meth:`generate_password`)."""
        request = api.PASSWORD_REQUIREMENTS.request()
        return api.PASSWORD_REQUIREMENTS.parse(request, await self._with_sender(request, sender))

    # ------------------------------------------------------------ product information

    def _product(self) -> _ProductPath:
        return {"product_key": self._product_key}

    async def terms_of_use(self) -> TermsOfUse:
        """The terms of use in every installed language, and whether they are active.

        Example::

            terms = await client.terms_of_use()
            if terms.active:
                print(terms.for_locale("en").content)
        """
        request = api.TERMS_OF_USE.request(**self._product())
        return api.TERMS_OF_USE.parse(request, await self.request(request))

    async def imprint(self, *, language: str | None = None) -> Imprint:
        """The imprint (HTML, or a link: see :attr:`LegalText.is_link`) in ``language``."""
        request = api.IMPRINT.request(**self._product(), language=language)
        return api.IMPRINT.parse(request, await self.request(request))

    async def language_packs(self, *, major_version: int | None = None) -> tuple[LanguagePack, ...]:
        """The installed language packs (only those of ``major_version`` when given)."""
        if major_version is not None and (
            not isinstance(major_version, int) or isinstance(major_version, bool)
        ):
            raise InvalidInputError(f"major_version must be an int, got {major_version!r}")
        request = api.LANGUAGE_PACKS.request(
            **self._product(), query={"major-version": major_version}
        )
        return api.LANGUAGE_PACKS.parse(request, await self.request(request))

    async def language_pack(self, pack_id: str) -> LanguagePack:
        """One language pack by id (e.g. ``en-US_2``)."""
        request = api.LANGUAGE_PACK.request(**self._product(), pack_id=pack_id)
        return api.LANGUAGE_PACK.parse(request, await self.request(request))

    async def language_pack_file(self, pack_id: str, path: str) -> bytes:
        """One file of a language pack (``path`` below the pack, e.g.
        ``texts/messages.json``), read whole (bounded by ``max_response_bytes``).

        Example::

            texts = json.loads(await client.language_pack_file("en-US_2", "texts/messages.json"))
        """
        request = api.LANGUAGE_PACK_FILE.request(**self._product(), pack_id=pack_id, file_path=path)
        return api.LANGUAGE_PACK_FILE.parse(request, await self.request(request))

    async def cors_status(self, origin: str) -> CorsStatus:
        """Whether the server allows cross-origin requests from ``origin``
        (``https://app.example.com``)."""
        value = validate_header_value(origin, what="origin")
        request = api.CORS_STATUS.request(**self._product(), headers=(("Origin", value),))
        return api.CORS_STATUS.parse(request, await self.request(request))

    async def logging_settings(self) -> LoggingSettings:
        """The log level clients should use and whether to send logs to the server."""
        request = api.LOGGING_SETTINGS.request(**self._product())
        return api.LOGGING_SETTINGS.parse(request, await self.request(request))

    async def send_log(self, entries: list[LogEntry] | tuple[LogEntry, ...]) -> None:
        """Send client log entries to the server (``POST /api/logs``).

        Raises :class:`RemoteLoggingDisabledError` (3004) when the server does not
        accept remote logs (see :meth:`logging_settings`). Never send secrets: the
        server keeps what it gets.
        """
        if not isinstance(entries, list | tuple) or not entries:
            raise InvalidInputError("entries must be a non-empty list of LogEntry")
        request = api.ADD_LOGS.request(body=list(entries))
        api.ADD_LOGS.parse(request, await self.request(request))

    def headers_for(self, request: ApiRequest, *, token: str | None) -> dict[str, str]:
        """The headers :meth:`request` would use (for tests and custom transports)."""
        client_id = self._client_id
        if client_id is None:
            if request.path not in _WITHOUT_CLIENT_ID:
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

    async def request(
        self,
        request: ApiRequest,
        *,
        token: str | None = None,
        body: StreamBody | None = None,
    ) -> ApiResponse:
        """Send one request with the client's headers (low level; no token handling).

        Idempotent requests are retried per the client's :class:`RetryPolicy`. A
        request newer than the server (once :meth:`server_status` is known) raises
        :class:`UnsupportedByServerError` before anything is sent.
        """
        self._versions.check(request)
        response = await self._pipeline.send(
            request, self.headers_for(request, token=token), body=body
        )
        if response.status == 404:  # a version refusal (2004, or 1006) names both versions
            error = protocol.error_for_response(request, response)
            if self._versions.is_refusal(request, error):
                raise self._versions.refused(request, error)
        return response

    @asynccontextmanager
    async def stream(
        self, request: ApiRequest, *, token: str | None = None
    ) -> AsyncIterator[StreamedResponse]:
        """Open ``request``'s answer for reading piece by piece (downloads; low level).

        Opening is retried like :meth:`request`; a non-2xx status raises its typed error.

        Example::

            async with client.stream(request) as response:
                async for chunk in response.iter_chunks():
                    sink.write(chunk)
        """
        self._versions.check(request)
        opened = False
        try:
            async with self._pipeline.stream(
                request, self.headers_for(request, token=token)
            ) as response:
                opened = True
                yield response
        except NotFoundError as exc:
            if opened or not self._versions.is_refusal(request, exc):
                raise  # from the caller's block, or not a version refusal
            raise self._versions.refused(request, exc) from None

    async def send_as(
        self,
        request: ApiRequest,
        email: str,
        fetch: Fetch | None,
        *,
        body: StreamBody | None = None,
    ) -> ApiResponse:
        """Send ``request`` with ``email``'s token, fetched through ``fetch`` if missing.

        If the server rejects the token (3002) and ``fetch`` is given, that token is
        dropped, a new one fetched, and the request sent once more. A request whose
        body was streamed is retried only if the body can be replayed. The token logic
        lives in :meth:`TokenManager.send_with_token`.
        """
        sent = await self._tokens.send_with_token(
            self.token_key(email),
            request,
            lambda token: self.request(request, token=token, body=body),
            fetch,
        )
        return sent.response

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


class _ProductPath(TypedDict):
    product_key: str


_public.claim(globals())

"""The sans-I/O core: the request and response values, and how answers are read.

The operations themselves are declared in :mod:`._endpoints`.

Nothing here does I/O or imports aiohttp: a request is a plain :class:`ApiRequest`
value and a response a plain :class:`ApiResponse`, so this module is tested without an
event loop or an HTTP mock.

Example::

    >>> req = ApiRequest("POST", "/users/alice@example.com/transfer-sessions")
    >>> req.method, req.url_path, req.idempotent
    ('POST', '/api/users/alice@example.com/transfer-sessions', False)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import Enum
from itertools import accumulate
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from attrs import define, field

from . import _public
from ._errors import (
    ApiError,
    ApiVersionUnsupportedError,
    BadRequestError,
    NotFoundError,
    NotLicensedError,
    PolicyRejectedError,
    RateLimitedError,
    RemoteLoggingDisabledError,
    ResponseParseError,
    RuleViolationError,
    ServerError,
    TransferDeletedError,
    TransferLockedError,
    UnsupportedSecurityModeError,
    VerificationError,
    WrongPasswordError,
)
from ._scrub import redact
from ._validation import server_id, validate_header_value

__all__ = [
    "MAJOR_API_VERSION",
    "ApiRequest",
    "ApiResponse",
    "CreatedId",
    "TokenUse",
    "build_headers",
    "created_id",
    "describe_answer",
    "error_for_response",
    "json_data",
    "raise_for_status",
    "read_created_id",
]

MAJOR_API_VERSION: Final = 1
MAX_JSON_DEPTH: Final = 100
"""The deepest nesting of arrays/objects accepted in an answer (API documents use < 10)."""
_API_PREFIX: Final = "/api"


class TokenUse(Enum):
    """Whether an endpoint needs the sender's verification token (``ApiRequest.token``;
    a custom :class:`Transport` sees it on every request).

    Example::

        >>> from cryptshare_async import TokenUse
        >>> TokenUse("required")
        <TokenUse.REQUIRED: 'required'>
    """

    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


@define(frozen=True, slots=True)
class ApiRequest:
    """One API call, before any I/O.

    ``path`` is relative to ``/api`` and already percent-encoded. ``json`` is a
    JSON-ready value (``None``: no body). ``minimum_minor_version`` is what this endpoint
    needs (``None``: the client's floor). ``idempotent`` requests may be retried.
    ``created_in`` is the collection (relative to ``/api``) in which the resource a
    ``201`` answer names must lie (``None``: nothing is created).
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    json: Any = field(default=None, repr=False)  # may hold a password or a code
    token: TokenUse = TokenUse.NONE
    minimum_minor_version: int | None = None
    idempotent: bool = field()
    language: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    created_in: str | None = None

    @idempotent.default
    def _idempotent_by_method(self) -> bool:
        return self.method in {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}

    @property
    def url_path(self) -> str:
        """The full path under the server root, e.g. ``/api/users/...``."""
        return _API_PREFIX + self.path


@define(frozen=True, slots=True)
class ApiResponse:
    """An HTTP answer, read whole (bodies of API answers are small JSON documents).

    ``secrets`` are the secret values the request carried (client id, verification
    token, passwords, in every spelling), attached by the pipeline: a server may echo
    them back, so every text this module quotes from the answer is scrubbed of them.
    They are never shown, compared or pickled.
    """

    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    secrets: frozenset[str] = field(default=frozenset(), repr=False, eq=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"status": self.status, "headers": self.headers, "body": self.body}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "secrets", frozenset())


def build_headers(
    request: ApiRequest,
    *,
    client_id: str,
    minimum_minor_version: int,
    product_key: str,
    language: str | None,
    token: str | None,
) -> dict[str, str]:
    """The ``X-CS-*`` and ``Accept-Language`` headers for ``request``.

    The minor version sent is the higher of the client's floor and what the endpoint
    needs. ``token`` is sent when given (endpoints with ``TokenUse.NONE`` never get it).
    """
    minor = max(minimum_minor_version, request.minimum_minor_version or 0)
    headers = {
        "X-CS-MajorApiVersion": str(MAJOR_API_VERSION),
        "X-CS-MinimumMinorApiVersion": str(minor),
        "X-CS-ClientId": client_id,
        "X-CS-ProductKey": validate_header_value(product_key, what="product key"),
    }
    if token is not None and request.token is not TokenUse.NONE:
        headers["X-CS-VerificationToken"] = validate_header_value(
            token, what="verification token", secret=True
        )
    chosen_language = request.language or language
    if chosen_language:
        headers["Accept-Language"] = validate_header_value(chosen_language, what="language")
    for name, value in request.extra_headers:
        headers[name] = value
    return headers


# ---------------------------------------------------------------- response reading

_BY_CODE: Final[dict[int, type[ApiError]]] = {
    1002: BadRequestError,
    1004: BadRequestError,
    1005: BadRequestError,
    1006: NotFoundError,
    2001: RuleViolationError,
    2003: NotFoundError,
    2004: ApiVersionUnsupportedError,
    2005: TransferLockedError,
    2006: TransferDeletedError,
    2007: RateLimitedError,
    3001: NotLicensedError,
    3002: VerificationError,
    3003: WrongPasswordError,
    3004: RemoteLoggingDisabledError,
    3010: PolicyRejectedError,
    3011: PolicyRejectedError,
    5000: ServerError,
    5001: UnsupportedSecurityModeError,
    5002: UnsupportedSecurityModeError,
}

_BY_STATUS: Final[dict[int, type[ApiError]]] = {
    400: BadRequestError,
    401: VerificationError,
    404: NotFoundError,
    409: RuleViolationError,
    410: TransferDeletedError,
    429: RateLimitedError,
}

#: A server's errorMessage is cut to this many characters (a sane one is one sentence).
_MAX_ERROR_MESSAGE: Final = 500
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# A broken token answer must not put the token into an error message.
_SECRET_VALUE = re.compile(
    r'("(?:[A-Za-z]*[Tt]oken|[A-Za-z]*[Pp]assword|clientId)"\s*:\s*")[^"]*("?)'
)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                return candidate
    return value


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = _header(headers, "Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _excerpt(body: bytes, secrets: frozenset[str], limit: int = 200) -> str:
    """The start of ``body`` as one line of text, without tags or ``secrets``."""
    # Only the start matters: never decode or scan a multi-MiB body for 200 characters.
    # The margin keeps a secret that starts inside the window whole, so none is half-cut.
    margin = 4 * max(map(len, secrets), default=0)
    text = redact(body[: limit * 8 + margin].decode("utf-8", "replace"), secrets)
    text = _SECRET_VALUE.sub(r"\1***\2", text)
    text = _SPACE.sub(" ", _TAG.sub(" ", text)).strip()
    # Removing tags and white space may join what the server split: redact again.
    text = redact(text, secrets)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _TooDeepError(ValueError):
    pass


# A JSON string, possibly unterminated (then it runs to the end: linear, no backtracking).
_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays/objects in ``body``, brackets inside strings ignored.

    A cheap pre-scan (no recursion), so ``json.loads`` never sees a document deep enough
    to exhaust the interpreter's stack.

    >>> json_depth(b'{"a": [1, {"b": "]]"}]}')
    3
    """
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    opening = brackets.count(b"[") + brackets.count(b"{")
    if opening <= 1:
        return opening
    return max(0, *accumulate(map(_DEPTH_STEP.__getitem__, brackets)))


def _loads(body: bytes) -> Any:
    """``json.loads`` that refuses a document nested deeper than :data:`MAX_JSON_DEPTH`."""
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
        raise _TooDeepError("JSON nested too deep")
    return json.loads(body)


def error_for_response(request: ApiRequest, response: ApiResponse) -> ApiError:
    """Map an error answer to the typed tree: by ``errorCode`` first, then by status.

    A body that is not the API's JSON error (a proxy's HTML 502 page, an empty 503)
    still gives a typed error, with a short text excerpt as the message.
    """
    code: int | None = None
    message = ""
    try:
        document = _loads(response.body) if response.body else None
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("errorCode"), int):
        code = document["errorCode"]
        raw_message = document.get("errorMessage")
        message = redact(raw_message, response.secrets) if isinstance(raw_message, str) else ""
        if len(message) > _MAX_ERROR_MESSAGE:
            message = message[: _MAX_ERROR_MESSAGE - 1] + "…"
    else:
        message = _excerpt(response.body, response.secrets)
    cls = _BY_CODE.get(code) if code is not None else None
    if cls is None:
        if response.status >= 500:
            cls = ServerError
        elif response.status == 403 and code is None:
            cls = ApiError
        else:
            cls = _BY_STATUS.get(response.status, ApiError)
    if response.status == 429:
        cls = RateLimitedError
    return cls(
        status=response.status,
        error_code=code,
        error_message=message,
        method=request.method,
        path=request.url_path,
        retry_after=_retry_after(response.headers),
    )


def raise_for_status(request: ApiRequest, response: ApiResponse) -> None:
    """Raise the typed error unless the status is a success (any 2xx).

    Servers differ in which success code they use (200 or 204 for a deletion, 200 or
    201 for a creation), so every 2xx is accepted; what a created resource's answer
    must carry is checked by :func:`read_created_id`.
    """
    if not 200 <= response.status < 300:
        raise error_for_response(request, response)


def json_data(request: ApiRequest, response: ApiResponse) -> Any:
    """Check the status and return the ``data`` of the ``{"data", "meta"}`` envelope.

    A body that is not an envelope (``/api/status`` answers without one) is returned whole.
    """
    raise_for_status(request, response)
    failure: ResponseParseError | None = None
    document: Any = None
    try:
        document = _loads(response.body)
    except _TooDeepError:
        failure = ResponseParseError(
            f"{request.method} {request.url_path} answered HTTP {response.status} with JSON"
            f" nested deeper than {MAX_JSON_DEPTH} levels; refusing to parse it"
        )
    except ValueError as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        failure = ResponseParseError(
            f"{request.method} {request.url_path} answered HTTP {response.status} with a body"
            f" that is not JSON ({reason}): {_excerpt(response.body, response.secrets, 80)!r}"
        )
    if failure is not None:
        # Raised outside the handler, so neither chained nor as context: a JSONDecodeError
        # keeps the whole body, which may hold a token.
        raise failure
    if isinstance(document, dict) and "data" in document:
        return document["data"]
    return document


#: A ``Location`` longer than this is refused unread (a sane one is ~100 characters).
MAX_LOCATION_LENGTH: Final = 2048
_SHOWN_LOCATION: Final = 120
# Long runs of token-like characters are hidden when a Location is quoted in an error:
# a hostile or confused server could echo a client id or token into it.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_~+=%.-]{40,}")


@define(frozen=True, slots=True)
class CreatedId:
    """What a ``201`` answer says about the resource it created.

    ``id`` is set when the answer names the resource usably. Otherwise ``problem``
    says what was wrong, and ``recovered`` holds the id if another part of the answer
    names it safely (so the caller can delete what it cannot use).
    """

    id: str | None
    problem: str = ""
    recovered: str | None = None


def describe_answer(request: ApiRequest, response: ApiResponse) -> str:
    """``"POST /api/... answered HTTP 201"``: the start of an error message."""
    return f"{request.method} {request.url_path} answered HTTP {response.status}"


def read_created_id(
    request: ApiRequest, response: ApiResponse, *, request_url: str | None = None
) -> CreatedId:
    """Read the id of the resource a ``201`` answer created (non-2xx answers raise).

    The id is the last segment of ``Location``, whose path must be the request's
    collection (``request.created_in``) plus exactly one segment that
    :func:`~._validation.server_id` accepts (with or without the path prefix of the
    client's base URL: a server behind a prefixing proxy may not know it). ``Location``
    may be absolute or relative
    (resolved against ``request_url``, the URL the request went to, per RFC 3986); an
    absolute one must be http(s), without user information, on the server's host
    (scheme and port may differ: TLS-terminating proxies often report their own). A
    query or fragment is ignored; one trailing slash is tolerated; dot segments and
    Locations over :data:`MAX_LOCATION_LENGTH` characters are refused. Without
    ``Location``, the body's ``fileId`` (registration) or ``trackingId`` is used. A
    body id that disagrees with ``Location`` makes the answer unusable.

    Example::

        >>> req = ApiRequest("POST", "/users/a@example.com/transfer-sessions",
        ...                  created_in="/users/a@example.com/transfer-sessions")
        >>> where = {"Location": "/api/users/a@example.com/transfer-sessions/T1"}
        >>> read_created_id(req, ApiResponse(201, where, b"")).id
        'T1'
    """
    raise_for_status(request, response)
    present, body_id = _body_id(request, response)
    location = _header(response.headers, "Location")
    if location is None:
        if body_id is not None:
            return CreatedId(body_id)
        return CreatedId(None, "without a Location header naming the new resource")
    location_id, reason = _location_id(request, location, request_url)
    if location_id is None:
        return CreatedId(
            None,
            f"with an unusable Location {_shown(location, response.secrets)}: {reason}",
            recovered=body_id,
        )
    if present and body_id != location_id:
        return CreatedId(
            None,
            f"naming the new resource twice, differently: Location"
            f" {_shown(location, response.secrets)}"
            " and the body's id",
            recovered=location_id,
        )
    return CreatedId(location_id)


def created_id(
    request: ApiRequest, response: ApiResponse, *, request_url: str | None = None
) -> str:
    """The id :func:`read_created_id` finds, or :class:`ResponseParseError`."""
    found = read_created_id(request, response, request_url=request_url)
    if found.id is None:
        raise ResponseParseError(f"{describe_answer(request, response)} {found.problem}")
    return found.id


def _body_id(request: ApiRequest, response: ApiResponse) -> tuple[bool, str | None]:
    """(whether the body names an id, the id if it is usable)."""
    if not response.body:
        return False, None
    try:
        document = _loads(response.body)
    except ValueError:
        return False, None
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        return False, None
    key = "fileId" if (request.created_in or "").endswith("/files") else "trackingId"
    if key not in data:
        return False, None
    return True, server_id(data[key])


def _location_id(
    request: ApiRequest, location: str, request_url: str | None
) -> tuple[str | None, str]:
    if len(location) > MAX_LOCATION_LENGTH:
        return None, f"it is longer than {MAX_LOCATION_LENGTH} characters"
    if request_url and "?" not in request_url and request_url.endswith(request.url_path):
        # The usual answer, decided without parsing: the server root the request went to
        # (built here, so http(s), this host, no user information), the collection, and
        # one usable id.
        root = request_url[: len(request_url) - len(request.url_path)]
        head, _, last = location.rpartition("/")
        if head == root + _API_PREFIX + (request.created_in or request.path) and server_id(last):
            return last, ""
    if not location or not location.isprintable() or " " in location:
        return None, "it is empty or contains white space or control characters"
    try:
        parts = urlsplit(location)
        base = urlsplit(request_url) if request_url else None
        host = parts.hostname
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return None, "it is not a URL"
    if parts.scheme or parts.netloc:
        if parts.scheme.lower() not in {"http", "https"}:
            return None, "it is not an http(s) URL"
        if "@" in parts.netloc:
            return None, "it carries user information"
        if base is not None and (host or "") != (base.hostname or ""):
            return None, "it names another host than the server"
        path = parts.path
    elif parts.path.startswith("/"):
        path = parts.path
    else:
        base_path = base.path if base is not None else request.url_path
        path = base_path.rsplit("/", 1)[0] + "/" + parts.path
    prefix = ""
    if base is not None and base.path.endswith(request.url_path):
        prefix = base.path[: len(base.path) - len(request.url_path)]
    collection = _API_PREFIX + (request.created_in or request.path)
    head, _, last = path.removesuffix("/").rpartition("/")
    # Behind a reverse proxy that adds a path prefix, the server may not know the prefix.
    if not (_same_path(head, prefix + collection) or _same_path(head, collection)):
        return None, f"its path is not one segment below {prefix + collection}"
    if server_id(unquote(last)) is None:
        return None, "its last segment is not a usable id"
    return unquote(last), ""


def _same_path(left: str, right: str) -> bool:
    """Equal paths, segment by segment, ignoring percent-encoding and case."""
    a, b = left.split("/"), right.split("/")
    return len(a) == len(b) and all(
        unquote(x).casefold() == unquote(y).casefold() for x, y in zip(a, b, strict=True)
    )


def _shown(location: str, secrets: frozenset[str]) -> str:
    """``location`` fit to quote in an error: no query or fragment, no ``secrets`` or
    token-like runs, at most :data:`_SHOWN_LOCATION` characters."""
    # Redacted before it is cut, so no secret survives half-cut.
    text = redact(location, secrets)[:MAX_LOCATION_LENGTH].split("?", 1)[0].split("#", 1)[0]
    text = _TOKEN_LIKE.sub(lambda m: f"<{len(m.group())} characters>", text)
    text = "".join(c if c.isprintable() else "?" for c in text)
    if len(text) > _SHOWN_LOCATION:
        text = text[: _SHOWN_LOCATION - 1] + "…"
    return repr(text)


_public.claim(globals())

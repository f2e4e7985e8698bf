"""HTTP plumbing: JSON envelopes, the API headers, and the middlewares.

Middlewares, outermost first: request log → error mapping → fault injection → header
checks. Header checks cover every ``/api`` path except ``/api/status``.

Example::

    >>> parse_int("13"), parse_int("1.0"), parse_int("-1")
    (13, None, None)
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from ._errors import ApiError
from ._faults import FaultInjector
from ._responses import CLOSE_CONNECTION, dumps, error_response, request_key
from ._versions import endpoint_minor

__all__ = [
    "API_CONTEXT",
    "CLOSE_CONNECTION",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "ApiContext",
    "RecordedRequest",
    "context",
    "created",
    "json_body",
    "json_value",
    "ok",
    "parse_int",
]

log = logging.getLogger("cryptshare_async.testing")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CLIENT_ID: Final = re.compile(r"^[A-Za-z0-9]{50,4000}$")
_DIGITS: Final = re.compile(r"^[0-9]{1,9}$")
_SECRET_HEADERS: Final = frozenset(
    {"x-cs-clientid", "x-cs-verificationtoken", "x-cs-password", "authorization"}
)
#: Every JSON request body (API and control routes) is read up to this size...
MAX_JSON_BYTES: Final = 1024 * 1024
#: ... and parsed only when its arrays and objects nest no deeper than this (deeper ones
#: would exhaust the parser's recursion and make a 500 of a bad request).
MAX_JSON_DEPTH: Final = 32


def parse_int(value: str) -> int | None:
    """A non-negative decimal integer, or ``None``."""
    return int(value) if _DIGITS.match(value) else None


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The validated API headers of one request (header or query parameter)."""

    client_id: str = field(repr=False)
    minor_version: int
    product_key: str
    token: str | None = field(repr=False)
    accept_language: str | None


API_CONTEXT: Final = request_key("cryptshare_emulator_api_context", ApiContext)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the emulator received (``Emulator.requests``).

    Header values are kept for assertions but left out of ``repr`` (they hold secrets).
    """

    method: str
    path: str
    query: Mapping[str, str] = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        lowered = name.lower()
        for header, value in self.headers.items():
            if header.lower() == lowered:
                return value
        return None

    @property
    def minimum_minor_version(self) -> int | None:
        """``X-CS-MinimumMinorApiVersion`` (header or query) as sent, if it is an integer."""
        raw = self.header("X-CS-MinimumMinorApiVersion") or self.query.get(
            "minimum-minor-api-version"
        )
        return parse_int(raw) if raw is not None else None

    def to_json(self) -> dict[str, Any]:
        """JSON for the control endpoint; secret header values are masked."""
        headers = {
            k: ("***" if k.lower() in _SECRET_HEADERS else v) for k, v in self.headers.items()
        }
        return {"method": self.method, "path": self.path, "headers": headers}


def _param(request: web.Request, header: str, query: str) -> str | None:
    value = request.headers.get(header)
    return value if value is not None else request.query.get(query)


def context(request: web.Request) -> ApiContext:
    """The request's validated :class:`ApiContext` (set by the header middleware)."""
    ctx = request[API_CONTEXT]
    assert isinstance(ctx, ApiContext)
    return ctx


def check_headers(request: web.Request, max_minor: int) -> ApiContext:
    """Validate the API headers: 1002 missing, 1004 malformed, 2004 unsupported version."""
    client_id = _param(request, "X-CS-ClientId", "client-id")
    if client_id is None:
        # GET /api/clients hands a client id out: it cannot demand one.
        if request.path.rstrip("/") != "/api/clients":
            raise ApiError.missing("X-CS-ClientId")
        client_id = ""
    elif not _CLIENT_ID.match(client_id):
        raise ApiError.invalid("X-CS-ClientId")
    major_text = _param(request, "X-CS-MajorApiVersion", "major-api-version")
    if major_text is None:
        raise ApiError.missing("X-CS-MajorApiVersion")
    major = parse_int(major_text.strip())
    if major is None:
        raise ApiError.invalid("X-CS-MajorApiVersion")
    if major != 1:
        raise ApiError(404, 2004)
    minor_text = _param(request, "X-CS-MinimumMinorApiVersion", "minimum-minor-api-version")
    if minor_text is None:
        raise ApiError.missing("X-CS-MinimumMinorApiVersion")
    minor = parse_int(minor_text.strip())
    if minor is None:
        raise ApiError.invalid("X-CS-MinimumMinorApiVersion")
    if minor > max_minor:
        raise ApiError(404, 2004)
    product = _param(request, "X-CS-ProductKey", "product-key") or "api.rest"
    if product != "api.rest":
        raise ApiError.invalid("X-CS-ProductKey")
    return ApiContext(
        client_id=client_id,
        minor_version=minor,
        product_key=product,
        token=_param(request, "X-CS-VerificationToken", "verification-token"),
        accept_language=request.headers.get("Accept-Language"),
    )


def ok(data: Any) -> web.Response:
    """200 with ``{"data": ..., "meta": {}}``."""
    return web.json_response({"data": data, "meta": {}}, dumps=dumps)


def created(location: str, data: Any = None) -> web.Response:
    """201 with ``Location`` and, when given, a ``{"data": ...}`` body."""
    if data is None:
        return web.Response(status=201, headers={"Location": location})
    body = {"data": data, "meta": {}}
    return web.json_response(body, status=201, headers={"Location": location}, dumps=dumps)


async def json_body(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    """The JSON object body; 400/1004 if malformed or nested deeper than
    :data:`MAX_JSON_DEPTH`, 413/1004 if larger than :data:`MAX_JSON_BYTES`; ``{}`` if
    empty and ``optional``."""
    raw = await _read_limited(request, MAX_JSON_BYTES)
    if not raw.strip():
        if optional:
            return {}
        raise ApiError.missing("request body")
    data = _parse(raw)
    if not isinstance(data, dict):
        raise ApiError.invalid("request body (not a JSON object)")
    return data


async def json_value(request: web.Request) -> Any:
    """The JSON body of any type (an array, say), with the limits of :func:`json_body`."""
    raw = await _read_limited(request, MAX_JSON_BYTES)
    if not raw.strip():
        raise ApiError.missing("request body")
    return _parse(raw)


def _parse(raw: bytes) -> Any:
    too_deep = ApiError.invalid(f"request body (JSON nested deeper than {MAX_JSON_DEPTH} levels)")
    try:
        data = json.loads(raw)
    except RecursionError:
        # The parser guards its own recursion; deeper than that is too deep in any case.
        raise too_deep from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError.invalid("request body (not JSON)") from None
    if _too_deep(data, MAX_JSON_DEPTH):
        raise too_deep
    return data


async def _read_limited(request: web.Request, limit: int) -> bytes:
    """The whole body, refused (413/1004) before reading past ``limit`` bytes."""
    too_large = ApiError(413, 1004, f"Request body too large: at most {limit} bytes of JSON.")
    if request.content_length is not None and request.content_length > limit:
        request[CLOSE_CONNECTION] = True  # the unread body must not become the next request
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(1 << 16):
        size += len(chunk)
        if size > limit:
            request[CLOSE_CONNECTION] = True
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _too_deep(data: Any, limit: int) -> bool:
    """Whether arrays and objects in ``data`` nest deeper than ``limit`` (no recursion:
    the handlers that walk a body recursively get one at most ``limit`` deep)."""
    if not isinstance(data, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def make_middlewares(
    faults: FaultInjector, requests: deque[RecordedRequest], max_minor: int
) -> list[Middleware]:
    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_api(request.path):
            requests.append(
                RecordedRequest(
                    request.method, request.path, dict(request.query), dict(request.headers)
                )
            )
        return await handler(request)

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await _mapped_errors(request, handler)
        if request.get(CLOSE_CONNECTION):
            response.force_close()
        return response

    @web.middleware
    async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
        rule = faults.match(request.method, request.path) if is_api(request.path) else None
        if rule is None:
            return await handler(request)
        # The actions run the handler with its errors mapped, as a client would see them.
        return await rule.action()(request, lambda r: _mapped_errors(r, handler))

    @web.middleware
    async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_api(request.path) and endpoint_minor(request.method, request.path) > max_minor:
            raise ApiError(404, 1006)  # added after this server's version: not there
        if is_api(request.path) and request.path != "/api/status":
            request[API_CONTEXT] = check_headers(request, max_minor)
        return await handler(request)

    return [record, errors, inject, headers]


async def _mapped_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The handler's response, or the spec's error response for what it raised."""
    try:
        return await handler(request)
    except ApiError as err:
        return error_response(err.status, err.code, err.message)
    except web.HTTPNotFound:
        return error_response(404, 1006)
    except web.HTTPMethodNotAllowed as exc:
        # The schema documents no 405: an operation (method + path) that does not exist
        # is an endpoint that does not exist, 404/1006; Allow still lists the methods.
        response = error_response(404, 1006, "Specified endpoint does not exist.")
        response.headers["Allow"] = ",".join(sorted(exc.allowed_methods))
        return response
    except web.HTTPException:
        raise
    except asyncio.CancelledError:
        raise
    except ConnectionError as exc:
        # The client went away, mid-body typically: its clients do that on purpose
        # (cancelled uploads, injected drops), so it is not the server's error. Nobody is
        # left to read this response; returning one (rather than raising) keeps aiohttp
        # from logging a traceback at ERROR level.
        log.info("emulator: %s %s: the client went away (%s)", request.method, request.path, exc)
        return error_response(400, 1004, "Incomplete request body: the connection was lost.")
    except Exception:
        log.exception("emulator: unhandled error on %s %s", request.method, request.path)
        return error_response(500, 5000)

"""Keep the secrets a request carried out of every text the library shows.

aiohttp's errors keep the request (headers included: client id, verification token,
transfer password) in their attributes, and a parser error may quote the peer's bytes
at length. The pipeline never chains such an exception; it names its type and a short,
scrubbed text instead. A hostile or confused server may also echo those secrets back (in
an ``errorMessage``, an HTML page, a model field): every text quoted from an answer is
passed through :func:`redact` with the secrets of the request it answers.

Example::

    >>> describe(ValueError("bad token abc123"), secrets_in({"X-CS-ClientId": "abc123"}))
    'ValueError: bad token ***'
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import quote, quote_plus, unquote, unquote_plus

__all__ = [
    "describe",
    "redact",
    "redact_json",
    "scrub",
    "secrets_in",
    "secrets_in_json",
    "spellings",
]

# Headers the client sends that are not secret; every other value is treated as one.
_PUBLIC_HEADERS: Final = frozenset(
    {
        "x-cs-majorapiversion",
        "x-cs-minimumminorapiversion",
        "x-cs-productkey",
        "accept-language",
        "content-type",
        "content-length",
        "user-agent",
        "accept",
        "accept-encoding",
    }
)
# Endings of a request body's keys whose string values are secrets (a transfer password,
# a password to validate, a verification code); ``passwordMode`` is not one.
_SECRET_KEY: Final = ("password", "token", "code", "clientid", "secret")
_MIN_SECRET: Final = 4
_MESSAGE_LIMIT: Final = 200
_MAX_JSON_DEPTH: Final = 32


def spellings(value: str) -> frozenset[str]:
    """``value`` as a server could echo it: as sent, URL-decoded or -encoded (``%20`` or
    ``+`` for spaces), JSON-escaped, HTML-escaped. Spellings shorter than 4 characters are
    dropped (replacing them would garble every text).

    >>> sorted(spellings("a b&c"))
    ['a b&amp;c', 'a b&c', 'a%20b%26c', 'a+b%26c']
    """
    found = {value, unquote(value), unquote_plus(value)}
    for plain in tuple(found):
        found.update(
            {
                quote(plain, safe=""),
                quote_plus(plain, safe=""),
                json.dumps(plain)[1:-1],
                html.escape(plain),
                html.escape(plain, quote=False),
            }
        )
    return frozenset(item for item in found if len(item) >= _MIN_SECRET)


def secrets_in(headers: Mapping[str, str]) -> frozenset[str]:
    """The values of ``headers`` that must never be shown, in every spelling sent."""
    values = tuple(
        value
        for name, value in headers.items()
        if name.lower() not in _PUBLIC_HEADERS and len(value) >= _MIN_SECRET
    )
    return _all_spellings(values)


# Every request of a sender carries the same client id and token: their spellings are
# worked out once, not on every request (a few dozen microseconds each).
@functools.lru_cache(maxsize=256)
def _all_spellings(values: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()
    for value in values:
        found.update(spellings(value))
    return frozenset(found)


def secrets_in_json(document: Any) -> frozenset[str]:
    """The string values of a request body's secret keys (``password``, ``verificationCode``,
    ``...Token``...), at any depth, in every spelling.

    >>> sorted(secrets_in_json({"securityMode": {"config": {"password": "hunter22"}}}))
    ['hunter22']
    """
    found: set[str] = set()
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_JSON_DEPTH:
            continue
        if isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(item, str) and str(key).lower().endswith(_SECRET_KEY):
                    found.update(spellings(item))
                else:
                    stack.append((item, depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend((item, depth + 1) for item in value)
    return frozenset(found)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (nothing else changes).

    >>> redact("token abc123 refused", {"abc123"})
    'token *** refused'
    """
    # Longest first, so a secret containing another is replaced whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text


def redact_json(document: Any, secrets: frozenset[str]) -> Any:
    """``document`` (parsed JSON) with :func:`redact` applied to every key and string.

    >>> redact_json({"state": "FAILED", "files": [{"cause": "no abc123"}]}, frozenset({"abc123"}))
    {'state': 'FAILED', 'files': [{'cause': 'no ***'}]}
    """
    if not secrets:
        return document
    if isinstance(document, str):
        return redact(document, secrets)
    if isinstance(document, list):
        return [redact_json(item, secrets) for item in document]
    if isinstance(document, dict):
        return {redact(str(k), secrets): redact_json(v, secrets) for k, v in document.items()}
    return document


def scrub(text: str, secrets: Iterable[str], *, limit: int = _MESSAGE_LIMIT) -> str:
    """``text`` with every secret replaced by ``***``, cut to ``limit`` characters."""
    text = " ".join(redact(text, secrets).split())
    # Collapsing white space may join what a server split: redact once more.
    text = redact(text, secrets)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(exc: BaseException, secrets: Iterable[str]) -> str:
    """``"TypeName: scrubbed message"`` (just the type name if the message is empty)."""
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not hide the original failure
        text = ""
    # Scrub the whole text before cutting it, so no secret survives half-cut.
    text = scrub(text, secrets, limit=len(text) + 1)
    text = scrub(text, (), limit=_MESSAGE_LIMIT)
    name = type(exc).__name__
    return f"{name}: {text}" if text else name

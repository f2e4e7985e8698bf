"""Describe a foreign exception without the secrets it may hold.

aiohttp's errors keep the request (headers included: client id, verification token,
transfer password) in their attributes, and a parser error may quote the peer's bytes
at length. The pipeline never chains such an exception; it names its type and a short,
scrubbed text instead.

Example::

    >>> describe(ValueError("bad token abc123"), secrets_in({"X-CS-ClientId": "abc123"}))
    'ValueError: bad token ***'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final
from urllib.parse import quote, unquote

__all__ = ["describe", "scrub", "secrets_in"]

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
_MIN_SECRET: Final = 4
_MESSAGE_LIMIT: Final = 200


def secrets_in(headers: Mapping[str, str]) -> frozenset[str]:
    """The values of ``headers`` that must never be shown, in every spelling sent."""
    found: set[str] = set()
    for name, value in headers.items():
        if name.lower() in _PUBLIC_HEADERS or len(value) < _MIN_SECRET:
            continue
        found.update({value, unquote(value), quote(value, safe="")})
    return frozenset(item for item in found if len(item) >= _MIN_SECRET)


def scrub(text: str, secrets: Iterable[str], *, limit: int = _MESSAGE_LIMIT) -> str:
    """``text`` with every secret replaced by ``***``, cut to ``limit`` characters."""
    # Longest first, so a secret containing another is replaced whole.
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = " ".join(text.split())
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

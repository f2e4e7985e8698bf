"""What every hostile case must leave behind: a typed error and no secret anywhere in it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from cryptshare_async import CryptshareError

CLIENT_ID = "HostileClientId" + "Q7" * 20
TOKEN = "HostileTokenValue" + "T9" * 12
PASSWORD = "Hostile pw ÄÖ&?=secret"
SECRETS = (CLIENT_ID, TOKEN, PASSWORD, quote(PASSWORD, safe=""))


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception reachable by cause, context or group, once each."""
    stack, seen = [error], set[int]()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        stack.extend(getattr(current, "exceptions", ()))


def texts(value: Any, depth: int = 0, seen: set[int] | None = None) -> Iterator[str]:
    """``repr`` of ``value`` and every string reachable through containers and exceptions
    (their ``str``, ``args``, notes and attributes)."""
    seen = set() if seen is None else seen
    if depth > 12 or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, str):
        yield value
        return
    if isinstance(value, bytes | bytearray):
        yield bytes(value).decode("latin-1")
        return
    yield repr(value)
    if isinstance(value, BaseException):
        yield str(value)
        yield from texts(value.args, depth + 1, seen)
        yield from texts(getattr(value, "__notes__", []), depth + 1, seen)
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from texts(key, depth + 1, seen)
            yield from texts(item, depth + 1, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from texts(item, depth + 1, seen)
    if isinstance(value, BaseException):
        yield from texts(vars(value), depth + 1, seen)


def assert_typed_and_clean(error: BaseException) -> None:
    assert isinstance(error, CryptshareError), f"untyped: {type(error).__name__}: {error}"
    for link in chain(error):
        for text in texts(link):
            for secret in SECRETS:
                assert secret not in text, f"{type(link).__name__} carries a secret: {text[:200]}"

"""A misbehaving HTTP peer on 127.0.0.1 and a check that no secret leaks from an error."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from cryptshare_async import CryptshareClient, RetryPolicy

CID = "c" * 20 + "SecretClientId0123456789" + "d" * 20
TOKEN = "TokenSecret" + "t" * 30
PASSWORD = "pässwörd Secret/1"
SECRETS = (CID, TOKEN, PASSWORD, "p%C3%A4ssw%C3%B6rd%20Secret%2F1")

Answer = Callable[[int], bytes | None]
"""``answer(n)`` gives the raw bytes written back to the n-th request (1-based);
``None``: stall (say nothing) until the server is closed."""


class RawServer:
    """Answers each request with raw bytes, then closes the connection."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests = 0
        self.heads: list[bytes] = []
        self._server: asyncio.Server | None = None
        self._release = asyncio.Event()
        self._handlers: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.heads.append(head)
            self.requests += 1
            answer = self.answer(self.requests)
            if answer is None:
                async with asyncio.timeout(20):
                    await self._release.wait()
            else:
                writer.write(answer)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        self._release.set()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()


def client_for(url: str, **kwargs: Any) -> CryptshareClient:
    kwargs.setdefault("retry", RetryPolicy(max_attempts=2, backoff_base=0, backoff_max=0))
    return CryptshareClient(url, client_id=CID, **kwargs)


def chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception reachable through ``__cause__`` / ``__context__``."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop()
        if any(current is known for known in seen):
            continue
        seen.append(current)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return seen


def assert_no_secret(exc: BaseException, secrets: Iterable[str] = SECRETS) -> None:
    """No secret in str/repr/args/__dict__/notes of any exception in ``exc``'s chain."""
    for link in chain(exc):
        texts = [
            str(link),
            repr(link),
            repr(link.args),
            repr(getattr(link, "__dict__", {})),
            repr(getattr(link, "__notes__", [])),
        ]
        for secret in secrets:
            for text in texts:
                assert secret not in text, f"{type(link).__name__} leaks a secret: {text[:300]}"

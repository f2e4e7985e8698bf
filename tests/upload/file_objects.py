"""File objects of every kind for the upload tests, made over the same bytes.

``Kinds.make(kind)`` gives the object (and the ``upload()`` keywords it needs); the
async ones (aiofiles handles, an aiohttp ``StreamReader``) are closed with the stack.
"""

# Sync file objects opened in async tests are what these tests are about.
# ruff: noqa: ASYNC230

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import threading
from pathlib import Path
from typing import Any

import aiofiles
import aiohttp
from aiohttp import web

#: Kinds whose object can seek back to its start: a retry and the pre-pass work.
REPLAYABLE = ["rb", "rb-offset", "r+b", "bytesio", "aiofiles", "aiofiles-offset", "async-seekable"]
#: Kinds read once: they need ``size=`` and are never resent.
ONE_SHOT = ["sync-pipe", "upload-file", "stream-reader", "asyncio-stream-reader"]
ALL = REPLAYABLE + ONE_SHOT
OFFSET = 12_345


class ThreadSpy(io.BytesIO):
    """A ``BytesIO`` noting the thread of every read, seek and tell."""

    def __init__(self, data: bytes, threads: set[int]) -> None:
        super().__init__(data)
        self.threads = threads

    def read(self, size: int | None = -1, /) -> bytes:
        self.threads.add(threading.get_ident())
        return super().read(size)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        self.threads.add(threading.get_ident())
        return super().seek(offset, whence)

    def tell(self) -> int:
        self.threads.add(threading.get_ident())
        return super().tell()


class SyncPipe:
    """A sync binary reader that cannot seek (as ``sys.stdin.buffer`` on a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, size: int = -1, /) -> bytes:
        return self._inner.read(size)

    def seekable(self) -> bool:
        return False


class FakeUploadFile:
    """What a web framework's ``UploadFile`` offers: ``async read(n)``, ``async
    seek(offset)`` (no ``tell``), ``filename``, ``size``."""

    def __init__(self, data: bytes, filename: str) -> None:
        self._inner = io.BytesIO(data)
        self.filename = filename
        self.size = len(data)

    async def read(self, size: int = -1) -> bytes:
        await asyncio.sleep(0)
        return self._inner.read(size)

    async def seek(self, offset: int) -> None:
        self._inner.seek(offset)


class AsyncSeekable:
    """An async file-like object that can seek and tell (no descriptor)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.reads = 0

    async def read(self, size: int = -1) -> bytes:
        self.reads += 1
        await asyncio.sleep(0)
        return self._inner.read(size)

    async def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    async def tell(self) -> int:
        return self._inner.tell()


class Kinds:
    """Makes each kind of file object over ``data`` (``path`` holds the same bytes)."""

    def __init__(self, data: bytes, path: Path, stack: contextlib.AsyncExitStack) -> None:
        self.data = data
        self.path = path
        self.offset_path = path.with_name("offset.bin")
        self.offset_path.write_bytes(os.urandom(OFFSET) + data)
        self._stack = stack
        self._url: str | None = None

    async def make(self, kind: str) -> tuple[Any, dict[str, Any]]:
        """The object, and what upload() needs besides (``file_name``, ``size``)."""
        data, named = self.data, {"file_name": f"{kind}.bin"}
        sized = {**named, "size": len(data)}
        stack = self._stack
        if kind == "rb":
            return stack.enter_context(open(self.path, "rb")), named
        if kind == "rb-offset":
            f = stack.enter_context(open(self.offset_path, "rb"))  # noqa: SIM115
            f.read(OFFSET)  # the buffered object's position, not its descriptor's
            return f, named
        if kind == "r+b":
            return stack.enter_context(open(self.path, "r+b")), named
        if kind == "bytesio":
            return io.BytesIO(data), named
        if kind == "aiofiles":
            return await stack.enter_async_context(aiofiles.open(self.path, "rb")), named
        if kind == "aiofiles-offset":
            f = await stack.enter_async_context(aiofiles.open(self.offset_path, "rb"))
            await f.read(OFFSET)
            return f, named
        if kind == "async-seekable":
            return AsyncSeekable(data), named
        if kind == "sync-pipe":
            return SyncPipe(data), sized
        if kind == "upload-file":
            return FakeUploadFile(data, f"dir/{kind}.bin"), {"size": len(data)}
        if kind == "stream-reader":
            return await self.stream_reader(), sized
        if kind == "asyncio-stream-reader":
            reader = asyncio.StreamReader()
            reader.feed_data(data)
            reader.feed_eof()
            return reader, sized
        raise AssertionError(kind)

    async def stream_reader(self) -> aiohttp.StreamReader:
        """``resp.content`` of a GET from a local server sending the bytes."""
        if self._url is None:
            app = web.Application()

            async def handler(_request: web.Request) -> web.Response:
                return web.Response(body=self.data)

            app.router.add_get("/", handler)
            runner = web.AppRunner(app)
            await runner.setup()
            self._stack.push_async_callback(runner.cleanup)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self._url = f"http://127.0.0.1:{port}/"
        http = await self._stack.enter_async_context(aiohttp.ClientSession())
        response = await self._stack.enter_async_context(http.get(self._url))
        return response.content

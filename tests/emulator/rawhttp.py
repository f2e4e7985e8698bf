"""Helpers for the receive-path tests: a hand-written PUT, file registration, bounded waits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from .conftest import SENDER, Api

BOUND = 10.0  # a functional bound on waits for the server's side, not a measurement
OCTETS = {"Content-Type": "application/octet-stream"}


async def until(condition: Callable[[], object]) -> None:
    """Wait (bounded) until ``condition()`` is true."""
    async with asyncio.timeout(BOUND):
        while not condition():  # noqa: ASYNC110 - the emulator offers no event for these
            await asyncio.sleep(0.01)


async def register(api: Api, token: str, size: int) -> tuple[str, str, str]:
    """(tracking id, file id, content path) of a new file of ``size`` bytes."""
    tracking_id = await api.session(token)
    base = f"/api/users/{SENDER}/transfer-sessions/{tracking_id}/files"
    status, body, _ = await api.call(
        "POST", base, token=token, json={"fileName": "f.bin", "size": size}
    )
    assert status == 201, body
    file_id: str = body["data"]["fileId"]
    return tracking_id, file_id, f"{base}/{file_id}/content"


class RawPut:
    """A PUT written by hand, so that the test decides when (and whether) the body ends."""

    def __init__(self, api: Api, token: str, path: str, length: int) -> None:
        self.api, self.token, self.path, self.length = api, token, path, length

    async def __aenter__(self) -> RawPut:
        port = int(self.api.emu.url.rsplit(":", 1)[1])
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        headers = {**self.api.headers(self.token, **OCTETS), "Content-Length": str(self.length)}
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(f"PUT {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
        return self

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> tuple[int, dict[str, str]]:
        """The status and (lower-cased) headers of the answer."""
        async with asyncio.timeout(BOUND):
            status_line = await self.reader.readline()
            headers = {}
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
        return int(status_line.split()[1]), headers

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()

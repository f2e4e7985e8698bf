"""Fixtures for the lifecycle tests: an emulator, a client bound to it, transfers made by it."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest

from cryptshare_async import CryptshareClient, PasswordMode
from cryptshare_async import _protocol as protocol
from cryptshare_async._sender import Sender
from cryptshare_async._transfer import Transfer
from cryptshare_async.testing import Emulator, EmulatorConfig

ALICE = "alice@example.com"
BOB = "bob@example.org"
CAROL = "carol@example.net"


class BytesBody:
    """A replayable in-memory upload body (the transport's ``StreamBody``)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    @property
    def size(self) -> int:
        return len(self._data)

    async def _chunks(self) -> AsyncIterator[bytes]:
        yield self._data

    def open(self) -> AsyncIterator[bytes]:
        return self._chunks()


async def make_transfer(
    sender: Sender,
    files: Mapping[str, bytes],
    *,
    to: Sequence[str] = (BOB,),
    checksums: Mapping[str, str | None] | None = None,
    password_mode: PasswordMode = PasswordMode.GENERATED,
    password: str | None = None,
    **settings: Any,
) -> Transfer:
    """Create, fill and finalize a transfer. ``checksums`` overrides a file's registered
    checksum (``None``: register none); by default the true SHA-256 is registered."""
    session = await sender.create_session(to=list(to), name="Alice", phone="+49 1")
    if password is not None:
        await session.update(password_mode=password_mode, password=password, **settings)
    else:
        await session.update(password_mode=password_mode, **settings)
    for name, content in files.items():
        checksum = hashlib.sha256(content).hexdigest()
        if checksums is not None and name in checksums:
            checksum = checksums[name]  # type: ignore[assignment]
        file_id = await session.register_file(name, len(content), checksum)
        request = protocol.put_content_request(sender.email, session.tracking_id, file_id)
        protocol.raise_for_status(request, await sender.request(request, body=BytesBody(content)))
    return await session.finalize()


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(processing_seconds=0.0, seed=1234)


@pytest.fixture
async def emu(emulator_config: EmulatorConfig) -> AsyncIterator[Emulator]:
    async with Emulator(emulator_config) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[CryptshareClient]:
    async with CryptshareClient(emu.url, client_id=emu.client_id) as c:
        yield c


@pytest.fixture
def alice(client: CryptshareClient) -> Sender:
    return client.sender(ALICE)


@pytest.fixture
def bob(client: CryptshareClient) -> Sender:
    return client.sender(BOB)

"""The content receive path: large bodies are moved from the socket to the file directly
(the connection then closes), small ones go through aiohttp (keep-alive); faults, client
disconnects and deletions during a direct receive."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import aiohttp
import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig, FaultRule
from cryptshare_async.testing._direct import DIRECT_AVAILABLE

from .conftest import SENDER, Api
from .rawhttp import OCTETS, RawPut, register, until

MIB = 1024 * 1024

#: The Connection header after a large PUT: direct receive (Linux) closes the connection;
#: elsewhere large bodies go through aiohttp like small ones.
CLOSES = "close" if DIRECT_AVAILABLE else None


async def _put(api: Api, token: str, path: str, content: bytes) -> tuple[int, str | None]:
    """PUT ``content``; (status, the response's Connection header)."""
    async with api.http.put(
        api.emu.url + path, data=io.BytesIO(content), headers=api.headers(token, **OCTETS)
    ) as response:
        await response.read()
        return response.status, response.headers.get("Connection")


async def _file_state(api: Api, token: str, tracking_id: str) -> str:
    _, body, _ = await api.call(
        "GET", f"/api/users/{SENDER}/transfer-sessions/{tracking_id}", token=token
    )
    state: str = body["data"]["files"][0]["state"]
    return state


def _parts(directory: Path) -> list[Path]:
    return list(directory.glob("*.part"))


async def test_large_body_is_received_directly_then_the_connection_closes(
    api: Api, token: str
) -> None:
    content = os.urandom(3 * MIB + 12345)
    tracking_id, file_id, path = await register(api, token, len(content))
    assert await _put(api, token, path, content) == (200, CLOSES)
    assert (api.emu.storage_dir / tracking_id / file_id).read_bytes() == content
    assert await _file_state(api, token, tracking_id) == "UPLOADED"
    assert _parts(api.emu.storage_dir / tracking_id) == []


async def test_small_body_keeps_the_connection(api: Api, token: str) -> None:
    tracking_id, file_id, path = await register(api, token, 1000)
    assert await _put(api, token, path, b"s" * 1000) == (200, None)
    assert (api.emu.storage_dir / tracking_id / file_id).read_bytes() == b"s" * 1000


async def test_direct_receive_can_be_turned_off(http: aiohttp.ClientSession) -> None:
    async with Emulator(EmulatorConfig(direct_receive_min_bytes=None)) as emu:
        api = Api(emu, http)
        token = await api.token()
        content = os.urandom(3 * MIB)
        tracking_id, file_id, path = await register(api, token, len(content))
        assert await _put(api, token, path, content) == (200, None)
        assert (emu.storage_dir / tracking_id / file_id).read_bytes() == content


async def test_faults_on_the_content_route(api: Api, token: str) -> None:
    content = os.urandom(8 * MIB)
    tracking_id, file_id, path = await register(api, token, len(content))
    # A delay lets aiohttp buffer the start of the body; the rest is read directly.
    api.emu.add_fault(FaultRule(method="PUT", path="*/content", delay=0.2, times=1))
    assert (await _put(api, token, path, content))[0] == 200
    assert (api.emu.storage_dir / tracking_id / file_id).read_bytes() == content
    api.emu.clear_faults()
    api.emu.add_fault(FaultRule(method="PUT", path="*/content", status=503, times=1))
    assert (await _put(api, token, path, content))[0] == 503
    assert (api.emu.storage_dir / tracking_id / file_id).read_bytes() == content


async def test_client_gone_mid_body_leaves_no_partial_file(
    api: Api, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    content = os.urandom(8 * MIB)
    tracking_id, file_id, path = await register(api, token, len(content))
    async with RawPut(api, token, path, len(content)) as put:
        await put.send(content[: 2 * MIB])
        await until(lambda: any(r.method == "PUT" for r in api.emu.requests))
    directory = api.emu.storage_dir / tracking_id
    await until(lambda: not _parts(directory))
    assert await _file_state(api, token, tracking_id) == "INITIALIZED"
    assert await _put(api, token, path, content) == (200, CLOSES)
    assert (directory / file_id).read_bytes() == content
    assert _errors_logged(caplog) == []  # a client going away is not the server's error


async def test_client_gone_mid_body_through_aiohttp(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    async with Emulator(EmulatorConfig(direct_receive_min_bytes=None)) as emu:
        api = Api(emu, http)
        token = await api.token()
        content = os.urandom(4 * MIB)
        tracking_id, file_id, path = await register(api, token, len(content))
        async with RawPut(api, token, path, len(content)) as put:
            await put.send(content[:MIB])
            await until(lambda: any(r.method == "PUT" for r in emu.requests))
        directory = emu.storage_dir / tracking_id
        await until(lambda: not _parts(directory))
        assert await _file_state(api, token, tracking_id) == "INITIALIZED"
        assert await _put(api, token, path, content) == (200, None)
        assert (directory / file_id).read_bytes() == content
    assert _errors_logged(caplog) == []


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_file_deleted_during_a_direct_receive(api: Api, token: str) -> None:
    content = os.urandom(4 * MIB)
    tracking_id, _, path = await register(api, token, len(content))
    async with RawPut(api, token, path, len(content)) as put:
        await put.send(content[:MIB])
        await until(lambda: any(r.method == "PUT" for r in api.emu.requests))
        status, _, _ = await api.call("DELETE", path.removesuffix("/content"), token=token)
        assert status == 204
        await put.send(content[MIB:])
        status, headers = await put.response()
    assert (status, headers.get("connection")) == (404, CLOSES)
    await until(lambda: not _parts(api.emu.storage_dir / tracking_id))

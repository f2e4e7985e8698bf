"""Closing the emulator cancels requests still being handled (fault delays, stalled bodies).

The bounds are functional (close must not wait for the handlers): far above what a prompt
close takes, far below the delays the handlers sit in.
"""

from __future__ import annotations

import asyncio
import threading

import aiohttp
import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig, FaultRule

from .conftest import Api
from .rawhttp import BOUND, RawPut, register, until

MIB = 1024 * 1024


async def test_close_cancels_a_handler_in_a_long_fault_delay(http: aiohttp.ClientSession) -> None:
    emu = await Emulator(EmulatorConfig(processing_seconds=0)).start()
    try:
        emu.add_fault(FaultRule(method="GET", path="/api/clients", delay=30))
        request = asyncio.ensure_future(Api(emu, http).call("GET", "/api/clients"))
        await until(lambda: emu.fired_faults)
    finally:
        async with asyncio.timeout(BOUND):
            await emu.close()
    async with asyncio.timeout(BOUND):
        with pytest.raises(aiohttp.ClientError):
            await request


async def test_close_during_a_stalled_content_upload(http: aiohttp.ClientSession) -> None:
    """A client sent part of a large body and stalls: its receive is stopped, the worker
    thread (direct receive) has ended, the partial file went with the storage directory."""
    emu = await Emulator(EmulatorConfig(processing_seconds=0)).start()
    try:
        api = Api(emu, http)
        token = await api.token()
        tracking_id, _, path = await register(api, token, 64 * MIB)
        directory = emu.storage_dir / tracking_id
        async with RawPut(api, token, path, 64 * MIB) as put:
            await put.send(b"\0" * (8 * MIB))  # then nothing more
            await until(lambda: any(directory.glob("*.part")))
            async with asyncio.timeout(BOUND):
                await emu.close()
    finally:
        async with asyncio.timeout(BOUND):
            await emu.close()
    assert not directory.exists()
    assert not [t for t in threading.enumerate() if t.name == "cryptshare-emulator-receive"]

"""The emulator's Locations, absolute or relative, name every created resource usably."""

from __future__ import annotations

import pytest

from cryptshare_async._sender import Sender
from cryptshare_async.testing import Emulator, EmulatorConfig

from .conftest import make_transfer


@pytest.fixture(params=[True, False], ids=["absolute", "relative"])
def emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    return EmulatorConfig(processing_seconds=0.0, seed=1234, absolute_locations=request.param)


async def test_create_register_finalize_read_their_ids(emu: Emulator, alice: Sender) -> None:
    transfer = await make_transfer(alice, {"a.txt": b"abc", "b.txt": b"defg"})
    assert emu.transfer(transfer.tracking_id) is not None
    status = await transfer.status()
    assert status.status is not None
    assert len(status.status.files) == 2
    assert not [r for r in emu.requests if r.method == "DELETE"]

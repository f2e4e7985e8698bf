"""The emulator's "act, then lose the answer" fault: the state changed, the client got a
typed error (the ground for exactly-once sending)."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from cryptshare_async import (
    CryptshareError,
    ResponseParseError,
    ServerError,
    TransportError,
)
from cryptshare_async import _protocol as protocol
from cryptshare_async._sender import Sender
from cryptshare_async.testing import Emulator, FaultRule
from cryptshare_async.testing._faults import LOSE_ANSWER_MODES

from .conftest import ALICE, BOB, BytesBody

WHO: dict[str, object] = {"to": [BOB], "name": "Alice", "phone": "+49 1"}
EXPECTED: dict[str, tuple[type[CryptshareError], ...]] = {
    "drop": (TransportError,),
    "truncate": (TransportError, ResponseParseError),
    "bad_gateway": (ServerError,),
}


@pytest.fixture(autouse=True)
def no_unhandled_errors(caplog: pytest.LogCaptureFixture) -> object:
    with caplog.at_level(logging.ERROR, logger="cryptshare_async.testing"):
        yield
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("mode", LOSE_ANSWER_MODES)
async def test_a_session_is_created_though_its_answer_is_lost(
    emu: Emulator, alice: Sender, mode: str
) -> None:
    await alice.create_session(**WHO)  # verification done, one session made
    before = set(emu.store.sessions)
    emu.add_fault(
        FaultRule(method="POST", path=f"/api/users/{ALICE}/transfer-sessions", lose_answer=mode)
    )
    with pytest.raises(EXPECTED[mode]):
        await alice.create_session(**WHO)
    assert len(emu.fired_faults) == 1
    created = set(emu.store.sessions) - before
    assert len(created) == 1  # the emulator acted exactly once
    emu.clear_faults()
    # The emulator goes on answering (a new connection where the old one was cut).
    await alice.create_session(**WHO)
    assert len(emu.store.sessions) == len(before) + 2


@pytest.mark.parametrize("mode", LOSE_ANSWER_MODES)
async def test_a_transfer_is_finalized_though_its_answer_is_lost(
    emu: Emulator, alice: Sender, mode: str
) -> None:
    session = await alice.create_session(**WHO)
    file_id = await session.register_file("a.txt", 1, None)
    request = protocol.put_content_request(ALICE, session.tracking_id, file_id)
    protocol.raise_for_status(request, await alice.request(request, body=BytesBody(b"x")))
    emu.add_fault(
        FaultRule(
            method="POST",
            path=rf"/api/users/[^/]+/transfer-sessions/{session.tracking_id}",
            regex=True,
            lose_answer=mode,
        )
    )
    finalize = protocol.finalize_session_request(ALICE, session.tracking_id)
    with pytest.raises(EXPECTED[mode]):  # low level: finalize() itself resolves this
        protocol.raise_for_status(finalize, await alice.request(finalize))
    assert [f.rule.lose_answer for f in emu.fired_faults] == [mode]
    assert session.tracking_id in emu.store.transfers
    async with asyncio.timeout(10):
        assert await emu.wait_processed(session.tracking_id) in ("ACTIVE", "FAILED")


@pytest.mark.parametrize("mode", LOSE_ANSWER_MODES)
async def test_the_rule_comes_from_the_control_endpoint_too(
    emu: Emulator, alice: Sender, mode: str
) -> None:
    await alice.create_session(**WHO)
    async with asyncio.timeout(10):
        async with aiohttp.ClientSession() as http:
            rule = {"method": "POST", "path": "*/transfer-sessions", "lose_answer": mode, "nth": 1}
            async with http.post(emu.url + "/_emulator/faults", json=rule) as response:
                assert response.status == 201
                assert (await response.json())["lose_answer"] == mode
    before = len(emu.store.sessions)
    with pytest.raises(EXPECTED[mode]):
        await alice.create_session(**WHO)
    assert len(emu.store.sessions) == before + 1
    await alice.create_session(**WHO)  # nth=1: fired once only
    assert len(emu.store.sessions) == before + 2

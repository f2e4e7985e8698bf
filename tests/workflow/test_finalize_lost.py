"""A finalize whose answer is lost or unreadable is never repeated: the status under
the tracking id decides whether the transfer was made."""

from __future__ import annotations

import re

import pytest

from cryptshare_async import (
    BytesSource,
    Sender,
    SendJob,
    SendResult,
    ServerError,
)
from cryptshare_async.testing import Emulator, FaultRule
from cryptshare_async.testing._faults import LOSE_ANSWER_MODES

from .conftest import BOB, open_sessions, requests_sent, transfers_by_file

FINALIZE = r"/api/users/[^/]+/transfer-sessions/[^/]+"


@pytest.fixture(params=LOSE_ANSWER_MODES)
def garbled(request: pytest.FixtureRequest, emu: Emulator) -> Emulator:
    """The server finalizes, then its answer is lost: the connection dropped, the body
    cut short, or a proxy's 502 page (the emulator's "act, then lose the answer")."""
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, lose_answer=request.param))
    return emu


def garbled_paths(emu: Emulator) -> list[str]:
    return [f.path for f in emu.fired_faults if f.rule.lose_answer is not None]


def finalizes(emu: Emulator) -> list[str]:
    return [r for r in requests_sent(emu) if re.fullmatch("POST " + FINALIZE, r)]


async def test_a_transfer_made_despite_a_garbled_answer_is_returned(
    emu: Emulator, alice: Sender, garbled: Emulator
) -> None:
    result = await alice.send(
        [BytesSource(b"data", name="a.bin")], to=[BOB], name="Alice", phone="1", wait=True
    )
    assert result.tracking_id in emu.store.transfers
    assert result.status is not None
    paths = garbled_paths(emu)
    assert len(paths) == 1 and result.tracking_id in paths[0]
    assert len(finalizes(emu)) == 1  # never repeated
    assert open_sessions(emu) == []
    assert not any(r.startswith("DELETE") for r in requests_sent(emu))


async def test_a_batch_job_made_despite_a_garbled_answer_succeeds(
    emu: Emulator, alice: Sender, garbled: Emulator
) -> None:
    jobs = [SendJob("j", [BytesSource(b"data", name="a.bin")], to=[BOB], name="A", phone="1")]
    (result,) = await alice.send_many(jobs)
    assert isinstance(result, SendResult) and len(garbled_paths(emu)) == 1
    assert transfers_by_file(emu) == {"a.bin": 1}


async def test_a_finalize_refused_before_acting_raises_and_cleans_up(
    emu: Emulator, alice: Sender
) -> None:
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, status=502))
    with pytest.raises(ServerError):
        await alice.send([BytesSource(b"d", name="a.bin")], to=[BOB], name="A", phone="1")
    assert emu.store.transfers == {} and open_sessions(emu) == []
    assert len(finalizes(emu)) == 1


async def test_an_unknown_outcome_is_said(emu: Emulator, alice: Sender) -> None:
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, status=500))
    emu.add_fault(FaultRule(method="GET", path="*/transfers/*", status=500))
    with pytest.raises(ServerError) as caught:
        await alice.send([BytesSource(b"d", name="a.bin")], to=[BOB], name="A", phone="1")
    notes = " ".join(caught.value.__notes__)
    assert "is unknown" in notes and "status()" in notes
    assert emu.store.transfers == {} and open_sessions(emu) == []

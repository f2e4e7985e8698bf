"""No ambiguity left to the caller, in `TransferSession` itself: a finalize or a file
registration whose answer did not tell is resolved by reading, never repeated blindly
(the emulator acts, then loses the answer; or stalls it past the read timeout; or the
caller is cancelled after the request went out)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from cryptshare_async import (
    ApiRequest,
    ApiResponse,
    BytesSource,
    CryptshareClient,
    RequestTimeoutError,
    Sender,
    ServerError,
    StreamBody,
    Timeouts,
    TransferSession,
)
from cryptshare_async.testing import Emulator, FaultRule
from cryptshare_async.testing._faults import LOSE_ANSWER_MODES

from .conftest import ALICE, BOB, open_sessions, requests_sent

FINALIZE = r"/api/users/[^/]+/transfer-sessions/[^/]+"
REGISTER = r"/api/users/[^/]+/transfer-sessions/[^/]+/files"
WHO: dict[str, object] = {"to": [BOB], "name": "Alice", "phone": "1"}


def count(emu: Emulator, method: str, pattern: str) -> int:
    return sum(1 for r in requests_sent(emu) if re.fullmatch(f"{method} {pattern}", r))


async def ready(sender: Sender) -> TransferSession:
    """A session with one uploaded file, ready to finalize."""
    session = await sender.create_session(**WHO)  # type: ignore[arg-type]
    await session.upload(BytesSource(b"data", name="a.bin"))
    return session


# ---------------------------------------------------------------- finalize


@pytest.mark.parametrize("mode", LOSE_ANSWER_MODES)
async def test_a_finalize_whose_answer_is_lost_returns_the_transfer(
    emu: Emulator, alice: Sender, mode: str
) -> None:
    session = await ready(alice)
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, lose_answer=mode))
    transfer = await session.finalize()
    assert transfer.tracking_id == session.tracking_id
    assert session.transfer is transfer
    assert transfer.tracking_id in emu.store.transfers
    assert count(emu, "POST", FINALIZE) == 1  # never repeated
    with pytest.raises(Exception, match="already finalized"):
        await session.finalize()


async def test_a_finalize_refused_before_acting_says_no_transfer_and_can_be_repeated(
    emu: Emulator, alice: Sender
) -> None:
    session = await ready(alice)
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, status=500, times=1))
    with pytest.raises(ServerError) as caught:
        await session.finalize()
    notes = " ".join(caught.value.__notes__)
    assert "no transfer was made" in notes and "can be finalized again" in notes
    assert session.transfer is None and emu.store.transfers == {}
    transfer = await session.finalize()  # the caller may: one session, one transfer
    assert list(emu.store.transfers) == [transfer.tracking_id]


async def test_a_finalize_answered_not_found_after_another_handle_finalized_is_resolved(
    emu: Emulator, alice: Sender
) -> None:
    session = await ready(alice)
    first = await alice.resume_session(session.tracking_id).finalize()
    again = await session.finalize()  # the server says 404: the status says it exists
    assert again.tracking_id == first.tracking_id == session.tracking_id
    assert len(emu.store.transfers) == 1


async def test_an_unknown_outcome_is_said(emu: Emulator, alice: Sender) -> None:
    session = await ready(alice)
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, lose_answer="drop"))
    emu.add_fault(FaultRule(method="GET", path="*/transfers/*", status=500))
    with pytest.raises(Exception) as caught:
        await session.finalize()
    notes = " ".join(caught.value.__notes__)
    assert "is unknown" in notes and ".status()" in notes


@pytest.fixture
async def impatient(emu: Emulator) -> AsyncIterator[CryptshareClient]:
    """A client whose read timeout (0.3 s) is shorter than the emulator's stall (1 s)."""
    async with CryptshareClient(
        emu.url, client_id=emu.client_id, timeouts=Timeouts(read=0.3)
    ) as client:
        yield client


async def test_a_read_timeout_says_no_transfer_yet_and_finalizing_again_makes_one(
    emu: Emulator, impatient: CryptshareClient
) -> None:
    alice = impatient.sender(ALICE)
    session = await ready(alice)
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, delay=1.0, times=1))
    with pytest.raises(RequestTimeoutError) as caught:
        await session.finalize()
    assert "can be finalized again" in " ".join(caught.value.__notes__)
    for _ in range(200):  # the stalled request goes through meanwhile
        if emu.store.transfers:
            break
        await asyncio.sleep(0.05)
    transfer = await session.finalize()  # 404 now: resolved to that one transfer
    assert list(emu.store.transfers) == [transfer.tracking_id]
    assert count(emu, "POST", FINALIZE) == 2


async def test_send_after_a_read_timeout_deletes_the_session_so_nothing_comes_later(
    emu: Emulator, impatient: CryptshareClient
) -> None:
    alice = impatient.sender(ALICE)
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, delay=1.0, times=1))
    with pytest.raises(RequestTimeoutError):
        await alice.send([BytesSource(b"d", name="a.bin")], **WHO)  # type: ignore[arg-type]
    await asyncio.sleep(1.2)  # the stalled finalize reaches a deleted session
    assert emu.store.transfers == {} and open_sessions(emu) == []


async def test_a_finalize_cancelled_after_it_went_out_records_the_transfer(
    emu: Emulator, alice: Sender
) -> None:
    session = await ready(alice)
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, delay=0.3))
    task = asyncio.ensure_future(session.finalize())
    await asyncio.sleep(0.1)  # the request is in the server's hands
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as caught:
        await task
    assert session.transfer is not None
    assert caught.value.transfer is session.transfer  # type: ignore[attr-defined]
    assert session.transfer.tracking_id in emu.store.transfers
    assert "was made" in " ".join(caught.value.__notes__)


async def test_send_cancelled_after_the_finalize_went_out_carries_the_transfer(
    emu: Emulator, alice: Sender
) -> None:
    emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, delay=0.5))
    task = asyncio.ensure_future(alice.send([BytesSource(b"d", name="a.bin")], **WHO))  # type: ignore[arg-type]
    for _ in range(1000):
        if count(emu, "POST", FINALIZE):
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as caught:
        await task
    made = caught.value.transfer  # type: ignore[attr-defined]
    assert list(emu.store.transfers) == [made.tracking_id]
    assert open_sessions(emu) == []


async def test_a_finalize_cancelled_past_the_grace_tells_what_the_status_said(
    emu: Emulator,
) -> None:
    async with CryptshareClient(emu.url, client_id=emu.client_id, cleanup_grace=0.1) as client:
        session = await ready(client.sender(ALICE))
        emu.add_fault(FaultRule(method="POST", path=FINALIZE, regex=True, delay=1.0, times=1))
        task = asyncio.ensure_future(session.finalize())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as caught:
            await task
        notes = " ".join(caught.value.__notes__)
        assert "no transfer had been made" in notes and "delete the session" in notes
        assert session.transfer is None
        await session.delete()  # the fence: the stalled finalize can no longer make one
        await asyncio.sleep(1.2)
        assert emu.store.transfers == {}


# ---------------------------------------------------------------- register


@pytest.mark.parametrize("mode", LOSE_ANSWER_MODES)
async def test_a_registration_whose_answer_is_lost_adopts_the_file(
    emu: Emulator, alice: Sender, mode: str
) -> None:
    session = await alice.create_session(**WHO)  # type: ignore[arg-type]
    emu.add_fault(FaultRule(method="POST", path=REGISTER, regex=True, lose_answer=mode, times=1))
    uploaded = await session.upload(BytesSource(b"data", name="a.bin"))
    state = await session.state()
    assert [(f.id, f.file_name) for f in state.files or ()] == [(uploaded.file_id, "a.bin")]
    assert count(emu, "POST", REGISTER) == 1  # adopted, not registered again
    transfer = await session.finalize()
    assert transfer.tracking_id in emu.store.transfers


async def test_a_registration_refused_before_acting_is_registered_again(
    emu: Emulator, alice: Sender
) -> None:
    session = await alice.create_session(**WHO)  # type: ignore[arg-type]
    emu.add_fault(FaultRule(method="POST", path=REGISTER, regex=True, status=502, times=1))
    uploaded = await session.upload(BytesSource(b"data", name="a.bin"))
    state = await session.state()
    assert [f.id for f in state.files or ()] == [uploaded.file_id]
    assert count(emu, "POST", REGISTER) == 2


async def test_a_different_file_of_that_name_is_removed_and_registered_again(
    emu: Emulator, alice: Sender
) -> None:
    session = await alice.create_session(**WHO)  # type: ignore[arg-type]
    stale = await session.register_file("a.bin", 99)  # e.g. left by an earlier attempt
    emu.add_fault(FaultRule(method="POST", path=REGISTER, regex=True, status=500, times=1))
    file_id = await session.register_file("a.bin", 4)
    state = await session.state()
    assert [(f.id, f.size) for f in state.files or ()] == [(file_id, 4)]
    assert file_id != stale


async def test_a_registration_that_stays_unknown_says_so(emu: Emulator, alice: Sender) -> None:
    session = await alice.create_session(**WHO)  # type: ignore[arg-type]
    emu.add_fault(FaultRule(method="POST", path=REGISTER, regex=True, lose_answer="drop"))
    emu.add_fault(FaultRule(method="GET", path=FINALIZE, regex=True, status=500))
    with pytest.raises(Exception) as caught:
        await session.register_file("a.bin", 4)
    assert "is unknown" in " ".join(caught.value.__notes__)


# ---------------------------------------------------------------- create


@pytest.mark.parametrize("mode", LOSE_ANSWER_MODES)
async def test_a_lost_create_answer_leaves_at_most_an_empty_session(
    emu: Emulator, alice: Sender, mode: str
) -> None:
    await alice.create_session(**WHO)  # type: ignore[arg-type]
    before = set(open_sessions(emu))
    emu.add_fault(FaultRule(method="POST", path="/api/users/*/transfer-sessions", lose_answer=mode))
    with pytest.raises(Exception):  # noqa: B017 - the kind depends on the mode
        await alice.send([BytesSource(b"d", name="a.bin")], **WHO)  # type: ignore[arg-type]
    (left,) = set(open_sessions(emu)) - before
    assert not emu.store.sessions[left].files  # empty: nothing to deliver; it expires
    assert emu.store.transfers == {}
    emu.clear_faults()
    result = await alice.send([BytesSource(b"d", name="a.bin")], **WHO)  # type: ignore[arg-type]
    assert list(emu.store.transfers) == [result.tracking_id]


async def test_a_registration_that_lands_after_the_session_was_read_is_adopted(
    emu: Emulator, alice: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first request times out and reaches the server only after the session was
    read (no file yet); registering again finds the name taken: the file is adopted."""
    session = await alice.create_session(**WHO)  # type: ignore[arg-type]
    original = session.request
    held: list[ApiRequest] = []

    async def request(req: ApiRequest, *, body: StreamBody | None = None) -> ApiResponse:
        if req.method == "POST" and req.url_path.endswith("/files"):
            if not held:
                held.append(req)
                raise RequestTimeoutError("POST .../files timed out")
            await original(held[0])  # the stalled first request lands now
        return await original(req, body=body)

    monkeypatch.setattr(session, "request", request)
    file_id = await session.register_file("a.bin", 4)
    state = await session.state()
    assert [f.id for f in state.files or ()] == [file_id]

"""A session whose failed file could not be removed is marked broken: finalize() refuses,
naming the file, before anything is sent; removing the file mends it; send() deletes
the whole session."""

from __future__ import annotations

import logging

import pytest

from cryptshare_async import (
    BrokenSessionError,
    BytesSource,
    CryptshareClient,
    Sender,
    ServerError,
    _cleanup,
)
from cryptshare_async._cleanup import CLEANUP_ATTEMPTS
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import ALICE, BOB, open_sessions, requests_sent

WHO: dict[str, object] = {"to": [BOB], "name": "Alice", "phone": "1"}
PUT = "*/files/*/content"
REMOVE = "/api/users/*/transfer-sessions/*/files/*"


@pytest.fixture(autouse=True)
def _quick_cleanup_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_cleanup, "_PAUSE", 0.01)


def faults(emu: Emulator, files: int = 1) -> None:
    """The upload fails, and so does every attempt of the clean-up to remove the file
    (a clean-up rides out fewer failures: see ``test_soak.py``)."""
    emu.add_fault(FaultRule(method="PUT", path=PUT, status=500, times=files))
    emu.add_fault(
        FaultRule(method="DELETE", path=REMOVE, status=500, times=files * CLEANUP_ATTEMPTS)
    )


async def test_finalize_refuses_a_session_with_a_file_left_behind(
    emu: Emulator, alice: Sender, client: CryptshareClient
) -> None:
    session = await alice.create_session(**WHO)  # type: ignore[arg-type]
    faults(emu)
    with pytest.raises(ServerError) as caught:
        await session.upload(BytesSource(b"data", name="a.bin"))
    assert "could not be removed" in " ".join(caught.value.__notes__)
    (left,) = (await session.state()).files or ()
    with pytest.raises(BrokenSessionError) as refused:
        await session.finalize()
    assert "'a.bin'" in str(refused.value) and str(left.id) in str(refused.value)
    assert refused.value.file_ids == (left.id,)
    finalize = f"POST /api/users/{ALICE}/transfer-sessions/{session.tracking_id}"
    assert finalize not in requests_sent(emu)
    assert [(f.what, f.file_id) for f in client.cleanup_failures] == [("file", left.id)]
    # Removing the file mends the session.
    assert left.id is not None
    await session.remove_file(left.id)
    await session.upload(BytesSource(b"data", name="a.bin"))
    transfer = await session.finalize()
    assert transfer.tracking_id in emu.store.transfers


async def test_each_file_left_behind_is_named(emu: Emulator, alice: Sender) -> None:
    session = await alice.create_session(**WHO)  # type: ignore[arg-type]
    faults(emu, files=2)
    for name in ("a.bin", "b.bin"):
        with pytest.raises(ServerError):
            await session.upload(BytesSource(b"data", name=name))
    with pytest.raises(BrokenSessionError, match=r"'a\.bin'.*'b\.bin'"):
        await session.finalize()


async def test_send_deletes_the_whole_session(
    emu: Emulator, alice: Sender, client: CryptshareClient, caplog: pytest.LogCaptureFixture
) -> None:
    faults(emu)
    with (
        caplog.at_level(logging.WARNING, logger="cryptshare_async.cleanup"),
        pytest.raises(ServerError),
    ):
        await alice.send([BytesSource(b"data", name="a.bin")], **WHO)  # type: ignore[arg-type]
    assert open_sessions(emu) == [] and emu.store.transfers == {}
    assert [f.what for f in client.cleanup_failures] == ["file"]
    assert any("clean-up of file" in r.getMessage() for r in caplog.records)
    assert emu.client_id not in caplog.text


async def test_a_failed_session_delete_is_a_clean_up_record_without_secrets(
    emu: Emulator, alice: Sender, client: CryptshareClient, caplog: pytest.LogCaptureFixture
) -> None:
    emu.add_fault(FaultRule(method="PUT", path=PUT, status=500, times=1))
    emu.add_fault(FaultRule(method="DELETE", path="/api/users/*/transfer-sessions/*", status=500))
    with (
        caplog.at_level(logging.WARNING, logger="cryptshare_async.cleanup"),
        pytest.raises(ServerError) as caught,
    ):
        await alice.send([BytesSource(b"data", name="a.bin")], **WHO)  # type: ignore[arg-type]
    (tracking_id,) = open_sessions(emu)
    assert ("session", tracking_id) in [(f.what, f.tracking_id) for f in client.cleanup_failures]
    assert "could not be deleted" in " ".join(caught.value.__notes__)
    assert emu.client_id not in caplog.text and emu.client_id not in repr(caught.value.__notes__)

"""Cancellation and timeouts hand control back within a bound, whatever the server stalls.

A request the caller gave up on (a registration, a session creation) or a clean-up (the
removal of a registered file) that the server stalls goes on in the background, owned
by the client: ``aclose()`` finishes it, or records it in ``client.cleanup_failures``
when it cannot finish in time.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from cryptshare_async import CleanupFailure, CryptshareClient, ServerError, _cleanup
from cryptshare_async._session import TransferSession
from cryptshare_async._upload import BytesSource
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import SENDER

DATA = os.urandom(2 * 1024 * 1024)
#: The caller's own time limit, and the bound it must get control back within.
CALLER_TIMEOUT = 0.5
BOUND = 4.0
#: A stall the background clean-up outlives (aclose finishes it) ...
SHORT_STALL = 2.5
#: ... and one it does not (aclose gives up after its close timeout and records it).
LONG_STALL = 20.0


@dataclass(frozen=True)
class Stall:
    """Where the server stalls, and what must be gone from it afterwards."""

    name: str
    rule: Callable[[float], FaultRule]
    what: str

    def __str__(self) -> str:
        return self.name


STALLS = [
    Stall("register", lambda s: FaultRule(method="POST", path="*/files", delay=s, times=1), "file"),
    Stall(
        "remove after a timeout mid-stream",
        lambda s: FaultRule(method="DELETE", path="*/files/*", delay=s, times=1),
        "file",
    ),
    Stall(
        "create session",
        lambda s: FaultRule(method="POST", path="*/transfer-sessions", delay=s, times=1),
        "session",
    ),
]


def _client(emu: Emulator, close_timeout: float, grace: float = 1.0) -> CryptshareClient:
    return CryptshareClient(
        emu.url, client_id=emu.client_id, cleanup_grace=grace, cleanup_close_timeout=close_timeout
    )


async def _open_session(client: CryptshareClient) -> TransferSession:
    return await client.sender(SENDER).create_session(
        to=["bob@example.org"], name="Alice", phone="+49 1"
    )


async def _stall_then_give_up(
    emu: Emulator, client: CryptshareClient, stall: Stall, seconds: float
) -> tuple[float, TransferSession | None]:
    """Run the stalled call under ``asyncio.timeout(CALLER_TIMEOUT)``: seconds it took."""
    call: Callable[[], Awaitable[object]]
    session: TransferSession | None = None
    if stall.what == "session":
        await client.sender(SENDER).verify_with_client_id()
        call = lambda: _open_session(client)  # noqa: E731
    else:
        session = await _open_session(client)
        progress = None
        if stall.name.startswith("remove"):

            async def progress(sent: int, total: int) -> None:  # stalls mid-stream
                if sent:
                    await asyncio.Event().wait()

        upload_session = session
        call = lambda: upload_session.upload(BytesSource(DATA, name="a.bin"), progress=progress)  # noqa: E731
    emu.add_fault(stall.rule(seconds))
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(CALLER_TIMEOUT):
            await call()
    return time.monotonic() - start, session


def _server_clean(emu: Emulator, session: TransferSession | None) -> bool:
    if session is None:
        return emu.store.sessions == {}
    return emu.store.sessions[session.tracking_id].files == {}


@pytest.mark.parametrize("stall", STALLS, ids=str)
async def test_timeout_returns_in_time_and_aclose_finishes_the_cleanup(
    emu: Emulator, stall: Stall
) -> None:
    client = _client(emu, close_timeout=30, grace=0.5)
    try:
        elapsed, session = await _stall_then_give_up(emu, client, stall, SHORT_STALL)
        assert elapsed < SHORT_STALL  # it did not wait for the stalled request
        assert client._cleanups.pending == 1  # the rest runs on, owned by the client
    finally:
        await client.aclose()
    assert _server_clean(emu, session)
    assert client.cleanup_failures == ()
    _assert_no_client_task()


@pytest.mark.parametrize("stall", STALLS, ids=str)
async def test_timeout_returns_in_time_and_aclose_records_what_it_could_not_finish(
    emu: Emulator, stall: Stall, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(emu, close_timeout=0.5)
    try:
        elapsed, session = await _stall_then_give_up(emu, client, stall, LONG_STALL)
        assert elapsed < BOUND
    finally:
        start = time.monotonic()
        await client.aclose()
        assert time.monotonic() - start < BOUND
    [failure] = client.cleanup_failures
    assert failure.what == stall.what
    assert failure.error == "TimeoutError"
    if session is not None:
        assert failure.tracking_id == session.tracking_id
    registered = stall.name.startswith("remove")  # the file id was known
    assert (failure.file_id is not None) == registered
    assert "was given up when the client closed" in caplog.text
    _assert_no_client_task()


async def test_a_failed_removal_is_recorded_and_noted_on_the_error(
    emu: Emulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_cleanup, "_PAUSE", 0.01)  # a removal rides out transient failures
    async with _client(emu, close_timeout=5) as client:
        session = await _open_session(client)
        emu.add_fault(FaultRule(method="PUT", path="*/content", status=500, times=1))
        emu.add_fault(FaultRule(method="DELETE", path="*/files/*", status=500))
        with pytest.raises(ServerError) as info:
            await session.upload(BytesSource(DATA, name="a.bin"))
        stored = await client._tokens.cached(client.token_key(SENDER))
        assert stored is not None
    [file_id] = emu.store.sessions[session.tracking_id].files
    secrets = (stored.token, emu.client_id)
    shown = [caplog.text, repr(client.cleanup_failures), *info.value.__notes__]
    assert not [s for s in secrets for text in shown if s in text]
    assert client.cleanup_failures == (
        CleanupFailure("file", session.tracking_id, file_id, "ServerError"),
    )
    assert any(
        f"file {file_id} could not be removed (ServerError)" in n for n in info.value.__notes__
    )
    logged = f"clean-up of file {file_id} of transfer session {session.tracking_id} failed"
    assert logged in caplog.text


async def test_a_stalled_removal_after_a_failure_is_noted_and_finished_in_the_background(
    emu: Emulator,
) -> None:
    async with _client(emu, close_timeout=30) as client:
        session = await _open_session(client)
        emu.add_fault(FaultRule(method="PUT", path="*/content", status=500, times=1))
        emu.add_fault(FaultRule(method="DELETE", path="*/files/*", delay=SHORT_STALL, times=1))
        start = time.monotonic()
        with pytest.raises(ServerError) as info:
            await session.upload(BytesSource(DATA, name="a.bin"))
        assert time.monotonic() - start < SHORT_STALL
        assert any("goes on in the background" in note for note in info.value.__notes__)
    assert emu.store.sessions[session.tracking_id].files == {}
    assert client.cleanup_failures == ()


async def test_the_grace_period_is_configurable(emu: Emulator) -> None:
    client = CryptshareClient(emu.url, client_id=emu.client_id, cleanup_grace=0)
    try:
        session = await _open_session(client)
        emu.add_fault(FaultRule(method="POST", path="*/files", delay=0.5, times=1))
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await session.upload(BytesSource(DATA, name="a.bin"))
        assert time.monotonic() - start < 0.5  # no waiting for the registration at all
    finally:
        await client.aclose()
    assert emu.store.sessions[session.tracking_id].files == {}
    assert client.cleanup_failures == ()


@pytest.mark.parametrize("bad", [-1, "1", True, None])
async def test_bad_cleanup_settings_are_refused(emu: Emulator, bad: object) -> None:
    from cryptshare_async import ConfigurationError

    for name in ("cleanup_grace", "cleanup_close_timeout"):
        with pytest.raises(ConfigurationError, match=name):
            CryptshareClient(emu.url, client_id=emu.client_id, **{name: bad})  # type: ignore[arg-type]


def _assert_no_client_task() -> None:
    mine = [t for t in asyncio.all_tasks() if "cryptshare_async/_" in _code_file(t)]
    assert mine == []


def _code_file(task: asyncio.Task[object]) -> str:
    code = getattr(task.get_coro(), "cr_code", None)
    return code.co_filename if code is not None and "testing" not in code.co_filename else ""


async def test_a_failed_delete_of_a_late_session_is_recorded(emu: Emulator) -> None:
    async with _client(emu, close_timeout=5) as client:
        alice = client.sender(SENDER)
        await alice.verify_with_client_id()
        emu.add_fault(FaultRule(method="POST", path="*/transfer-sessions", delay=0.3, times=1))
        emu.add_fault(FaultRule(method="DELETE", path="*/transfer-sessions/*", status=500))
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await alice.create_session(to=["bob@example.org"], name="Alice", phone="+49 1")
    [tracking_id] = emu.store.sessions  # created late, and the delete failed
    assert client.cleanup_failures == (CleanupFailure("session", tracking_id, None, "ServerError"),)

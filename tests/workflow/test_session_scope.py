"""``async with sender.session(...)``: created (and updated) on entry, deleted when
the block fails or is cancelled before finalize, the delete shielded and bounded."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cryptshare_async import (
    BytesSource,
    InvalidInputError,
    PasswordMode,
    RuleViolationError,
    Sender,
    SessionScope,
    Transfer,
    TransferSession,
)
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import BOB, open_sessions, requests_sent

SECRET = "Tr0ub4dor&3-not-in-any-log"


class Boom(Exception):
    pass


async def test_the_session_is_created_with_its_settings(emu: Emulator, alice: Sender) -> None:
    scope = alice.session(
        to=[BOB], name="Alice", phone="+49 1", show_file_names=False, sender_language="de"
    )
    assert isinstance(scope, SessionScope)
    async with scope as session:
        held = emu.store.sessions[session.tracking_id]
        assert held.settings["showFileNames"] is False
        assert held.settings["senderLanguage"] == "de"
        assert scope.session is session
    assert open_sessions(emu) == [session.tracking_id]  # a normal exit keeps it


async def test_no_settings_no_update(emu: Emulator, alice: Sender) -> None:
    async with alice.session(to=[BOB], name="Alice", phone="1"):
        pass
    assert [r for r in requests_sent(emu) if "transfer-sessions" in r] == [
        "POST /api/users/alice@example.com/transfer-sessions"
    ]


async def test_an_exception_deletes_the_session(emu: Emulator, alice: Sender) -> None:
    error = Boom("mine")

    async def block() -> None:
        async with alice.session(to=[BOB], name="Alice", phone="1") as session:
            await session.upload(BytesSource(b"x" * 1000, name="a.bin"))
            raise error

    with pytest.raises(Boom) as caught:
        await block()
    assert caught.value is error
    assert open_sessions(emu) == []
    (note,) = caught.value.__notes__  # the delete went through
    assert note.startswith("deleted transfer session") and "nothing was sent" in note


async def test_a_cancellation_deletes_the_session(emu: Emulator, alice: Sender) -> None:
    entered = asyncio.Event()
    created: list[str] = []

    async def block() -> None:
        async with alice.session(to=[BOB], name="Alice", phone="1") as session:
            created.append(session.tracking_id)
            await session.upload(BytesSource(b"x" * 1000, name="a.bin"))
            entered.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(block())
    async with asyncio.timeout(10):
        await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert created and open_sessions(emu) == []


async def test_a_finalized_session_is_left_alone(emu: Emulator, alice: Sender) -> None:
    made: list[Transfer] = []

    async def block() -> None:
        async with alice.session(to=[BOB], name="Alice", phone="1") as session:
            await session.upload(BytesSource(b"x" * 1000, name="a.bin"))
            made.append(await session.finalize())
            raise Boom

    with pytest.raises(Boom):
        await block()
    (transfer,) = made
    assert not any(r.startswith("DELETE") for r in requests_sent(emu))
    assert transfer.tracking_id in emu.store.transfers


async def test_a_failed_update_deletes_the_session(emu: Emulator, alice: Sender) -> None:
    far = datetime.now(UTC) + timedelta(days=10_000)  # beyond the server's retention
    with pytest.raises(RuleViolationError):
        async with alice.session(to=[BOB], name="Alice", phone="1", expiration_date=far):
            pytest.fail("the block must not run")
    assert any(r.startswith("POST") for r in requests_sent(emu))
    assert open_sessions(emu) == []


async def test_a_failed_delete_warns_and_notes(
    emu: Emulator, alice: Sender, caplog: pytest.LogCaptureFixture
) -> None:
    emu.add_fault(FaultRule(method="DELETE", path="*/transfer-sessions/*", status=500))
    opened: list[TransferSession] = []

    async def block() -> None:
        async with alice.session(
            to=[BOB],
            name="Alice",
            phone="1",
            password_mode=PasswordMode.MANUAL,
            password=SECRET,
        ) as session:
            opened.append(session)
            raise Boom

    with caplog.at_level(logging.WARNING, logger="cryptshare_async"), pytest.raises(Boom) as caught:
        await block()
    (session,) = opened
    notes = " ".join(caught.value.__notes__)
    assert session.tracking_id in notes and "could not be deleted" in notes
    assert "ServerError" in caplog.text and session.tracking_id in caplog.text
    for text in (caplog.text, notes, repr(caught.value)):
        assert SECRET not in text and emu.client_id not in text


async def test_a_stalled_delete_is_given_up_in_time(emu: Emulator, alice: Sender) -> None:
    emu.add_fault(FaultRule(method="DELETE", path="*/transfer-sessions/*", delay=20))
    started = time.monotonic()
    with pytest.raises(Boom) as caught:
        async with alice.session(to=[BOB], name="Alice", phone="1", cleanup_timeout=0.3):
            raise Boom
    assert time.monotonic() - started < 5
    assert "no answer within 0.3 s" in " ".join(caught.value.__notes__)


async def test_a_cancellation_during_the_clean_up_waits_for_it(
    emu: Emulator, alice: Sender
) -> None:
    emu.add_fault(FaultRule(method="DELETE", path="*/transfer-sessions/*", delay=0.3))
    failing = asyncio.Event()

    async def block() -> None:
        async with alice.session(to=[BOB], name="Alice", phone="1"):
            failing.set()
            raise Boom

    task = asyncio.create_task(block())
    async with asyncio.timeout(10):
        await failing.wait()
        await asyncio.sleep(0.05)  # the delete is in flight
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert open_sessions(emu) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"to": []},
        {"to": "bob@example.org"},
        {"to": ["not an address"]},
        {"name": ""},
        {"phone": None},
        {"colour": "blue"},
        {"confidential_message_file_id": "f1"},
        {"show_file_names": "yes"},
        {"password": SECRET},
        {"password_mode": "SOMETIMES"},
        {"password_mode": PasswordMode.MANUAL},
        {"notification_subject": "only a subject"},
        {"expiration_date": datetime(2030, 1, 1)},
        {"expiration_date": "tomorrow"},
        {"cleanup_timeout": 0},
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    emu: Emulator, alice: Sender, kwargs: dict[str, Any]
) -> None:
    arguments: dict[str, Any] = {"to": [BOB], "name": "Alice", "phone": "1", **kwargs}
    with pytest.raises(InvalidInputError) as caught:
        alice.session(**arguments)
    assert SECRET not in str(caught.value)
    assert requests_sent(emu) == []

"""``sender.send(...)``: files to a finalized transfer in one call; before
finalize, any failure or cancellation leaves nothing on the server."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cryptshare_async import (
    BytesSource,
    ChecksumMode,
    InvalidInputError,
    PasswordMode,
    Sender,
    SendResult,
    ServerError,
    SizeMismatchError,
    StreamSource,
    TransferState,
)
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import BOB, open_sessions, requests_sent, transfers_by_file

DATA = os.urandom(300_000)
SECRET = "c0rrect-h0rse-battery"


class Boom(Exception):
    pass


async def test_files_become_an_active_transfer(
    emu: Emulator, alice: Sender, tmp_path: Path
) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(DATA)
    seen: list[tuple[int, int]] = []
    result = await alice.send(
        [path, BytesSource(b"notes", name="notes.txt")],
        to=[BOB],
        name="Alice",
        phone="+49 1",
        password_mode=PasswordMode.NONE,
        notification_subject="Q3",
        notification_body="The report",
        show_file_names=False,
        progress=lambda sent, total: seen.append((sent, total)),
        wait=True,
        timeout=30,
    )
    assert isinstance(result, SendResult)
    assert [f.file_name for f in result.files] == ["report.pdf", "notes.txt"]
    assert [f.size for f in result.files] == [len(DATA), 5]
    assert result.status is not None and result.status.state is TransferState.ACTIVE
    assert not result.from_journal
    held = emu.transfer(result.tracking_id)
    assert held.password_mode == "NONE"
    assert held.settings["notificationMessage"] == {"subject": "Q3", "body": "The report"}
    assert held.settings["showFileNames"] is False
    assert seen[-1] == (len(DATA) + 5, len(DATA) + 5)
    assert open_sessions(emu) == []


async def test_without_wait_there_is_no_status(emu: Emulator, alice: Sender) -> None:
    result = await alice.send([BytesSource(DATA, name="a.bin")], to=[BOB], name="Alice", phone="1")
    assert result.status is None
    assert result.tracking_id in emu.store.transfers
    assert not any(r.startswith("PATCH") for r in requests_sent(emu))  # no settings given


def _short_stream() -> StreamSource:
    async def chunks() -> AsyncIterator[bytes]:
        yield DATA[:1000]  # fewer bytes than declared

    return StreamSource(chunks, size=len(DATA), name="short.bin")


def _failing_stream() -> StreamSource:
    async def chunks() -> AsyncIterator[bytes]:
        yield DATA[:100_000]
        raise Boom("the source broke")

    return StreamSource(chunks, size=len(DATA), name="broken.bin")


@pytest.mark.parametrize(
    ("source", "error"),
    [(_short_stream, SizeMismatchError), (_failing_stream, Boom)],
)
async def test_a_failing_source_leaves_nothing(
    emu: Emulator, alice: Sender, source: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await alice.send(
            [BytesSource(DATA, name="fine.bin"), source()],
            to=[BOB],
            name="Alice",
            phone="1",
            checksum=ChecksumMode.STREAM,
            concurrency=1,
        )
    assert open_sessions(emu) == []
    assert emu.store.transfers == {}


async def test_a_raising_progress_callback_leaves_nothing(emu: Emulator, alice: Sender) -> None:
    def progress(sent: int, total: int) -> None:
        if sent > 0:
            raise Boom("enough")

    with pytest.raises(Boom, match="enough"):
        await alice.send(
            [BytesSource(DATA, name="a.bin")], to=[BOB], name="Alice", phone="1", progress=progress
        )
    assert open_sessions(emu) == [] and emu.store.transfers == {}


async def test_a_server_error_leaves_nothing(emu: Emulator, alice: Sender) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", status=500))
    with pytest.raises(ServerError) as caught:
        await alice.send([BytesSource(DATA, name="a.bin")], to=[BOB], name="Alice", phone="1")
    assert open_sessions(emu) == [] and emu.store.transfers == {}
    (note,) = caught.value.__notes__  # the delete went through
    assert note.startswith("deleted transfer session") and "nothing was sent" in note


@pytest.mark.parametrize("step", ["update", "upload", "finalize"])
async def test_a_cancellation_leaves_nothing(emu: Emulator, alice: Sender, step: str) -> None:
    paths = {"update": "PATCH", "upload": "PUT", "finalize": "POST"}
    method = paths[step]
    path = "*/transfer-sessions/*" if step != "upload" else "*/content"
    if step == "finalize":
        path = r".*/transfer-sessions/[^/]+"
    emu.add_fault(FaultRule(method=method, path=path, regex=step == "finalize", delay=20, times=1))
    task = asyncio.create_task(
        alice.send(
            [BytesSource(DATA, name="a.bin")],
            to=[BOB],
            name="Alice",
            phone="1",
            password_mode=PasswordMode.GENERATED,
        )
    )
    async with asyncio.timeout(10):
        while not emu.fired_faults:  # noqa: ASYNC110 - the delayed request is in flight
            await asyncio.sleep(0.005)
    task.cancel()
    async with asyncio.timeout(10):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert open_sessions(emu) == []
    assert emu.store.transfers == {}


async def test_a_failed_wait_says_the_transfer_was_sent(emu: Emulator, alice: Sender) -> None:
    emu.add_fault(FaultRule(method="GET", path="*/transfers/*", delay=5))
    with pytest.raises(TimeoutError) as caught:
        await alice.send(
            [BytesSource(b"x", name="a.bin")],
            to=[BOB],
            name="Alice",
            phone="1",
            wait=True,
            timeout=0.2,
        )
    (tracking_id,) = emu.store.transfers
    assert any(
        tracking_id in note and "do not send it again" in note for note in caught.value.__notes__
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sources": "a.pdf"},
        {"sources": []},
        {"sources": ["/nonexistent/file.pdf"]},
        {"sources": [BytesSource(b"1", name="a"), BytesSource(b"2", name="a")]},
        {"sources": [b"no name"]},
        {"to": []},
        {"name": " "},
        {"password": SECRET},
        {"password_mode": PasswordMode.NONE, "password": SECRET},
        {"show_file_names": 1},
        {"checksum": "sha256"},
        {"concurrency": 0},
        {"wait": "yes"},
        {"timeout": 5},
        {"wait": True, "timeout": -1},
        {"cleanup_timeout": float("inf")},
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    emu: Emulator, alice: Sender, kwargs: dict[str, Any]
) -> None:
    arguments: dict[str, Any] = {
        "sources": [BytesSource(b"x", name="a.bin")],
        "to": [BOB],
        "name": "Alice",
        "phone": "1",
        **kwargs,
    }
    sources = arguments.pop("sources")
    with pytest.raises(InvalidInputError) as caught:
        await alice.send(sources, **arguments)
    assert SECRET not in str(caught.value)
    assert requests_sent(emu) == []
    assert transfers_by_file(emu) == {}


async def test_file_progress_reports_each_file_by_name(emu: Emulator, alice: Sender) -> None:
    seen: dict[str, list[tuple[int, int]]] = {}
    batch: list[tuple[int, int]] = []

    async def each(name: str, sent: int, total: int) -> None:
        seen.setdefault(name, []).append((sent, total))

    sources = [BytesSource(b"a" * 70_000, name="a.bin"), BytesSource(b"b" * 10, name="b.bin")]
    await alice.send(
        sources,
        to=[BOB],
        name="A",
        phone="1",
        file_progress=each,
        progress=lambda sent, total: batch.append((sent, total)),  # type: ignore[func-returns-value]
    )
    assert seen["a.bin"][-1] == (70_000, 70_000) and seen["b.bin"][-1] == (10, 10)
    assert batch[-1] == (70_010, 70_010)


async def test_file_progress_must_be_callable(emu: Emulator, alice: Sender) -> None:
    with pytest.raises(InvalidInputError, match="file_progress"):
        await alice.send(
            [BytesSource(b"a", name="a.bin")],
            to=[BOB],
            name="A",
            phone="1",
            file_progress=3,  # type: ignore[arg-type]
        )
    assert requests_sent(emu) == []

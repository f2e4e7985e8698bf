"""``Sender.send`` and ``send_many`` take file objects as sources, like ``upload()``:
opened once off the event loop to learn their names and sizes before anything is sent."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cryptshare_async import (
    FileObjectSource,
    InvalidInputError,
    Sender,
    SendJob,
    SendResult,
)
from cryptshare_async.testing import Emulator

from .conftest import BOB, open_sessions, transfers_by_file


class AsyncUpload:
    """A web framework's upload: ``await read(n)``, no seeking."""

    def __init__(self, data: bytes, filename: str) -> None:
        self._buffer = io.BytesIO(data)
        self.filename = filename

    async def read(self, size: int = -1) -> bytes:
        return self._buffer.read(size)


async def test_file_objects_are_sent_whole(emu: Emulator, alice: Sender, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF" + b"x" * 5000)
    upload = AsyncUpload(b"uploaded bytes", "form.txt")
    with path.open("rb") as handle:
        result = await alice.send(
            [
                handle,
                FileObjectSource(upload, size=14, name="form.txt"),
                FileObjectSource(io.BytesIO(b"abc"), name="abc.txt"),
            ],
            to=[BOB],
            name="Alice",
            phone="1",
        )
    assert {f.file_name: f.size for f in result.files} == {
        "report.pdf": 5004,
        "form.txt": 14,
        "abc.txt": 3,
    }
    assert transfers_by_file(emu) == {"report.pdf": 1, "form.txt": 1, "abc.txt": 1}
    assert open_sessions(emu) == []


async def test_a_bare_file_object_is_refused_before_any_request(
    emu: Emulator, alice: Sender
) -> None:
    before = len(emu.requests)
    with pytest.raises(InvalidInputError, match=r"pass \[source\]"):
        await alice.send(io.BytesIO(b"abc"), to=[BOB], name="A", phone="1")  # type: ignore[arg-type]
    assert len(emu.requests) == before


async def test_a_file_object_of_unknown_size_is_refused_before_any_request(
    emu: Emulator, alice: Sender
) -> None:
    before = len(emu.requests)
    with pytest.raises(InvalidInputError, match="size"):
        await alice.send([AsyncUpload(b"data", "a.txt")], to=[BOB], name="A", phone="1")
    assert len(emu.requests) == before


async def test_a_nameless_file_object_is_refused_before_any_request(
    emu: Emulator, alice: Sender
) -> None:
    before = len(emu.requests)
    with pytest.raises(InvalidInputError, match="name"):
        await alice.send([io.BytesIO(b"abc")], to=[BOB], name="A", phone="1")
    assert len(emu.requests) == before


async def test_two_file_objects_of_one_name_are_refused(emu: Emulator, alice: Sender) -> None:
    sources = [
        FileObjectSource(io.BytesIO(b"a"), name="same.txt"),
        FileObjectSource(io.BytesIO(b"b"), name="same.txt"),
    ]
    with pytest.raises(InvalidInputError, match="unique"):
        await alice.send(sources, to=[BOB], name="A", phone="1")
    assert open_sessions(emu) == []


async def test_send_many_takes_file_objects(emu: Emulator, alice: Sender) -> None:
    jobs = [
        SendJob(
            f"job-{n}",
            [FileObjectSource(io.BytesIO(b"x" * (n + 1)), name=f"f{n}.bin")],
            to=[BOB],
            name="A",
            phone="1",
        )
        for n in range(3)
    ]
    results = await alice.send_many(jobs)
    assert all(isinstance(r, SendResult) for r in results)
    assert transfers_by_file(emu) == {"f0.bin": 1, "f1.bin": 1, "f2.bin": 1}

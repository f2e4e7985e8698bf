"""Download progress: ``progress(received, total)`` for one file and for download_all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cryptshare_async import CryptshareClient, RecipientTransfer
from cryptshare_async._sender import Sender
from cryptshare_async.testing import Emulator

from .conftest import BOB, make_transfer

MIB = 1024 * 1024
FILES = {"big.bin": b"\x01" * (3 * MIB + 5), "small.txt": b"hello\n"}


async def incoming_for(emu: Emulator, client: CryptshareClient, alice: Sender) -> RecipientTransfer:
    transfer = await make_transfer(alice, FILES)
    await transfer.wait_until_active(interval=0.01, max_interval=0.05, timeout=30)
    transfer_id = emu.recipient_transfer_ids(transfer.tracking_id)[BOB]
    password = emu.transfer_password(transfer.tracking_id)
    return client.recipient_transfer(transfer_id, password=password)


async def test_download_reports_bytes_of_one_file(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    incoming = await incoming_for(emu, client, alice)
    (big,) = [f for f in await incoming.files() if f.file_name == "big.bin"]
    calls: list[tuple[int, int]] = []
    path = await incoming.download(big, tmp_path, progress=lambda s, t: calls.append((s, t)))
    assert path.read_bytes() == FILES["big.bin"]
    size = len(FILES["big.bin"])
    assert calls[0] == (0, size)
    assert calls[-1] == (size, size)
    assert {t for _, t in calls} == {size}
    assert [s for s, _ in calls] == sorted(s for s, _ in calls)
    assert len(calls) >= 3  # reported along the way, not only at the ends


async def test_download_all_reports_bytes_over_all_files(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    incoming = await incoming_for(emu, client, alice)
    calls: list[tuple[int, int]] = []

    async def progress(sent: int, total: int) -> None:
        calls.append((sent, total))

    paths = await incoming.download_all(tmp_path, progress=progress)
    assert sorted(p.name for p in paths) == sorted(FILES)
    total = sum(len(c) for c in FILES.values())
    assert calls[0] == (0, total)
    assert calls[-1] == (total, total)
    assert [s for s, _ in calls] == sorted(s for s, _ in calls)


async def test_a_raising_progress_callback_aborts_and_leaves_nothing(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    incoming = await incoming_for(emu, client, alice)
    (big,) = [f for f in await incoming.files() if f.file_name == "big.bin"]

    def stop(sent: int, total: int) -> None:
        if sent > 0:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        await incoming.download(big, tmp_path, progress=stop)
    assert os.listdir(tmp_path) == []

"""wait_until_active() and Transfer.status() end to end against the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cryptshare_async import (
    CryptshareClient,
    RetrievalMethod,
    TransferFailedError,
    TransferState,
    WaitTimeoutError,
    WrongPasswordError,
)
from cryptshare_async._models import TransferStatus
from cryptshare_async._sender import Sender
from cryptshare_async._waiting import wait_until_active
from cryptshare_async.testing import EICAR_SIGNATURE, Emulator, EmulatorConfig

from .conftest import ALICE, BOB, CAROL, make_transfer

FAST: dict[str, Any] = {"interval": 0.01, "max_interval": 0.05, "timeout": 30.0}
SLOW_PROCESSING = EmulatorConfig(processing_seconds=1.0, seed=1)
ENDLESS_PROCESSING = EmulatorConfig(processing_seconds=3600.0, seed=1)


@pytest.mark.parametrize("emulator_config", [SLOW_PROCESSING])
async def test_processing_then_active(alice: Sender) -> None:
    transfer = await make_transfer(alice, {"a.txt": b"hello"})
    seen: list[TransferState | None] = []
    status = await transfer.wait_until_active(on_update=lambda s: seen.append(s.state), **FAST)
    assert status.state is TransferState.ACTIVE
    assert seen == [TransferState.PROCESSING, TransferState.ACTIVE]
    assert status.removed_files == ()
    assert status.transfer is not None and status.transfer.files is not None
    assert [f.file_name for f in status.transfer.files] == ["a.txt"]


@pytest.mark.parametrize(
    ("files", "checksums", "cause"),
    [
        ({"a.txt": b"content"}, {"a.txt": "0" * 64}, "checksum"),
        ({"setup.exe": b"MZ..."}, None, "file type is not allowed"),
        ({"eicar.txt": b"prefix " + EICAR_SIGNATURE}, None, "virus was found"),
    ],
    ids=["checksum-mismatch", "blocked-extension", "virus"],
)
async def test_processing_then_failed_surfaces_each_cause(
    alice: Sender, files: dict[str, bytes], checksums: dict[str, str] | None, cause: str
) -> None:
    transfer = await make_transfer(alice, files, checksums=checksums)
    with pytest.raises(TransferFailedError) as caught:
        await transfer.wait_until_active(**FAST)
    error = caught.value
    assert error.status.state is TransferState.FAILED
    (removed,) = error.removed_files
    assert removed.removed is True
    assert removed.removal_cause is not None and cause in removed.removal_cause
    assert cause in str(error)
    assert next(iter(files)) in str(error)


async def test_several_causes_and_localised_removal_cause(alice: Sender) -> None:
    transfer = await make_transfer(
        alice, {"ok.txt": b"fine", "bad.exe": b"x", "virus.txt": EICAR_SIGNATURE}
    )
    status = await transfer.wait_until_active(**FAST)  # one file survives: ACTIVE
    assert status.warnings is True
    causes = {f.id: f.removal_cause for f in status.removed_files}
    assert len(causes) == 2
    german = await transfer.status(language="de")
    assert german.removed_files
    assert all(f.removal_cause and "entfernt" in f.removal_cause for f in german.removed_files)


async def test_status_reports_recipients_downloads_and_notification_failures(
    emu: Emulator, client: CryptshareClient, alice: Sender
) -> None:
    emu.fail_notifications(CAROL, ALICE)
    transfer = await make_transfer(alice, {"a.txt": b"hello"}, to=(BOB, CAROL))
    status = await transfer.wait_until_active(**FAST)
    details = status.status
    assert details is not None
    assert details.warnings is True
    assert details.eml_creation_failed is False
    assert details.sender is not None and details.sender.email == ALICE
    assert details.sender.notification_failed is True
    by_mail = {r.mail: r for r in details.recipients or ()}
    assert by_mail[BOB].notification_failed is False
    assert by_mail[CAROL].notification_failed is True
    assert by_mail[BOB].download_url and by_mail[BOB].id
    assert "download_url='***'" in repr(by_mail[BOB])

    incoming = client.recipient_transfer(
        emu.recipient_transfer_ids(transfer.tracking_id)[BOB],
        password=emu.transfer_password(transfer.tracking_id),
    )
    (file,) = await incoming.files()
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        await incoming.download(file, directory)
    after = await transfer.status()
    bob = next(r for r in after.status.recipients or () if r.mail == BOB)  # type: ignore[union-attr]
    (file_downloads,) = bob.file_downloads or ()
    assert file_downloads.id == file.id
    (download,) = file_downloads.downloads or ()
    assert download.retrieval_method is RetrievalMethod.DOWNLOADED
    assert download.download_date is not None and download.download_date.tzinfo is not None


async def test_sender_transfer_handle_for_a_transfer_made_elsewhere(
    emu: Emulator, alice: Sender
) -> None:
    tracking_id = (await make_transfer(alice, {"a.txt": b"x"})).tracking_id
    async with CryptshareClient(emu.url, client_id=emu.client_id) as other:
        status = await other.sender(ALICE).transfer(tracking_id).wait_until_active(**FAST)
        assert status.state is TransferState.ACTIVE
        again = await wait_until_active(other.sender(ALICE), tracking_id, **FAST)
        assert again.state is TransferState.ACTIVE


async def _deleted_by_revocation(emu: Emulator, client: CryptshareClient, tid: str) -> None:
    await client.sender(ALICE).transfer(tid).revoke()


async def _deleted_by_admin(emu: Emulator, client: CryptshareClient, tid: str) -> None:
    emu.admin_delete(tid)


async def _deleted_by_expiration(emu: Emulator, client: CryptshareClient, tid: str) -> None:
    emu.expire(tid)
    assert emu.run_cleanup() == [tid]


async def _deleted_by_security(emu: Emulator, client: CryptshareClient, tid: str) -> None:
    incoming = client.recipient_transfer(
        emu.recipient_transfer_ids(tid)[BOB], password="wrong password"
    )
    for _ in range(emu.config.max_wrong_passwords):
        with pytest.raises(WrongPasswordError):
            await incoming.files()


@pytest.mark.parametrize(
    ("delete", "state"),
    [
        pytest.param(
            _deleted_by_revocation,
            TransferState.DELETED_BY_REVOCATION,
            marks=pytest.mark.cryptshare_api_version(1, 10),
        ),
        (_deleted_by_admin, TransferState.DELETED_BY_ADMIN),
        (_deleted_by_expiration, TransferState.DELETED_BY_EXPIRATION),
        (_deleted_by_security, TransferState.DELETED_BY_SECURITY),
    ],
    ids=lambda v: v.value if isinstance(v, TransferState) else "",
)
async def test_every_deleted_state_is_reached_and_reported(
    emu: Emulator, client: CryptshareClient, alice: Sender, delete: object, state: TransferState
) -> None:
    transfer = await make_transfer(alice, {"a.txt": b"x"})
    await transfer.wait_until_active(**FAST)
    await delete(emu, client, transfer.tracking_id)  # type: ignore[operator]
    assert (await transfer.status()).state is state
    with pytest.raises(TransferFailedError, match=state.value) as caught:
        await transfer.wait_until_active(**FAST)
    assert caught.value.status.state is state


@pytest.mark.parametrize("emulator_config", [ENDLESS_PROCESSING])
async def test_timeout_carries_the_last_status(alice: Sender) -> None:
    transfer = await make_transfer(alice, {"a.txt": b"x"})
    with pytest.raises(WaitTimeoutError) as caught:
        await transfer.wait_until_active(timeout=0.3, interval=0.02, max_interval=0.05)
    last = caught.value.last_status
    assert isinstance(last, TransferStatus)
    assert last.state is TransferState.PROCESSING
    assert transfer.tracking_id in str(caught.value)


def _library_tasks() -> set[asyncio.Task[object]]:
    """Tasks running code of the library itself (the emulator's own are not counted)."""
    found = set()
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        filename = code.co_filename if code is not None else ""
        if "cryptshare_async" in filename and "testing" not in filename:
            found.add(task)
    return found


@pytest.mark.parametrize("emulator_config", [ENDLESS_PROCESSING])
async def test_cancelling_a_wait_leaves_nothing_running(alice: Sender) -> None:
    transfer = await make_transfer(alice, {"a.txt": b"x"})
    updated = asyncio.Event()

    async def on_update(_: TransferStatus) -> None:
        updated.set()

    waiter = asyncio.create_task(
        transfer.wait_until_active(timeout=None, interval=0.01, on_update=on_update)
    )
    async with asyncio.timeout(10):
        await updated.wait()
    await asyncio.sleep(0.05)  # let it cycle through reads and pauses
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert _library_tasks() == set()
    # The client is still usable afterwards.
    assert (await transfer.status()).state is TransferState.PROCESSING

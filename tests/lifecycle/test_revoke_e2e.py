"""Transfer.revoke() end to end: each option, the outbox, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest

from cryptshare_async import (
    CryptshareClient,
    InvalidInputError,
    NotFoundError,
    RuleViolationError,
    TransferDeletedError,
    TransferFailedError,
    TransferState,
)
from cryptshare_async._sender import Sender
from cryptshare_async._transfer import Transfer
from cryptshare_async.testing import EICAR_SIGNATURE, Emulator, EmulatorConfig

from .conftest import ALICE, BOB, CAROL, make_transfer

FAST: dict[str, Any] = {"interval": 0.01, "max_interval": 0.05, "timeout": 30.0}


async def active_transfer(alice: Sender) -> Transfer:
    transfer = await make_transfer(alice, {"a.txt": b"x"}, to=(BOB, CAROL))
    await transfer.wait_until_active(**FAST)
    return transfer


def revocation_mails(emu: Emulator, tracking_id: str) -> list[tuple[str, str]]:
    return sorted(
        (m.kind, m.to)
        for m in emu.outbox
        if m.kind.startswith("revocation") and m.tracking_id == tracking_id
    )


@pytest.mark.parametrize(
    ("notify_sender", "notify_recipients", "expected"),
    [
        (
            True,
            True,
            [
                ("revocation_recipient", BOB),
                ("revocation_recipient", CAROL),
                ("revocation_sender", ALICE),
            ],
        ),
        (False, True, [("revocation_recipient", BOB), ("revocation_recipient", CAROL)]),
        (True, False, [("revocation_sender", ALICE)]),
        (False, False, []),
    ],
)
@pytest.mark.cryptshare_api_version(1, 10)
async def test_notification_options(
    emu: Emulator,
    alice: Sender,
    notify_sender: bool,
    notify_recipients: bool,
    expected: list[tuple[str, str]],
) -> None:
    transfer = await active_transfer(alice)
    await transfer.revoke(notify_sender=notify_sender, notify_recipients=notify_recipients)
    assert revocation_mails(emu, transfer.tracking_id) == expected
    assert (await transfer.status()).state is TransferState.DELETED_BY_REVOCATION


@pytest.mark.cryptshare_api_version(1, 10)
async def test_message_and_language_reach_the_notices(emu: Emulator, alice: Sender) -> None:
    transfer = await active_transfer(alice)
    await transfer.revoke(message="Sent to the **wrong** people", language="de")
    mails = [m for m in emu.outbox if m.kind.startswith("revocation")]
    assert len(mails) == 3
    assert all(m.body == "Sent to the **wrong** people" for m in mails)
    assert all(m.language == "de" for m in mails)


@pytest.mark.cryptshare_api_version(1, 10)
async def test_default_notice_is_in_the_requested_language(emu: Emulator, alice: Sender) -> None:
    transfer = await active_transfer(alice)
    await transfer.revoke(language="de", notify_recipients=False)
    (mail,) = [m for m in emu.outbox if m.kind == "revocation_sender"]
    assert mail.language == "de"
    assert transfer.tracking_id in mail.subject or transfer.tracking_id in mail.body


@pytest.mark.cryptshare_api_version(1, 12)
async def test_status_and_listing_still_read_after_revocation(
    emu: Emulator, client: CryptshareClient, alice: Sender
) -> None:
    transfer = await active_transfer(alice)
    transfer_id = emu.recipient_transfer_ids(transfer.tracking_id)[BOB]
    password = emu.transfer_password(transfer.tracking_id)
    await transfer.revoke()
    status = await transfer.status()
    assert status.state is TransferState.DELETED_BY_REVOCATION
    assert status.transfer is not None and status.transfer.files
    inactive = await alice.sent_transfers(active=False).collect()
    assert [i.tracking_id for i in inactive] == [transfer.tracking_id]
    with pytest.raises(TransferDeletedError):
        await client.recipient_transfer(transfer_id, password=password).files()


@pytest.mark.cryptshare_api_version(1, 10)
async def test_revoking_twice_raises_transfer_deleted(alice: Sender) -> None:
    transfer = await active_transfer(alice)
    await transfer.revoke()
    with pytest.raises(TransferDeletedError) as caught:
        await transfer.revoke()
    assert any("already deleted" in note for note in caught.value.__notes__)


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(processing_seconds=3600.0, seed=1)])
@pytest.mark.cryptshare_api_version(1, 10)
async def test_revoking_a_processing_transfer_is_refused(alice: Sender) -> None:
    transfer = await make_transfer(alice, {"a.txt": b"x"})
    with pytest.raises(RuleViolationError) as caught:
        await transfer.revoke()
    assert any("only ACTIVE ones" in note for note in caught.value.__notes__)
    assert (await transfer.status()).state is TransferState.PROCESSING


@pytest.mark.cryptshare_api_version(1, 10)
async def test_revoking_a_failed_transfer_is_refused(alice: Sender) -> None:
    transfer = await make_transfer(alice, {"v.txt": EICAR_SIGNATURE})
    with pytest.raises(TransferFailedError):
        await transfer.wait_until_active(**FAST)
    with pytest.raises(RuleViolationError):
        await transfer.revoke()


async def test_another_senders_transfer_cannot_be_revoked(
    emu: Emulator, client: CryptshareClient, alice: Sender
) -> None:
    transfer = await active_transfer(alice)
    mallory = client.sender("mallory@example.com")
    with pytest.raises(NotFoundError) as caught:
        await mallory.transfer(transfer.tracking_id).revoke()
    assert any("only the sender" in note for note in caught.value.__notes__)
    assert (await transfer.status()).state is TransferState.ACTIVE
    assert revocation_mails(emu, transfer.tracking_id) == []


@pytest.mark.parametrize(
    "kwargs",
    [{"notify_sender": 1}, {"notify_recipients": "yes"}, {"message": b"bytes"}],
)
async def test_invalid_arguments_fail_before_sending(
    emu: Emulator, alice: Sender, kwargs: dict[str, object]
) -> None:
    before = len(emu.requests)
    with pytest.raises(InvalidInputError):
        await alice.transfer("20240522-065711-H8UoUSI6").revoke(**kwargs)  # type: ignore[arg-type]
    assert len(emu.requests) == before

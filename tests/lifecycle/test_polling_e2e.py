"""sent_transfers(), received_transfers() and the legacy list end to end."""

from __future__ import annotations

from typing import Any

import pytest

from cryptshare_async import InvalidInputError, TransferState
from cryptshare_async._fields import Fields
from cryptshare_async._sender import Sender
from cryptshare_async.testing import Emulator

from .conftest import ALICE, BOB, CAROL, make_transfer

FAST: dict[str, Any] = {"interval": 0.01, "max_interval": 0.05, "timeout": 30.0}


def listing_requests(emu: Emulator, suffix: str) -> list[dict[str, str]]:
    return [dict(r.query) for r in emu.requests if r.method == "GET" and r.path.endswith(suffix)]


@pytest.mark.cryptshare_api_version(1, 12)
async def test_pages_keep_every_filter_and_nested_fields(emu: Emulator, alice: Sender) -> None:
    inactive = emu.seed_transfers(ALICE, 7, state="DELETED_BY_EXPIRATION")
    active = emu.seed_transfers(ALICE, 23)
    selection = Fields("tracking_id", status=["state"], transfer=Fields(recipients=["to", "cc"]))
    items = [i async for i in alice.sent_transfers(active=True, page_size=10, fields=selection)]

    assert [i.tracking_id for i in items] == list(reversed(active))  # newest first
    assert all(i.state is TransferState.ACTIVE for i in items)
    first = items[0]
    assert first.transfer is not None and first.transfer.recipients is not None
    assert [r.mail for r in first.transfer.recipients.to or ()] == ["recipient@example.org"]
    assert first.transfer.recipients.cc == ()
    # Not selected: absent, not invented.
    assert first.transfer.recipients.bcc is None
    assert first.transfer.expiration_date is None
    assert first.status is not None and first.status.warnings is None
    assert first.status.recipients is None

    queries = listing_requests(emu, "/sent-transfers")
    assert [q["page"] for q in queries] == ["1", "2", "3"]
    for query in queries:
        assert query["page-size"] == "10"
        assert query["active"] == "true"
        assert query["fields"] == "trackingId, status(state), transfer(recipients(to, cc))"
    headers = [r for r in emu.requests if r.path.endswith("/sent-transfers")]
    assert all(r.header("X-CS-MinimumMinorApiVersion") == "12" for r in headers)

    gone = [i.tracking_id async for i in alice.sent_transfers(active=False, fields="trackingId")]
    assert gone == list(reversed(inactive))
    everything = await alice.sent_transfers(page_size=7).collect()
    assert len(everything) == 30


@pytest.mark.cryptshare_api_version(1, 12)
async def test_pages_iteration_limit_and_start_page(emu: Emulator, alice: Sender) -> None:
    emu.seed_transfers(ALICE, 25)
    pages = [p async for p in alice.sent_transfers(page_size=10, fields=["tracking_id"]).pages()]
    assert [(p.number, len(p), p.is_last) for p in pages] == [
        (1, 10, False),
        (2, 10, False),
        (3, 5, True),
    ]
    limited = await alice.sent_transfers(page_size=10, limit=12).collect()
    assert len(limited) == 12
    tail = await alice.sent_transfers(page_size=10, start_page=3).collect()
    assert [i.tracking_id for i in tail] == [i.tracking_id for i in pages[2]]


@pytest.mark.cryptshare_api_version(1, 12)
async def test_default_fields_are_the_servers(emu: Emulator, alice: Sender) -> None:
    emu.seed_transfers(ALICE, 1)
    (item,) = await alice.sent_transfers().collect()
    assert item.tracking_id and item.state is TransferState.ACTIVE
    assert item.status is not None and item.status.sender is not None
    assert item.status.sender.email == ALICE
    assert item.status.warnings is None  # not in the default selection
    assert "fields" not in listing_requests(emu, "/sent-transfers")[0]


@pytest.mark.cryptshare_api_version(1, 12)
async def test_received_transfers_give_the_recipients_reduced_view(
    emu: Emulator, alice: Sender, bob: Sender
) -> None:
    transfer = await make_transfer(alice, {"a.txt": b"x"}, to=(BOB, CAROL))
    await transfer.wait_until_active(**FAST)
    selection = Fields("tracking_id", status=Fields("state", recipients=["mail", "download_url"]))
    (item,) = await bob.received_transfers(fields=selection, active=True).collect()
    assert item.tracking_id == transfer.tracking_id
    assert item.status is not None
    by_mail = {r.mail: r for r in item.status.recipients or ()}
    assert set(by_mail) == {BOB, CAROL}
    assert by_mail[BOB].download_url  # the caller's own entry keeps its link
    assert by_mail[CAROL].download_url is None  # other recipients' links are removed
    assert await alice.received_transfers().collect() == []
    assert await bob.sent_transfers().collect() == []


async def test_legacy_list_is_deprecated_and_pages(emu: Emulator, alice: Sender) -> None:
    seeded = emu.seed_transfers(ALICE, 12)
    with pytest.warns(DeprecationWarning, match="sent_transfers"):
        listing = alice.legacy_transfers(page_size=5)
    items = await listing.collect()
    assert [i.tracking_id for i in items] == list(reversed(seeded))
    assert all(i.state is TransferState.ACTIVE for i in items)
    assert all(i.recipients and i.recipients[0].mail == "recipient@example.org" for i in items)
    queries = listing_requests(emu, "/users/alice@example.com/transfers")
    assert [(q["page"], q["page-size"]) for q in queries] == [("1", "5"), ("2", "5"), ("3", "5")]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page_size": 0},
        {"page_size": 101},
        {"page_size": "10"},
        {"start_page": 0},
        {"limit": -1},
        {"active": "yes"},
        {"fields": "status(state"},
        {"fields": Fields("stauts")},
    ],
)
async def test_arguments_are_validated_before_sending(
    emu: Emulator, alice: Sender, kwargs: dict[str, object]
) -> None:
    before = len(emu.requests)
    with pytest.raises(InvalidInputError):
        alice.sent_transfers(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        alice.received_transfers(**kwargs)  # type: ignore[arg-type]
    assert len(emu.requests) == before

"""Listings while transfers are created: every transfer that existed at the start, once."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import pytest

from cryptshare_async._sender import Sender
from cryptshare_async.testing import Emulator

from .conftest import ALICE, make_transfer


def create_before_each_listing_request(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, count: int, rounds: int
) -> None:
    """Seed ``count`` transfers just before the emulator answers requests 2 to
    ``rounds + 1`` of a list: items shift by ``count`` between two pages."""
    store = emu.store
    original = store.sent
    calls = 0

    def sent(email: str, active: bool | None) -> Any:
        nonlocal calls
        calls += 1
        if 2 <= calls <= rounds + 1:
            store.seed_transfers(ALICE, count, recipients=["x@example.org"], state="ACTIVE")
        return original(email, active)

    monkeypatch.setattr(store, "sent", sent)


@pytest.mark.cryptshare_api_version(1, 12)
async def test_pages_shifted_by_exactly_one_page_list_everything(
    emu: Emulator, alice: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found: 5 of 17 listed (the shifted page was taken for a repeat and ended the list).
    existing = emu.seed_transfers(ALICE, 17)
    create_before_each_listing_request(emu, monkeypatch, count=5, rounds=3)
    items = await alice.sent_transfers(page_size=5).collect()
    assert [i.tracking_id for i in items] == list(reversed(existing))


@pytest.mark.cryptshare_api_version(1, 12)
async def test_the_tracking_id_is_asked_for_and_removed_again(
    emu: Emulator, alice: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.seed_transfers(ALICE, 17)
    create_before_each_listing_request(emu, monkeypatch, count=5, rounds=3)
    items = await alice.sent_transfers(page_size=5, fields=["status"]).collect()
    assert len(items) == 17  # the 15 created during the listing come before page 1
    assert all(i.tracking_id is None and "trackingId" not in i.raw for i in items)
    assert all(i.status is not None and i.status.state is not None for i in items)
    fields = {r.query["fields"] for r in emu.requests if r.path.endswith("/sent-transfers")}
    assert fields == {"trackingId, status"}


async def _list_while_creating(
    emu: Emulator, alice: Sender, rng: random.Random, page_size: int
) -> None:
    existing = emu.seed_transfers(ALICE, rng.randint(0, 40))
    created: list[str] = []

    async def create() -> None:
        for _ in range(200):  # bounded: the listing usually ends well before
            created.extend(emu.seed_transfers(ALICE, rng.randint(0, 2 * page_size)))
            await asyncio.sleep(0)

    creator = asyncio.create_task(create())
    try:
        listed = [i.tracking_id async for i in alice.sent_transfers(page_size=page_size)]
    finally:
        creator.cancel()
        await asyncio.gather(creator, return_exceptions=True)
    counts = Counter(listed)
    assert all(counts[t] == 1 for t in existing), "an existing transfer is missing or twice"
    assert set(counts) <= set(existing) | set(created)
    assert max(counts.values(), default=1) == 1


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.cryptshare_api_version(1, 12)
async def test_a_listing_during_concurrent_creation_holds_every_existing_transfer_once(
    emu: Emulator, alice: Sender, seed: int
) -> None:
    rng = random.Random(seed)
    await _list_while_creating(emu, alice, rng, page_size=rng.randint(1, 7))


@pytest.mark.cryptshare_api_version(1, 12)
async def test_transfers_sent_through_the_api_during_a_listing(
    emu: Emulator, alice: Sender
) -> None:
    existing = emu.seed_transfers(ALICE, 9)
    senders = [asyncio.create_task(make_transfer(alice, {f"{n}.txt": b"x"})) for n in range(4)]
    listed = [i.tracking_id async for i in alice.sent_transfers(page_size=2)]
    new = [t.tracking_id for t in await asyncio.gather(*senders)]
    counts = Counter(listed)
    assert all(counts[t] == 1 for t in existing)
    assert set(counts) <= set(existing) | set(new)
    assert max(counts.values()) == 1

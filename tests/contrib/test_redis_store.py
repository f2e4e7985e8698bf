"""RedisTokenStore against a real Redis server: round trips, TTL from the token's
validity, namespacing by client id, compare-and-delete, damage skipped, and a fleet of
clients (separate token managers, as separate processes have) sharing one store make
one verification request per sender."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis

from cryptshare_async import CryptshareClient, CryptshareError, StoredToken, TokenKey, TokenStore
from cryptshare_async._tokens import SupportsDiscard, SupportsFetchLock
from cryptshare_async.contrib.redis import RedisTokenStore
from cryptshare_async.testing import Emulator, EmulatorConfig

CLIENT_A = "A" * 60
CLIENT_B = "B" * 60
SERVER = "https://share.example.com"
SECRET = "tok-" + "s3cr3t" * 6


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def store(redis: Redis) -> RedisTokenStore:
    return RedisTokenStore(redis, prefix=f"test:{uuid.uuid4().hex}:")


def key(email: str = "alice@example.com", client_id: str = CLIENT_A) -> TokenKey:
    return TokenKey.for_sender(SERVER, client_id, email)


async def test_it_is_a_token_store_with_discard_and_a_fetch_lock(store: RedisTokenStore) -> None:
    assert isinstance(store, TokenStore)
    assert isinstance(store, SupportsDiscard)
    assert isinstance(store, SupportsFetchLock)
    assert "s3cr3t" not in repr(store)


@pytest.mark.parametrize(
    "valid_until", [None, datetime.now(UTC) + timedelta(hours=1), datetime(2999, 1, 1, tzinfo=UTC)]
)
async def test_set_get_delete(store: RedisTokenStore, valid_until: datetime | None) -> None:
    assert await store.get(key()) is None
    await store.set(key(), StoredToken(SECRET, valid_until))
    assert await store.get(key()) == StoredToken(SECRET, valid_until)
    await store.delete(key())
    assert await store.get(key()) is None
    await store.delete(key())  # deleting nothing is fine


async def test_the_key_expires_with_the_token(store: RedisTokenStore, redis: Redis) -> None:
    until = datetime.now(UTC) + timedelta(seconds=90)
    await store.set(key(), StoredToken(SECRET, until))
    ttl_ms = await redis.pttl(store.redis_key(key()))
    assert 80_000 < ttl_ms <= 90_000
    await store.set(key("bob@example.org"), StoredToken(SECRET))
    assert await redis.pttl(store.redis_key(key("bob@example.org"))) == -1  # no expiry known
    # one already expired is not stored, and replaces what was there
    await store.set(key(), StoredToken(SECRET, datetime.now(UTC) - timedelta(seconds=1)))
    assert await store.get(key()) is None


async def test_keys_are_namespaced_by_client_id_and_show_no_address(
    store: RedisTokenStore, redis: Redis
) -> None:
    await store.set(key(client_id=CLIENT_A), StoredToken("token-a"))
    await store.set(key(client_id=CLIENT_B), StoredToken("token-b"))
    await store.set(key(email="ALICE@example.com", client_id=CLIENT_A), StoredToken("token-a2"))
    assert await store.get(key(client_id=CLIENT_B)) == StoredToken("token-b")
    assert await store.get(key(client_id=CLIENT_A)) == StoredToken("token-a2")  # same address
    names = [n.decode() for n in await redis.keys(store.redis_key(key()).rsplit(":", 2)[0] + ":*")]
    assert len(names) == 2
    for name in names:
        assert "alice" not in name.lower() and "example" not in name
        assert CLIENT_A not in name and CLIENT_B not in name
    fingerprints = {name.split(":")[-2] for name in names}
    assert fingerprints == {
        key(client_id=CLIENT_A).client_fingerprint,
        key(client_id=CLIENT_B).client_fingerprint,
    }


async def test_discard_deletes_only_the_token_given(store: RedisTokenStore) -> None:
    await store.set(key(), StoredToken("newer"))
    await store.discard(key(), "older")  # another process saved a newer one meanwhile
    assert await store.get(key()) == StoredToken("newer")
    await store.discard(key(), "newer")
    assert await store.get(key()) is None
    await store.discard(key(), "newer")  # nothing there: fine


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"token": 3}',
        b'{"token": "t", "valid_until": "yesterday"}',
        b'{"token": "t", "valid_until": "2030-01-01T00:00:00"}',
        b'{"valid_until": null}',
    ],
)
async def test_a_damaged_entry_is_skipped_with_a_warning(
    store: RedisTokenStore, redis: Redis, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    await redis.set(store.redis_key(key()), raw)
    with caplog.at_level(logging.WARNING, logger="cryptshare_async"):
        assert await store.get(key()) is None
    assert "not a token" in caplog.text
    await store.discard(key(), "t")  # a damaged entry does not break discard either


async def test_redis_unreachable_is_a_cryptshare_error(redis_url: str) -> None:
    gone = Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    try:
        store = RedisTokenStore(gone)
        for call in (store.get(key()), store.set(key(), StoredToken(SECRET)), store.delete(key())):
            with pytest.raises(CryptshareError, match=r"Redis .* failed") as caught:
                await call
            assert SECRET not in str(caught.value) and caught.value.__cause__ is None
    finally:
        await gone.aclose()


def test_bad_arguments_are_refused(redis: Redis) -> None:
    with pytest.raises(CryptshareError, match=r"redis\.asyncio\.Redis"):
        RedisTokenStore(object())  # type: ignore[arg-type]
    with pytest.raises(CryptshareError, match="prefix"):
        RedisTokenStore(redis, prefix="has space")


async def test_a_fleet_makes_one_verification_request_per_sender(
    tmp_path: Path, redis: Redis
) -> None:
    """Six clients (each with its own token manager, as six worker processes have) start
    at once with two senders: one token request per sender, then all share the tokens."""
    config = EmulatorConfig(processing_seconds=0.0, storage_dir=tmp_path / "emu")
    prefix = f"fleet:{uuid.uuid4().hex}:"
    async with Emulator(config) as emu:
        clients = [
            CryptshareClient(
                emu.url, client_id=emu.client_id, token_store=RedisTokenStore(redis, prefix=prefix)
            )
            for _ in range(6)
        ]
        try:
            senders = ["alice@example.com", "carol@example.com"]
            await asyncio.gather(
                *(
                    c.sender(s).transfer_policy(["bob@example.org"])
                    for c in clients
                    for s in senders
                    for _ in range(3)
                )
            )
            asked = [r.path for r in emu.requests if r.path.endswith("/verification/token")]
            assert sorted(asked) == sorted(f"/api/users/{s}/verification/token" for s in senders)
            # a token the server refuses is dropped once and fetched again once, fleet-wide
            emu.store._tokens.clear()
            await asyncio.gather(
                *(c.sender(senders[0]).transfer_policy(["bob@example.org"]) for c in clients)
            )
            asked = [r.path for r in emu.requests if r.path.endswith("/verification/token")]
            assert len(asked) == 3
        finally:
            for c in clients:
                await c.aclose()


async def test_a_client_that_decodes_replies_works_too(redis_url: str) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        store = RedisTokenStore(client, prefix=f"dec:{uuid.uuid4().hex}:")
        until = datetime.now(UTC) + timedelta(minutes=5)
        await store.set(key(), StoredToken(SECRET, until))
        assert await store.get(key()) == StoredToken(SECRET, until)
        await store.discard(key(), SECRET)
        assert await store.get(key()) is None
    finally:
        await client.aclose()

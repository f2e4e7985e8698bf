from __future__ import annotations

import asyncio
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cryptshare_async._errors import VerificationError
from cryptshare_async._tokens import (
    FileTokenStore,
    MemoryTokenStore,
    StoredToken,
    TokenKey,
    TokenStore,
)
from cryptshare_async._verification import TokenManager

CLIENT_ID = "C" * 60
KEY = TokenKey.for_sender("https://share.example.com/", CLIENT_ID, "Alice@Example.com")


def test_key_hides_client_id_and_folds_email_case() -> None:
    assert CLIENT_ID not in KEY.as_string()
    assert TokenKey.for_sender("https://share.example.com", CLIENT_ID, "alice@example.com") == KEY
    assert TokenKey.for_sender("https://share.example.com", "D" * 60, "alice@example.com") != KEY


def test_stored_token_repr_hides_token_and_expiry_margin() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    token = StoredToken(token="very-secret", valid_until=now + timedelta(seconds=30))
    assert "very-secret" not in repr(token)
    assert token.is_usable(now=now, margin=timedelta(seconds=10))
    assert not token.is_usable(now=now, margin=timedelta(seconds=60))
    assert StoredToken(token="x").is_usable(margin=timedelta(days=999))


async def test_memory_store_round_trip() -> None:
    store = MemoryTokenStore()
    assert isinstance(store, TokenStore)
    assert await store.get(KEY) is None
    await store.set(KEY, StoredToken(token="t1"))
    assert (await store.get(KEY)) == StoredToken(token="t1")
    await store.delete(KEY)
    assert await store.get(KEY) is None
    assert "t1" not in repr(store)


async def test_file_store_is_private_atomic_and_persistent(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "tokens.json"
    store = FileTokenStore(path)
    until = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
    await store.set(KEY, StoredToken(token="tok-1", valid_until=until))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert CLIENT_ID not in path.read_text()
    again = FileTokenStore(path)
    assert await again.get(KEY) == StoredToken(token="tok-1", valid_until=until)
    other = TokenKey.for_sender("https://other.example.com", CLIENT_ID, "bob@example.com")
    await again.set(other, StoredToken(token="tok-2"))
    await again.delete(KEY)
    assert await store.get(KEY) is None
    assert await store.get(other) == StoredToken(token="tok-2")
    assert sorted(p.name for p in path.parent.iterdir()) == ["tokens.json", "tokens.json.lock"]
    assert stat.S_IMODE(os.stat(path.with_name("tokens.json.lock")).st_mode) == 0o600
    assert "tok-1" not in repr(store) and "tok-2" not in repr(store)


async def test_concurrent_callers_share_one_fetch() -> None:
    manager = TokenManager(MemoryTokenStore(), refresh_margin=timedelta(seconds=60))
    calls = 0
    gate = asyncio.Event()

    async def fetch() -> StoredToken:
        nonlocal calls
        calls += 1
        await gate.wait()
        return StoredToken(token="shared")

    tasks = [asyncio.create_task(manager.obtain(KEY, fetch)) for _ in range(25)]
    await asyncio.sleep(0)
    gate.set()
    tokens = await asyncio.gather(*tasks)
    assert calls == 1
    assert {t.token for t in tokens} == {"shared"}


async def test_failed_fetch_reaches_every_waiter_and_next_call_retries() -> None:
    manager = TokenManager(MemoryTokenStore(), refresh_margin=timedelta(seconds=60))
    attempts = 0
    gate = asyncio.Event()

    async def fetch() -> StoredToken:
        nonlocal attempts
        attempts += 1
        await gate.wait()
        if attempts == 1:
            raise RuntimeError("server said no")
        return StoredToken(token="second")

    tasks = [asyncio.create_task(manager.obtain(KEY, fetch)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert (await manager.obtain(KEY, fetch)).token == "second"


async def test_cancelled_fetcher_does_not_cancel_other_waiters() -> None:
    manager = TokenManager(MemoryTokenStore(), refresh_margin=timedelta(seconds=60))
    gate = asyncio.Event()
    calls = 0

    async def fetch() -> StoredToken:
        nonlocal calls
        calls += 1
        await gate.wait()
        return StoredToken(token=f"t{calls}")

    first = asyncio.create_task(manager.obtain(KEY, fetch))
    await asyncio.sleep(0)
    second = asyncio.create_task(manager.obtain(KEY, fetch))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    gate.set()
    assert (await second).token == "t2"
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_expired_tokens_are_dropped_and_missing_without_fetch_explains() -> None:
    store = MemoryTokenStore()
    manager = TokenManager(store, refresh_margin=timedelta(seconds=60))
    past = datetime.now(UTC) - timedelta(seconds=1)
    await store.set(KEY, StoredToken(token="old", valid_until=past))
    assert await manager.cached(KEY) is None
    assert await store.get(KEY) is None
    with pytest.raises(VerificationError, match="verify_with_client_id") as caught:
        await manager.obtain(KEY, None)
    assert caught.value.error_code == 3002


@pytest.mark.parametrize("seconds_left", [1, 5, 59, 3600])
async def test_without_fetch_a_token_is_used_until_it_expires(seconds_left: int) -> None:
    store = MemoryTokenStore()
    manager = TokenManager(store, refresh_margin=timedelta(seconds=60))
    until = datetime.now(UTC) + timedelta(seconds=seconds_left)
    await store.set(KEY, StoredToken(token="kept", valid_until=until))
    assert (await manager.obtain(KEY, None)).token == "kept"
    assert await manager.cached(KEY) is not None


@pytest.mark.parametrize(("seconds_left", "expected"), [(5, "fresh"), (59, "fresh"), (61, "kept")])
async def test_with_fetch_a_token_is_refreshed_within_the_margin(
    seconds_left: int, expected: str
) -> None:
    store = MemoryTokenStore()
    manager = TokenManager(store, refresh_margin=timedelta(seconds=60))
    until = datetime.now(UTC) + timedelta(seconds=seconds_left)
    await store.set(KEY, StoredToken(token="kept", valid_until=until))

    async def fetch() -> StoredToken:
        return StoredToken(token="fresh", valid_until=datetime.now(UTC) + timedelta(hours=1))

    assert (await manager.obtain(KEY, fetch)).token == expected
    assert (await store.get(KEY)) is not None
    assert (await store.get(KEY)).token == expected  # type: ignore[union-attr]


async def test_a_failed_early_refresh_falls_back_to_the_still_valid_token() -> None:
    store = MemoryTokenStore()
    manager = TokenManager(store, refresh_margin=timedelta(seconds=60))
    until = datetime.now(UTC) + timedelta(seconds=30)
    await store.set(KEY, StoredToken(token="kept", valid_until=until))

    async def fetch() -> StoredToken:
        raise VerificationError(
            status=403, error_code=3002, error_message="no", method="POST", path="/x"
        )

    assert (await manager.obtain(KEY, fetch)).token == "kept"
    await store.delete(KEY)
    with pytest.raises(VerificationError):
        await manager.obtain(KEY, fetch)


async def test_forget_only_drops_the_named_token() -> None:
    store = MemoryTokenStore()
    manager = TokenManager(store, refresh_margin=timedelta(seconds=0))
    await store.set(KEY, StoredToken(token="new"))
    await manager.forget(KEY, "old")
    assert await store.get(KEY) is not None
    await manager.forget(KEY, "new")
    assert await store.get(KEY) is None


class DiscardSpy(MemoryTokenStore):
    def __init__(self) -> None:
        super().__init__()
        self.discarded: list[str] = []

    async def discard(self, key: TokenKey, token: str) -> None:
        self.discarded.append(token)
        await super().discard(key, token)


async def test_forget_uses_an_atomic_discard_when_the_store_has_one() -> None:
    store = DiscardSpy()
    manager = TokenManager(store, refresh_margin=timedelta(seconds=0))
    await store.set(KEY, StoredToken(token="new"))
    await manager.forget(KEY, "old")
    assert store.discarded == ["old"]
    assert await store.get(KEY) == StoredToken(token="new")
    await manager.forget(KEY, "new")
    assert await store.get(KEY) is None
    await store.set(KEY, StoredToken(token="any"))
    await manager.forget(KEY)
    assert await store.get(KEY) is None and store.discarded == ["old", "new"]

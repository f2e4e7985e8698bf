"""Which token each request carries, against the emulator: sessions keep their creator's
token, a refused token costs only itself, and the refresh margin spends nothing it need not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cryptshare_async import (
    CryptshareClient,
    SessionTokenRejectedError,
    TransferSession,
    VerificationError,
)
from cryptshare_async._sender import Sender
from cryptshare_async.testing import Emulator

from .conftest import ALICE, BOB

TOKEN_PATH = "/verification/token"


async def current_token(client: CryptshareClient, email: str = ALICE) -> str:
    stored = await client.tokens.store.get(client.token_key(email))
    assert stored is not None
    return stored.token


def revoke(emu: Emulator, token: str, email: str = ALICE) -> None:
    """Make the emulator stop accepting ``token`` (as a server does when it expires)."""
    held = emu.store.find_token(token, email, emu.client_id)
    assert held is not None
    held.valid_until = datetime.now(UTC) - timedelta(seconds=1)


def tokens_sent(emu: Emulator, tracking_id: str) -> set[str | None]:
    return {r.header("X-CS-VerificationToken") for r in emu.requests if tracking_id in r.path}


def token_fetches(emu: Emulator) -> int:
    return sum(1 for r in emu.requests if r.path.endswith(TOKEN_PATH))


async def open_session(sender: Sender) -> TransferSession:
    return await sender.create_session(to=[BOB], name="Alice", phone="+49 1")


async def two_sessions(
    client: CryptshareClient, alice: Sender
) -> tuple[TransferSession, str, TransferSession, str]:
    """A session made with token A, then the store rotated to B and a session made with B."""
    first = await open_session(alice)
    token_a = await current_token(client)
    await alice.verify_with_client_id()
    token_b = await current_token(client)
    assert token_a != token_b
    second = await open_session(alice)
    return first, token_a, second, token_b


async def test_each_session_keeps_its_creator_token_after_the_store_rotates(
    client: CryptshareClient, emu: Emulator, alice: Sender
) -> None:
    first, token_a, second, token_b = await two_sessions(client, alice)
    await first.update(notification_subject="s", notification_body="b")
    uploaded = await first.upload(b"first file", file_name="a.txt")
    await first.remove_file(uploaded.file_id)
    await first.upload(b"first file", file_name="c.txt")
    await second.upload(b"second file", file_name="b.txt")
    assert tokens_sent(emu, first.tracking_id) == {token_a}
    assert tokens_sent(emu, second.tracking_id) == {token_b}
    await first.finalize()
    await second.finalize()
    assert token_a not in repr(first) and token_a not in repr(vars(first))


async def test_a_rejected_session_token_leaves_the_other_token_and_session_working(
    client: CryptshareClient, emu: Emulator, alice: Sender
) -> None:
    first, token_a, second, token_b = await two_sessions(client, alice)
    fetches = token_fetches(emu)
    revoke(emu, token_a)
    for call in (first.state, lambda: first.upload(b"x", file_name="x.txt")):
        with pytest.raises(SessionTokenRejectedError, match="create a new session") as caught:
            await call()
        assert isinstance(caught.value, VerificationError)
        assert caught.value.error_code == 3002
        error: BaseException | None = caught.value
        while error is not None:
            text = f"{error}{error!r}{error.args}{vars(error)}"
            assert token_a not in text and token_b not in text and emu.client_id not in text
            error = error.__cause__ or error.__context__
    assert await current_token(client) == token_b
    assert token_fetches(emu) == fetches  # a new token could not have helped
    await second.upload(b"still fine", file_name="b.txt")
    transfer = await second.finalize()
    assert (await transfer.status()).state is not None  # transfers use the current token


async def test_a_rejected_current_token_is_forgotten_and_replaced_for_new_work(
    client: CryptshareClient, emu: Emulator, alice: Sender
) -> None:
    session = await open_session(alice)
    token_a = await current_token(client)
    revoke(emu, token_a)
    with pytest.raises(SessionTokenRejectedError):
        await session.upload(b"x", file_name="x.txt")
    assert await client.tokens.store.get(client.token_key(ALICE)) is None
    fresh = await open_session(alice)
    await fresh.upload(b"x", file_name="x.txt")
    assert await current_token(client) != token_a


async def test_requests_not_bound_to_a_session_fetch_once_and_retry(
    client: CryptshareClient, emu: Emulator, alice: Sender
) -> None:
    first, token_a, _second, token_b = await two_sessions(client, alice)
    revoke(emu, token_b)
    handle = alice.resume_session(first.tracking_id)  # made elsewhere: uses the current token
    await alice.verify_with_client_id()
    await alice.transfer_policy([BOB])  # a fresh token: no retry needed
    revoke(emu, await current_token(client))
    fetches = token_fetches(emu)
    await alice.transfer_policy([BOB])  # refused, forgotten, fetched once, retried
    assert token_fetches(emu) == fetches + 1
    with pytest.raises(VerificationError):
        await handle.state()  # the current token is not the session's own
    await first.state()  # the session's own handle still works with token A
    assert tokens_sent(emu, first.tracking_id) >= {token_a}

"""The refresh margin against the emulator: a token is used until the server refuses it,
and replaced early only where a fetch costs nothing (verification by client id).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cryptshare_async import CryptshareClient, StoredToken, VerificationError
from cryptshare_async._sender import Sender
from cryptshare_async.testing import Emulator, EmulatorConfig

from .conftest import ALICE, BOB
from .test_tokens_e2e import current_token, open_session, token_fetches, tokens_sent


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    # Every token expires within the client's default 60 s refresh margin.
    return EmulatorConfig(processing_seconds=0.0, seed=1234, token_validity_seconds=30)


async def test_without_a_fetch_a_token_inside_the_margin_is_still_used(
    client: CryptshareClient, emu: Emulator
) -> None:
    alice = client.sender(ALICE, auto_verify=False)
    await alice.request_email_code()
    token = await alice.verify_with_code(emu.verification_code(ALICE))
    assert token.valid_until is not None
    assert token.valid_until - datetime.now(UTC) < timedelta(seconds=60)
    assert await alice.is_verified()
    session = await open_session(alice)
    await session.upload(b"kept", file_name="k.txt")
    await alice.transfer_policy([BOB])
    assert token_fetches(emu) == 1
    assert tokens_sent(emu, session.tracking_id) == {token.token}


async def test_with_client_id_verification_a_token_inside_the_margin_is_refreshed_early(
    client: CryptshareClient, emu: Emulator, alice: Sender
) -> None:
    await alice.verify_with_client_id()
    token_a = await current_token(client)
    session = await open_session(alice)  # refreshes first: one more fetch
    assert token_fetches(emu) == 2
    token_b = await current_token(client)
    assert token_b != token_a
    await session.upload(b"bound", file_name="b.txt")  # bound to B: no refresh
    assert tokens_sent(emu, session.tracking_id) == {token_b}
    assert token_fetches(emu) == 2


async def test_a_token_past_valid_until_is_dropped_locally(
    client: CryptshareClient, emu: Emulator
) -> None:
    alice = client.sender(ALICE, auto_verify=False)
    key = client.token_key(ALICE)
    past = datetime.now(UTC) - timedelta(seconds=1)
    await client._tokens.save(key, StoredToken(token="t" * 64, valid_until=past))
    requests = len(emu.requests)
    with pytest.raises(VerificationError, match="verify_with_code"):
        await alice.transfer_policy([BOB])
    assert len(emu.requests) == requests
    assert not await alice.is_verified()

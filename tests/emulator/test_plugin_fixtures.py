"""The plugin's client fixtures: a client bound to the emulator and a verified sender."""

from __future__ import annotations

from typing import Any

from cryptshare_async.testing import Emulator


async def test_sender_fixture_is_verified_against_the_emulator(
    cryptshare_emulator: Emulator, cryptshare_sender: Any, cryptshare_sender_email: str
) -> None:
    token_calls = [
        r for r in cryptshare_emulator.requests if r.path.endswith("/verification/token")
    ]
    assert token_calls and cryptshare_sender_email in token_calls[-1].path
    assert all(r.header("X-CS-ClientId") == cryptshare_emulator.client_id for r in token_calls)

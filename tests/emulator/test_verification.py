"""Verification: status, email code through the outbox, client-id mode, token binding."""

from __future__ import annotations

from datetime import datetime

import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig

from .conftest import SENDER, Api

STATUS = f"/api/users/{SENDER}/verification"


async def test_status_without_token_is_unverified(api: Api) -> None:
    status, body, _ = await api.call("GET", STATUS)
    assert status == 200
    assert body["data"] == {"verified": False, "verificationMethods": ["EMAIL", "CLIENT_ID"]}
    assert body["meta"] == {}


async def test_status_with_token_is_verified(api: Api, token: str) -> None:
    _, body, _ = await api.call("GET", STATUS, token=token)
    assert body["data"]["verified"] is True
    assert datetime.fromisoformat(body["data"]["validUntil"]).tzinfo is not None


async def test_email_code_flow(api: Api) -> None:
    status, body, _ = await api.call(
        "POST", f"{STATUS}/code/email", headers={"Accept-Language": "de-DE"}
    )
    assert (status, body) == (200, None)
    message = api.emu.outbox.latest(kind="verification_code", to=SENDER)
    assert message.language == "de"
    code = api.emu.verification_code(SENDER.upper())
    assert code in message.body and code not in repr(message)
    status, body, _ = await api.call("POST", f"{STATUS}/token", json={"verificationCode": code})
    assert status == 200
    token = body["data"]["token"]
    _, body, _ = await api.call("GET", STATUS, token=token)
    assert body["data"]["verified"] is True
    status, body, _ = await api.call("POST", f"{STATUS}/token", json={"verificationCode": code})
    assert (status, body["errorCode"]) == (403, 3002)  # a code works once


async def test_new_code_invalidates_older(api: Api) -> None:
    await api.call("POST", f"{STATUS}/code/email")
    old = api.emu.verification_code(SENDER)
    await api.call("POST", f"{STATUS}/code/email")
    new = api.emu.verification_code(SENDER)
    assert old != new
    status, body, _ = await api.call("POST", f"{STATUS}/token", json={"verificationCode": old})
    assert (status, body["errorCode"]) == (403, 3002)
    status, _, _ = await api.call("POST", f"{STATUS}/token", json={"verificationCode": new})
    assert status == 200


async def test_code_requests_are_rate_limited(api: Api) -> None:
    for _ in range(api.emu.config.verification_code_limit):
        status, _, _ = await api.call("POST", f"{STATUS}/code/email")
        assert status == 200
    status, body, _ = await api.call("POST", f"{STATUS}/code/email")
    assert (status, body["errorCode"]) == (429, 2007)


def test_verification_code_raises_without_mail(cryptshare_emulator: Emulator) -> None:
    with pytest.raises(LookupError):
        cryptshare_emulator.verification_code("nobody@example.com")


@pytest.mark.parametrize("body", [None, {}])
async def test_client_id_mode_with_and_without_body(api: Api, body: object) -> None:
    status, data, _ = await api.call("POST", f"{STATUS}/token", json=body)
    assert status == 200
    assert len(data["data"]["token"]) > 20


async def test_client_id_mode_needs_whitelisted_id(api: Api) -> None:
    api.client_id = "Z" * 60
    status, body, _ = await api.call("POST", f"{STATUS}/token", json={})
    assert (status, body["errorCode"]) == (403, 3002)
    _, body, _ = await api.call("GET", STATUS)
    assert body["data"]["verificationMethods"] == ["EMAIL"]


async def test_token_bound_to_email_and_client(api: Api, token: str) -> None:
    other = "carol@example.com"
    status, body, _ = await api.call(
        "POST", f"/api/users/{other}/transfer-sessions", token=token, json={}
    )
    assert (status, body["errorCode"]) == (403, 3002)
    _, body, _ = await api.call("GET", f"/api/users/{other}/verification", token=token)
    assert body["data"]["verified"] is False
    api.client_id = "Q" * 60
    _, body, _ = await api.call("GET", STATUS, token=token)
    assert body["data"]["verified"] is False


async def test_email_path_percent_encoded_and_case_insensitive(api: Api, token: str) -> None:
    _, body, _ = await api.call("GET", "/api/users/Alice%40EXAMPLE.com/verification", token=token)
    assert body["data"]["verified"] is True


async def test_missing_token_is_rejected(api: Api) -> None:
    status, body, _ = await api.call("GET", f"/api/users/{SENDER}/transfers")
    assert (status, body["errorCode"]) == (403, 3002)


async def test_expired_token_is_rejected(http: object) -> None:
    import aiohttp

    assert isinstance(http, aiohttp.ClientSession)
    async with Emulator(EmulatorConfig(token_validity_seconds=0)) as emu:
        api = Api(emu, http)
        token = await api.token()
        _, body, _ = await api.call("GET", STATUS, token=token)
        assert body["data"]["verified"] is False
        status, body, _ = await api.call("GET", f"/api/users/{SENDER}/transfers", token=token)
        assert (status, body["errorCode"]) == (403, 3002)

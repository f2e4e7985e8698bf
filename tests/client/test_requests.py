"""Exact requests (method, URL, query, headers, JSON body) for every foundation endpoint."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from cryptshare_async import (
    CryptshareClient,
    InvalidInputError,
    PasswordMode,
    RetryPolicy,
    RuleViolationError,
    ServerError,
    TransferState,
    TransportError,
    VerificationError,
    VerificationMethod,
    __version__,
)

BASE = "https://share.example.com"
API = BASE + "/api"
CID = "Q" * 24 + "w" * 24 + "7" * 12
ALICE = "alice+tag@example.com"
ALICE_PATH = "alice%2Btag@example.com"
TID = "20240522-065711-H8UoUSI6"
VALID_UNTIL = "2030-10-09T11:51:46+02:00"


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client() -> AsyncIterator[CryptshareClient]:
    async with CryptshareClient(
        BASE, client_id=CID, retry=RetryPolicy(backoff_base=0.001, backoff_max=0.002)
    ) as c:
        yield c


def calls(m: aioresponses, method: str, url: str) -> list[Any]:
    return m.requests.get((method, URL(url, encoded=True)), [])


def only_call(m: aioresponses, method: str, url: str) -> dict[str, Any]:
    found = calls(m, method, url)
    assert len(found) == 1, f"{method} {url}: {len(found)} calls; all: {list(m.requests)}"
    kwargs: dict[str, Any] = found[0].kwargs
    return kwargs


def base_headers(minor: str = "8") -> dict[str, str]:
    return {
        "X-CS-MajorApiVersion": "1",
        "X-CS-MinimumMinorApiVersion": minor,
        "X-CS-ClientId": CID,
        "X-CS-ProductKey": "api.rest",
        "User-Agent": f"cryptshare-async/{__version__}",
    }


def token_reply(m: aioresponses, token: str = "tok-1", repeat: bool = False) -> None:
    m.post(
        f"{API}/users/{ALICE_PATH}/verification/token",
        payload={"data": {"token": token, "validUntil": VALID_UNTIL}, "meta": {}},
        repeat=repeat,
    )


async def verified(client: CryptshareClient, m: aioresponses, token: str = "tok-1") -> Any:
    token_reply(m, token)
    sender = client.sender(ALICE)
    await sender.verify_with_client_id()
    return sender


# ---------------------------------------------------------------- verification


async def test_verification_status_without_and_with_token(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    url = f"{API}/users/{ALICE_PATH}/verification"
    body = {
        "data": {
            "verified": True,
            "verificationMethods": ["email", "clientId"],
            "validUntil": VALID_UNTIL,
        },
        "meta": {},
    }
    mocked.get(url, payload=body, repeat=True)
    sender = client.sender(ALICE, auto_verify=False)
    status = await sender.verification_status()
    assert status.verified is True
    assert status.verification_methods == (VerificationMethod.EMAIL, VerificationMethod.CLIENT_ID)
    assert status.valid_until == datetime(
        2030, 10, 9, 11, 51, 46, tzinfo=timezone(timedelta(hours=2))
    )
    first = calls(mocked, "GET", url)[0].kwargs
    assert first["headers"] == base_headers()
    token_reply(mocked)
    await sender.verify_with_client_id()
    await sender.verification_status()
    second = calls(mocked, "GET", url)[1].kwargs
    assert second["headers"] == {**base_headers(), "X-CS-VerificationToken": "tok-1"}


async def test_email_code_then_token(client: CryptshareClient, mocked: aioresponses) -> None:
    code_url = f"{API}/users/{ALICE_PATH}/verification/code/email"
    mocked.post(code_url, status=200)
    token_reply(mocked, "tok-email")
    sender = client.sender(ALICE, auto_verify=False)
    await sender.request_email_code(language="de")
    sent = only_call(mocked, "POST", code_url)
    assert sent["headers"] == {**base_headers(), "Accept-Language": "de"}
    assert sent.get("json") is None
    token = await sender.verify_with_code(" 123456 ")
    assert token.valid_until is not None
    call = only_call(mocked, "POST", f"{API}/users/{ALICE_PATH}/verification/token")
    assert call["json"] == {"verificationCode": "123456"}
    assert "X-CS-VerificationToken" not in call["headers"]
    assert await sender.is_verified()
    with pytest.raises(InvalidInputError):
        await sender.verify_with_code("  ")


async def test_token_by_client_id_sends_empty_object(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    await verified(client, mocked)
    call = only_call(mocked, "POST", f"{API}/users/{ALICE_PATH}/verification/token")
    assert call["json"] == {}
    assert call["headers"] == base_headers()


# ---------------------------------------------------------------- sessions


@pytest.mark.parametrize(
    "location",
    [
        f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}",
        f"/api/users/{ALICE_PATH}/transfer-sessions/{TID}",
    ],
)
async def test_create_session_exact_request(
    client: CryptshareClient, mocked: aioresponses, location: str
) -> None:
    sender = await verified(client, mocked)
    url = f"{API}/users/{ALICE_PATH}/transfer-sessions"
    mocked.post(url, status=201, headers={"Location": location})
    session = await sender.create_session(
        to=["bob@example.org"], cc=["Carol@Example.org"], name="Alice", phone="+49 1", language="de"
    )
    assert session.tracking_id == TID
    call = only_call(mocked, "POST", url)
    assert call["json"] == {
        "sender": {"name": "Alice", "phone": "+49 1"},
        "recipients": {
            "to": [{"mail": "bob@example.org"}],
            "cc": [{"mail": "Carol@Example.org"}],
            "bcc": [],
        },
    }
    assert call["headers"] == {
        **base_headers(),
        "X-CS-VerificationToken": "tok-1",
        "Accept-Language": "de",
    }


async def test_invalid_recipients_send_nothing(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    sender = await verified(client, mocked)
    for kwargs in (
        {"to": []},
        {"to": ["not-an-address"]},
        {"to": "bob@example.org"},
        {"to": ["bob@example.org"], "bcc": ["x@y.z\r\nBcc: evil@example.com"]},
    ):
        with pytest.raises(InvalidInputError):
            await sender.create_session(name="A", phone="1", **kwargs)
    with pytest.raises(InvalidInputError, match="name"):
        await sender.create_session(to=["bob@example.org"], name=" ", phone="1")
    assert not calls(mocked, "POST", f"{API}/users/{ALICE_PATH}/transfer-sessions")


SESSION_JSON = {
    "sender": {"name": "Alice", "phone": "1"},
    "recipients": {"to": [{"mail": "bob@example.org"}], "cc": [], "bcc": []},
    "expirationDate": "2030-10-09T11:51:46+02:00",
    "fileChecksumAlgorithm": "SHA-256",
    "securityMode": {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": "GENERATED"}},
    "files": [{"id": "F1", "fileName": "a.txt", "size": 3, "state": "UPLOADED", "href": "x"}],
    "showFileNames": True,
}


async def test_state_update_delete(client: CryptshareClient, mocked: aioresponses) -> None:
    sender = await verified(client, mocked)
    url = f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}"
    mocked.get(url, payload={"data": SESSION_JSON, "meta": {}})
    mocked.patch(url, payload={"data": SESSION_JSON, "meta": {}}, repeat=True)
    mocked.delete(url, status=204)
    session = sender.resume_session(TID)
    state = await session.state()
    assert state.file_checksum_algorithm == "SHA-256"
    assert state.files is not None and state.files[0].file_name == "a.txt"
    assert only_call(mocked, "GET", url)["headers"]["X-CS-VerificationToken"] == "tok-1"

    when = datetime(2030, 10, 9, 9, 51, 46, tzinfo=UTC)
    await session.update(password_mode=PasswordMode.GENERATED, expiration_date=when)
    await session.update(password_mode=PasswordMode.MANUAL, password="S3cret!pass")
    await session.update(show_file_names=False, classification_id=None)
    await session.update(
        name="Alice B", phone="2", notification_subject="Hi", notification_body="<b>x</b>"
    )
    bodies = [c.kwargs["json"] for c in calls(mocked, "PATCH", url)]
    assert bodies == [
        {
            "securityMode": {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": "GENERATED"}},
            "expirationDate": "2030-10-09T09:51:46+00:00",
        },
        {
            "securityMode": {
                "name": "ONE_TIME_PASSWORD",
                "config": {"passwordMode": "MANUAL", "password": "S3cret!pass"},
            }
        },
        {"showFileNames": False, "classificationId": None},
        {
            "sender": {"name": "Alice B", "phone": "2"},
            "notificationMessage": {"subject": "Hi", "body": "<b>x</b>"},
        },
    ]
    await session.delete()
    assert only_call(mocked, "DELETE", url)["headers"]["X-CS-VerificationToken"] == "tok-1"
    with pytest.raises(InvalidInputError, match="already deleted"):
        await session.finalize()


async def test_update_argument_errors_send_nothing(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    sender = await verified(client, mocked)
    session = sender.resume_session(TID)
    with pytest.raises(InvalidInputError, match="at least one"):
        await session.update()
    with pytest.raises(InvalidInputError, match="MANUAL needs"):
        await session.update(password_mode=PasswordMode.MANUAL)
    with pytest.raises(InvalidInputError, match="takes no password"):
        await session.update(password_mode=PasswordMode.GENERATED, password="x")
    with pytest.raises(InvalidInputError, match="give both"):
        await session.update(name="only")
    with pytest.raises((InvalidInputError, ValueError, TypeError)):
        await session.update(expiration_date=datetime(2030, 1, 1))  # naive: refused
    assert not mocked.requests.get(
        ("PATCH", URL(f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}"))
    )


async def test_finalize_and_transfer_status(client: CryptshareClient, mocked: aioresponses) -> None:
    sender = await verified(client, mocked)
    session_url = f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}"
    transfer_url = f"{API}/users/{ALICE_PATH}/transfers/{TID}"
    mocked.post(session_url, status=201, headers={"Location": transfer_url})
    status_json = {
        "transfer": SESSION_JSON,
        "status": {
            "state": "PROCESSING",
            "warnings": False,
            "emlCreationFailed": False,
            "sender": {"email": ALICE, "notificationFailed": False},
            "files": [{"id": "F1", "removed": False}],
            "recipients": [],
        },
    }
    mocked.get(transfer_url, payload={"data": status_json, "meta": {}})
    transfer = await sender.resume_session(TID).finalize()
    assert transfer.tracking_id == TID
    finalize = only_call(mocked, "POST", session_url)
    assert finalize.get("json") is None
    status = await transfer.status(language="de")
    assert status.state is TransferState.PROCESSING
    assert only_call(mocked, "GET", transfer_url)["headers"]["Accept-Language"] == "de"


async def test_register_and_remove_file_and_confidential_message(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    sender = await verified(client, mocked)
    files_url = f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}/files"
    mocked.post(
        files_url,
        status=201,
        payload={"data": {"fileId": "a58dFp1Tr7"}, "meta": {}},
        headers={"Location": f"{files_url}/a58dFp1Tr7"},
    )
    mocked.delete(f"{files_url}/a58dFp1Tr7", status=204)
    mocked.patch(
        f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}", payload={"data": SESSION_JSON}
    )
    session = sender.resume_session(TID)
    file_id = await session.register_file("Invoice.pdf", 13987, "737b6a93")
    assert file_id == "a58dFp1Tr7"
    assert only_call(mocked, "POST", files_url)["json"] == {
        "fileName": "Invoice.pdf",
        "size": 13987,
        "checksum": "737b6a93",
    }
    await session.set_confidential_message(file_id)
    patch = only_call(mocked, "PATCH", f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}")
    assert patch["json"] == {"confidentialMessageFileId": "a58dFp1Tr7"}
    await session.remove_file(file_id)
    assert only_call(mocked, "DELETE", f"{files_url}/a58dFp1Tr7")["headers"][
        "X-CS-VerificationToken"
    ]
    for bad in (("", 1), ("x", -1), ("x", True)):
        with pytest.raises(InvalidInputError):
            await session.register_file(*bad)  # type: ignore[arg-type]


async def test_register_without_checksum_omits_it(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    sender = await verified(client, mocked)
    files_url = f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}/files"
    mocked.post(files_url, status=201, headers={"Location": "files/F9"})
    assert await sender.resume_session(TID).register_file("a.txt", 0) == "F9"
    assert only_call(mocked, "POST", files_url)["json"] == {"fileName": "a.txt", "size": 0}


# ---------------------------------------------------------------- misc endpoints


async def test_policy_passwords_clients_status(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    sender = await verified(client, mocked)
    mocked.post(
        f"{API}/users/{ALICE_PATH}/transfer-policy",
        payload={
            "data": {"allowed": True, "failedRecipients": [], "settings": {"maxTotalSize": 5}}
        },
    )
    policy = await sender.transfer_policy(["bob@example.org"])
    assert policy.allowed is True
    assert only_call(mocked, "POST", f"{API}/users/{ALICE_PATH}/transfer-policy")["json"] == {
        "recipients": ["bob@example.org"]
    }
    mocked.get(f"{API}/password", payload={"data": {"password": "Gen-3rated"}})
    assert await client.generate_password() == "Gen-3rated"
    mocked.post(
        f"{API}/password",
        payload={
            "data": {
                "valid": False,
                "rulesNotFulfilled": [{"name": "minLength", "details": {"min": 8}}],
            }
        },
    )
    result = await client.validate_password("short")
    assert result.valid is False and result.rules_not_fulfilled[0].name == "minLength"
    assert only_call(mocked, "POST", f"{API}/password")["json"] == {"password": "short"}
    mocked.get(
        f"{API}/password/requirements", payload={"data": [{"name": "minLength", "details": {}}]}
    )
    assert [r.name for r in await client.password_requirements()] == ["minLength"]
    new_id = "N" * 64
    mocked.get(f"{API}/clients", payload={"data": {"clientId": new_id}})
    assert await client.request_client_id() == new_id
    mocked.get(
        f"{API}/status", payload={"apiVersions": {"uiApiVersions": [{"major": 1, "minor": 13}]}}
    )
    status = await client.server_status()
    assert [(v.major, v.minor) for v in status.api_versions] == [(1, 13)]


async def test_request_client_id_without_own_client_id(mocked: aioresponses) -> None:
    mocked.get(f"{API}/clients", payload={"data": {"clientId": "N" * 64}})
    async with CryptshareClient(BASE, client_id=None) as anonymous:
        assert await anonymous.request_client_id() == "N" * 64
        headers = only_call(mocked, "GET", f"{API}/clients")["headers"]
        assert "X-CS-ClientId" not in headers
        with pytest.raises(Exception, match="client id"):
            anonymous.sender(ALICE)


# ---------------------------------------------------------------- errors, retries, tokens


async def test_api_error_is_typed_and_secret_free(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    sender = await verified(client, mocked, token="tok-SECRET-123")
    url = f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}"
    mocked.post(url, status=409, payload={"errorCode": 2001, "errorMessage": "no files"})
    with pytest.raises(RuleViolationError) as caught:
        await sender.resume_session(TID).finalize()
    text = str(caught.value) + repr(caught.value)
    assert "2001" in text and "no files" in text
    assert "tok-SECRET-123" not in text and CID not in text


async def test_idempotent_get_is_retried_on_503_and_connection_error(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    url = f"{API}/password"
    mocked.get(url, status=503)
    mocked.get(url, exception=aiohttp.ClientConnectionError("reset"))
    mocked.get(url, payload={"data": {"password": "ok"}})
    assert await client.generate_password() == "ok"
    assert len(calls(mocked, "GET", url)) == 3


async def test_retries_give_up_after_max_attempts(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    url = f"{API}/password"
    mocked.get(url, status=502, body="<html>Bad Gateway</html>", repeat=True)
    with pytest.raises(ServerError, match="Bad Gateway"):
        await client.generate_password()
    assert len(calls(mocked, "GET", url)) == 3
    mocked.get(
        f"{API}/password/requirements", exception=aiohttp.ClientConnectionError("x"), repeat=True
    )
    with pytest.raises(TransportError):
        await client.password_requirements()


async def test_non_idempotent_post_is_not_retried(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    sender = await verified(client, mocked)
    url = f"{API}/users/{ALICE_PATH}/transfer-sessions"
    mocked.post(url, status=503, repeat=True)
    with pytest.raises(ServerError):
        await sender.create_session(to=["bob@example.org"], name="A", phone="1")
    assert len(calls(mocked, "POST", url)) == 1


async def test_rejected_token_is_refreshed_once(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    token_url = f"{API}/users/{ALICE_PATH}/verification/token"
    mocked.post(token_url, payload={"data": {"token": "old", "validUntil": VALID_UNTIL}})
    mocked.post(token_url, payload={"data": {"token": "new", "validUntil": VALID_UNTIL}})
    url = f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}"
    mocked.get(url, status=403, payload={"errorCode": 3002, "errorMessage": "invalid"})
    mocked.get(url, payload={"data": SESSION_JSON})
    sender = client.sender(ALICE)
    await sender.resume_session(TID).state()
    tokens = [c.kwargs["headers"]["X-CS-VerificationToken"] for c in calls(mocked, "GET", url)]
    assert tokens == ["old", "new"]


async def test_without_auto_verify_a_missing_token_explains_and_sends_nothing(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    sender = client.sender(ALICE, auto_verify=False)
    with pytest.raises(VerificationError, match="request_email_code"):
        await sender.resume_session(TID).state()
    assert not mocked.requests


async def test_concurrent_tasks_share_one_token_request(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    token_reply(mocked, "shared", repeat=True)
    url = f"{API}/users/{ALICE_PATH}/transfer-sessions"
    mocked.post(url, status=201, headers={"Location": f"{url}/{TID}"}, repeat=True)
    senders = [client.sender(ALICE) for _ in range(10)]
    await asyncio.gather(
        *(s.create_session(to=["bob@example.org"], name="A", phone="1") for s in senders)
    )
    assert len(calls(mocked, "POST", f"{API}/users/{ALICE_PATH}/verification/token")) == 1
    assert {c.kwargs["headers"]["X-CS-VerificationToken"] for c in calls(mocked, "POST", url)} == {
        "shared"
    }


async def test_expired_token_is_fetched_again(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    token_url = f"{API}/users/{ALICE_PATH}/verification/token"
    mocked.post(token_url, payload={"data": {"token": "short", "validUntil": soon}})
    mocked.post(token_url, payload={"data": {"token": "long", "validUntil": VALID_UNTIL}})
    mocked.get(f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}", payload={"data": SESSION_JSON})
    sender = client.sender(ALICE)
    await sender.verify_with_client_id()
    await sender.resume_session(TID).state()
    headers = only_call(mocked, "GET", f"{API}/users/{ALICE_PATH}/transfer-sessions/{TID}")[
        "headers"
    ]
    assert headers["X-CS-VerificationToken"] == "long"


def test_pattern_helpers_are_exact() -> None:
    assert re.fullmatch(r"[A-Za-z0-9]{60}", CID)

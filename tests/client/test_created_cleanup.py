"""A ``201`` whose id is unusable: the resource is deleted, or the error says orphan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

from cryptshare_async import CryptshareClient, ResponseParseError, RetryPolicy

BASE = "https://share.example.com"
USER = f"{BASE}/api/users/alice@example.com"
CID = "Q" * 60
TID = "20240522-065711-H8UoUSI6"
SESSIONS = f"{USER}/transfer-sessions"
FILES = f"{SESSIONS}/{TID}/files"
BAD_LOCATIONS = [
    f"{SESSIONS}/..",
    f"{SESSIONS}/",
    "https://evil.example/api/users/alice@example.com/transfer-sessions/X1",
    f"{SESSIONS}/" + "x" * 3000,
]


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as m:
        m.post(
            f"{USER}/verification/token",
            payload={"data": {"token": "tok-1", "validUntil": "2099-01-01T00:00:00+00:00"}},
            repeat=True,
        )
        yield m


@pytest.fixture
async def client() -> AsyncIterator[CryptshareClient]:
    retry = RetryPolicy(backoff_base=0.001, backoff_max=0.002)
    async with CryptshareClient(BASE, client_id=CID, retry=retry) as c:
        yield c


def calls(m: aioresponses, method: str, url: str) -> list[Any]:
    return m.requests.get((method, URL(url)), [])


async def create(client: CryptshareClient) -> Any:
    return await client.sender("alice@example.com").create_session(
        to=["bob@example.org"], name="A", phone="1"
    )


@pytest.mark.parametrize("location", BAD_LOCATIONS)
async def test_create_with_a_bad_location_but_a_body_id_deletes_the_session(
    client: CryptshareClient, mocked: aioresponses, location: str
) -> None:
    mocked.post(
        SESSIONS, status=201, headers={"Location": location}, payload={"data": {"trackingId": "X1"}}
    )
    mocked.delete(f"{SESSIONS}/X1", status=204)
    with pytest.raises(ResponseParseError, match="it created was deleted"):
        await create(client)
    assert len(calls(mocked, "DELETE", f"{SESSIONS}/X1")) == 1


@pytest.mark.parametrize("location", BAD_LOCATIONS)
async def test_create_with_a_bad_location_and_nothing_else_says_orphan(
    client: CryptshareClient,
    mocked: aioresponses,
    location: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mocked.post(SESSIONS, status=201, headers={"Location": location})
    with (
        caplog.at_level(logging.WARNING, "cryptshare_async"),
        pytest.raises(ResponseParseError, match="may hold an orphan transfer session"),
    ):
        await create(client)
    assert not [key for key in mocked.requests if key[0] == "DELETE"]
    assert "orphan transfer session" in caplog.text
    assert CID not in caplog.text and "tok-1" not in caplog.text


async def test_create_whose_clean_up_fails_says_so(
    client: CryptshareClient, mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.post(
        SESSIONS, status=201, headers={"Location": ".."}, payload={"data": {"trackingId": "X1"}}
    )
    mocked.delete(f"{SESSIONS}/X1", status=500)
    with (
        caplog.at_level(logging.WARNING, "cryptshare_async"),
        pytest.raises(ResponseParseError, match=r"deleting .* failed \(ServerError\)"),
    ):
        await create(client)
    assert "orphan transfer session" in caplog.text


@pytest.mark.parametrize(
    "location", [f"{FILES}/..", f"{FILES}/", f"{SESSIONS}/{TID}/F1", "files/a%2Fb"]
)
async def test_register_with_a_bad_location_removes_the_file_named_in_the_body(
    client: CryptshareClient, mocked: aioresponses, location: str
) -> None:
    mocked.post(
        FILES, status=201, headers={"Location": location}, payload={"data": {"fileId": "F1"}}
    )
    mocked.delete(f"{FILES}/F1", status=204)
    session = client.sender("alice@example.com").resume_session(TID)
    with pytest.raises(ResponseParseError, match="file registration it created was deleted"):
        await session.register_file("a.txt", 1)
    assert len(calls(mocked, "DELETE", f"{FILES}/F1")) == 1


async def test_register_whose_body_and_location_disagree_removes_the_located_file(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    mocked.post(
        FILES, status=201, headers={"Location": f"{FILES}/F1"}, payload={"data": {"fileId": "F2"}}
    )
    mocked.delete(f"{FILES}/F1", status=204)
    session = client.sender("alice@example.com").resume_session(TID)
    with pytest.raises(ResponseParseError, match="twice"):
        await session.register_file("a.txt", 1)
    assert len(calls(mocked, "DELETE", f"{FILES}/F1")) == 1


@pytest.mark.parametrize(
    "location",
    [f"{USER}/transfers/..", f"{USER}/transfers/", f"{SESSIONS}/{TID}", f"{USER}/transfers/a b"],
)
async def test_finalize_with_a_bad_location_says_the_transfer_exists(
    client: CryptshareClient, mocked: aioresponses, location: str
) -> None:
    mocked.post(f"{SESSIONS}/{TID}", status=201, headers={"Location": location})
    session = client.sender("alice@example.com").resume_session(TID)
    with pytest.raises(ResponseParseError, match="finalized, so the transfer exists"):
        await session.finalize()
    with pytest.raises(Exception, match="already finalized"):
        await session.finalize()
    assert not [key for key in mocked.requests if key[0] == "DELETE"]


async def test_finalize_accepts_the_transfer_location(
    client: CryptshareClient, mocked: aioresponses
) -> None:
    mocked.post(f"{SESSIONS}/{TID}", status=201, headers={"Location": f"{USER}/transfers/{TID}"})
    transfer = await client.sender("alice@example.com").resume_session(TID).finalize()
    assert transfer.tracking_id == TID

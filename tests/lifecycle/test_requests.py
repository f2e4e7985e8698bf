"""Exact requests and headers of the lifecycle endpoints (aioresponses, no server)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

from cryptshare_async import (
    ApiVersionUnsupportedError,
    CryptshareClient,
    ResponseParseError,
    TransferState,
    WrongPasswordError,
)
from cryptshare_async._fields import Fields
from cryptshare_async._sender import Sender
from cryptshare_async._tokens import StoredToken

BASE = "https://share.example.com"
API = BASE + "/api"
CID = "Q" * 24 + "w" * 24 + "7" * 12
ALICE = "alice+tag@example.com"
ALICE_PATH = "alice%2Btag@example.com"
TID = "20240522-065711-H8UoUSI6"
TOKEN = "tok-secret-1"


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client() -> AsyncIterator[CryptshareClient]:
    async with CryptshareClient(BASE, client_id=CID) as c:
        yield c


@pytest.fixture
async def alice(client: CryptshareClient) -> Sender:
    await client._tokens.save(client.token_key(ALICE), StoredToken(token=TOKEN))
    return client.sender(ALICE)


def sent_requests(m: aioresponses, method: str) -> list[tuple[URL, dict[str, Any]]]:
    return [
        (url, call.kwargs)
        for (verb, url), calls in m.requests.items()
        if verb == method
        for call in calls
    ]


def api_headers(kwargs: dict[str, Any]) -> dict[str, str]:
    """The API's own headers of a request (the User-Agent is the transport's business)."""
    return {
        k: v
        for k, v in kwargs["headers"].items()
        if k.startswith("X-CS-") or k == "Accept-Language"
    }


def expected_headers(
    minor: str, *, token: bool = True, extra: dict[str, str] | None = None
) -> dict[str, str]:
    headers = {
        "X-CS-MajorApiVersion": "1",
        "X-CS-MinimumMinorApiVersion": minor,
        "X-CS-ClientId": CID,
        "X-CS-ProductKey": "api.rest",
    }
    if token:
        headers["X-CS-VerificationToken"] = TOKEN
    headers.update(extra or {})
    return headers


STATUS_BODY = {
    "data": {
        "transfer": {"files": [{"id": "f1", "fileName": "a.pdf", "size": 3}]},
        "status": {
            "state": "FAILED",
            "warnings": True,
            "emlCreationFailed": False,
            "sender": {"email": ALICE, "notificationFailed": False},
            "files": [{"id": "f1", "removed": True, "removalCause": "Virus gefunden"}],
            "recipients": [
                {
                    "id": "r1",
                    "mail": "bob@example.org",
                    "downloadUrl": "https://share.example.com/download?id=r1",
                    "notificationFailed": True,
                    "fileDownloads": [
                        {
                            "id": "f1",
                            "downloads": [
                                {
                                    "downloadDate": "2024-05-22T07:00:00+02:00",
                                    "retrievalMethod": "VIEWED",
                                }
                            ],
                        }
                    ],
                }
            ],
        },
    },
    "meta": {},
}


async def test_status_request_and_localised_reading(mocked: aioresponses, alice: Sender) -> None:
    mocked.get(f"{API}/users/{ALICE_PATH}/transfers/{TID}", payload=STATUS_BODY)
    status = await alice.transfer(TID).status(language="de-DE")
    ((url, kwargs),) = sent_requests(mocked, "GET")
    assert str(url) == f"{API}/users/{ALICE_PATH}/transfers/{TID}"
    assert api_headers(kwargs) == expected_headers("8", extra={"Accept-Language": "de-DE"})
    assert kwargs.get("json") is None
    assert status.state is TransferState.FAILED
    assert status.removed_files[0].removal_cause == "Virus gefunden"
    recipient = status.status.recipients[0]  # type: ignore[union-attr,index]
    assert recipient.notification_failed is True
    download = recipient.file_downloads[0].downloads[0]  # type: ignore[index]
    assert download.retrieval_method.value == "VIEWED"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kwargs", "options", "language"),
    [
        ({}, {"notifySender": True, "notifyRecipients": True}, None),
        (
            {"notify_sender": False, "message": "Wrong **file**", "language": "fr"},
            {"notifySender": False, "notifyRecipients": True, "message": "Wrong **file**"},
            "fr",
        ),
        ({"notify_recipients": False}, {"notifySender": True, "notifyRecipients": False}, None),
    ],
)
async def test_revocation_request(
    mocked: aioresponses,
    alice: Sender,
    kwargs: dict[str, Any],
    options: dict[str, Any],
    language: str | None,
) -> None:
    mocked.patch(f"{API}/users/{ALICE_PATH}/transfers/{TID}", status=204)
    await alice.transfer(TID).revoke(**kwargs)
    ((url, sent),) = sent_requests(mocked, "PATCH")
    assert str(url) == f"{API}/users/{ALICE_PATH}/transfers/{TID}"
    extra = {"Accept-Language": language} if language else {}
    assert api_headers(sent) == expected_headers("10", extra=extra)
    assert sent["json"] == {
        "status": {"state": "DELETED_BY_REVOCATION"},
        "revocationOptions": options,
    }
    assert list(sent["json"]) == ["status", "revocationOptions"]


async def test_revocation_on_a_server_without_api_1_10(mocked: aioresponses, alice: Sender) -> None:
    mocked.patch(
        f"{API}/users/{ALICE_PATH}/transfers/{TID}",
        status=404,
        payload={"errorCode": 2004, "errorMessage": "API version not supported"},
    )
    with pytest.raises(ApiVersionUnsupportedError) as caught:
        await alice.transfer(TID).revoke()
    assert not getattr(caught.value, "__notes__", [])
    assert TOKEN not in str(caught.value)


def page(count: int, start: int = 0) -> dict[str, Any]:
    return {
        "data": [
            {"trackingId": f"t{start + i}", "status": {"state": "ACTIVE"}} for i in range(count)
        ],
        "meta": {},
    }


@pytest.mark.parametrize("direction", ["sent", "received"])
async def test_polling_requests_keep_every_filter_on_every_page(
    mocked: aioresponses, alice: Sender, direction: str
) -> None:
    fields = "trackingId, status(state), transfer(expirationDate, recipients(to, cc))"
    base = f"{API}/users/{ALICE_PATH}/transfers/{direction}-transfers"
    for number, count in ((1, 2), (2, 2), (3, 1)):
        query = {"page": str(number), "page-size": "2", "active": "false", "fields": fields}
        mocked.get(URL(base).with_query(query), payload=page(count, 2 * (number - 1)))
    listing = getattr(alice, f"{direction}_transfers")(
        active=False,
        page_size=2,
        fields=Fields(
            "tracking_id",
            status=["state"],
            transfer=Fields("expiration_date", recipients=["to", "cc"]),
        ),
    )
    items = await listing.collect()
    assert [i.tracking_id for i in items] == ["t0", "t1", "t2", "t3", "t4"]
    calls = sent_requests(mocked, "GET")
    assert len(calls) == 3
    for number, (url, kwargs) in enumerate(calls, start=1):
        assert url.path == f"/api/users/{ALICE}/transfers/{direction}-transfers"
        assert url.raw_path == f"/api/users/{ALICE_PATH}/transfers/{direction}-transfers"
        # aioresponses sorts the query; the set of pairs is what matters.
        assert sorted(url.query.items()) == sorted(
            [("page", str(number)), ("page-size", "2"), ("active", "false"), ("fields", fields)]
        )
        assert api_headers(kwargs) == expected_headers("12")


async def test_polling_without_filters_sends_only_paging(
    mocked: aioresponses, alice: Sender
) -> None:
    base = f"{API}/users/{ALICE_PATH}/transfers/sent-transfers"
    mocked.get(URL(base).with_query({"page": 1, "page-size": 100}), payload=page(0))
    assert await alice.sent_transfers().collect() == []
    ((url, _),) = sent_requests(mocked, "GET")
    assert dict(url.query) == {"page": "1", "page-size": "100"}


async def test_polling_answer_that_is_not_a_list(mocked: aioresponses, alice: Sender) -> None:
    base = f"{API}/users/{ALICE_PATH}/transfers/sent-transfers"
    mocked.get(URL(base).with_query({"page": 1, "page-size": 100}), payload={"data": {}})
    with pytest.raises(ResponseParseError, match="list"):
        await alice.sent_transfers().collect()


async def test_legacy_list_request(mocked: aioresponses, alice: Sender) -> None:
    base = f"{API}/users/{ALICE_PATH}/transfers"
    body = {
        "data": [
            {
                "trackingId": "t1",
                "state": "pending",
                "recipients": [{"mail": "b@example.org", "id": "r1"}],
                "href": f"{base}/t1",
            }
        ],
        "meta": {},
    }
    mocked.get(URL(base).with_query({"page": 4, "page-size": 3}), payload=body)
    with pytest.warns(DeprecationWarning, match="deprecates"):
        listing = alice.legacy_transfers(page_size=3, start_page=4)
    (item,) = await listing.collect()
    assert item.state is TransferState.PENDING
    ((url, kwargs),) = sent_requests(mocked, "GET")
    assert sorted(url.query.items()) == [("page", "4"), ("page-size", "3")]
    assert api_headers(kwargs) == expected_headers("8")


async def test_recipient_requests_carry_the_password_not_the_token(
    mocked: aioresponses, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    content = b"file content"
    base = f"{API}/transfers/rcpt123456"
    mocked.get(base, payload={"data": {"checksumAlgorithm": "SHA256", "totalSize": 12}})
    mocked.get(
        base + "/files",
        payload={
            "data": [
                {
                    "id": "f1",
                    "fileName": "../../../../tmp/evil.sh",
                    "size": len(content),
                    "checksum": hashlib.sha256(content).hexdigest().upper(),
                    "href": base + "/files/f1",
                }
            ]
        },
    )
    mocked.get(base + "/files/f1", body=content, content_type="application/octet-stream")
    incoming = client.recipient_transfer("rcpt123456", password="a b+c/ü")
    (path,) = await incoming.download_all(tmp_path)
    assert path == tmp_path / "evil.sh"
    assert path.read_bytes() == content
    calls = sent_requests(mocked, "GET")
    assert [str(url) for url, _ in calls] == [base + "/files", base, base + "/files/f1"]
    for _, kwargs in calls:
        assert api_headers(kwargs) == expected_headers(
            "8", token=False, extra={"X-CS-Password": "a%20b%2Bc%2F%C3%BC"}
        )


async def test_recipient_wrong_password_maps_to_its_error(
    mocked: aioresponses, client: CryptshareClient
) -> None:
    mocked.get(
        f"{API}/transfers/rcpt123456",
        status=401,
        payload={"errorCode": 3003, "errorMessage": "wrong password"},
    )
    incoming = client.recipient_transfer("rcpt123456", password="guess")
    with pytest.raises(WrongPasswordError) as caught:
        await incoming.info()
    assert "guess" not in str(caught.value)
    assert "guess" not in repr(incoming)

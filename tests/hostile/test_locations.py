"""Lying Locations over the wire: each bad form, for create, register and finalize.

A ``201`` whose Location cannot be used leaves something on the server: when the body
names it, the client deletes it (the peer records the DELETE); when nothing names it,
the error says that an orphan may be left. Finalize never deletes: the transfer exists.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import pytest

from cryptshare_async import CryptshareClient, ResponseParseError

from .checks import CLIENT_ID, TOKEN, assert_typed_and_clean
from .conftest import SENDER, Connect
from .server import Reply, Seen, http

TID = "20240522-065711-H8UoUSI6"
USER = f"/api/users/{SENDER}"
SESSIONS = f"{USER}/transfer-sessions"
FILES = f"{SESSIONS}/{TID}/files"
TRANSFERS = f"{USER}/transfers"


def bad_locations(collection: str, origin: str) -> dict[str, str]:
    parent = collection.rsplit("/", 1)[0]
    return {
        "dot-dot": f"{collection}/..",
        "dot": f"{collection}/.",
        "encoded-dot-dot": f"{collection}/%2E%2E",
        "trailing-slash-only": f"{collection}/",
        "the-collection": collection,
        "empty-segment": f"{collection}//X1",
        "two-segments": f"{collection}/X1/extra",
        "encoded-slash": f"{collection}/a%2Fb",
        "space": f"{collection}/a%20b",
        "dot-segment-inside": f"{collection}/z/../X1",
        "parent-collection": f"{parent}/X1",
        "other-user": f"/api/users/mallory@example.com/{collection.rsplit('/', 1)[1]}/X1",
        "other-host": f"https://evil.example{collection}/X1",
        "user-info": f"{origin.replace('//', '//user:pw@')}{collection}/X1",
        "not-http": f"ftp://127.0.0.1{collection}/X1",
        "too-long-id": f"{collection}/" + "x" * 201,
        "too-long-location": f"{collection}/X1?" + "q" * 5000,
        "bare-id": "X1",
        "empty": "",
        "echoes-secrets": f"{collection}/{CLIENT_ID}/{TOKEN}/..",
    }


CREATE_FORMS = list(bad_locations(SESSIONS, "http://127.0.0.1"))


def created(location: str, body: dict[str, object] | None) -> Reply:
    raw = json.dumps(body).encode() if body is not None else b""
    return http("201 Created", raw, {"Location": location})


def route(first: Callable[[str], Reply], origin_holder: list[str]) -> Callable[[Seen], Reply]:
    def pick(seen: Seen) -> Reply:
        if seen.method == "DELETE":
            return http("204 No Content")
        return first(origin_holder[0])

    return pick


Operation = Callable[[CryptshareClient], Awaitable[object]]


async def create(client: CryptshareClient) -> object:
    return await client.sender(SENDER).create_session(to=["bob@example.org"], name="A", phone="1")


async def register(client: CryptshareClient) -> object:
    return await client.sender(SENDER).resume_session(TID).register_file("a.txt", 3)


async def finalize(client: CryptshareClient) -> object:
    return await client.sender(SENDER).resume_session(TID).finalize()


KINDS: dict[str, tuple[str, Operation, str, str]] = {
    # name: (collection, operation, body key, where the clean-up DELETE goes)
    "create": (SESSIONS, create, "trackingId", f"{SESSIONS}/X9"),
    "register": (FILES, register, "fileId", f"{FILES}/X9"),
    "finalize": (TRANSFERS, finalize, "trackingId", ""),
}


async def run(
    connect: Connect, kind: str, form: str, with_body: bool, caplog: pytest.LogCaptureFixture
) -> None:
    collection, operation, key, delete_path = KINDS[kind]
    origin: list[str] = [""]

    def reply(current_origin: str) -> Reply:
        location = bad_locations(collection, current_origin)[form]
        return created(location, {"data": {key: "X9"}} if with_body else None)

    async with connect(route(reply, origin), read=10.0) as (server, client):
        origin[0] = server.url
        with (
            caplog.at_level(logging.WARNING, "cryptshare_async"),
            pytest.raises(ResponseParseError) as caught,
        ):
            await operation(client)
    error = caught.value
    assert_typed_and_clean(error)
    for secret in (CLIENT_ID, TOKEN):
        assert secret not in caplog.text
    deletes = [seen.path for seen in server.requests("DELETE")]
    text = str(error)
    if kind == "finalize":
        assert deletes == []
        assert "finalized, so the transfer exists" in text
    elif with_body:
        assert deletes == [quote(delete_path, safe="/@")]
        assert "it created was deleted" in text
    else:
        assert deletes == []
        assert "may hold an orphan" in text
        assert "orphan" in caplog.text


@pytest.mark.parametrize("form", CREATE_FORMS)
@pytest.mark.parametrize("with_body", [True, False], ids=["body-names-it", "nothing-names-it"])
@pytest.mark.parametrize("kind", ["create", "register"])
async def test_an_unusable_location_deletes_or_reports_the_orphan(
    connect: Connect, caplog: pytest.LogCaptureFixture, kind: str, with_body: bool, form: str
) -> None:
    await run(connect, kind, form, with_body, caplog)


@pytest.mark.parametrize("form", CREATE_FORMS)
async def test_an_unusable_finalize_location_says_the_transfer_exists(
    connect: Connect, caplog: pytest.LogCaptureFixture, form: str
) -> None:
    await run(connect, "finalize", form, True, caplog)


@pytest.mark.parametrize("kind", ["create", "register", "finalize"])
async def test_a_good_location_over_the_wire_is_accepted(connect: Connect, kind: str) -> None:
    collection, operation, _key, _ = KINDS[kind]
    origin: list[str] = [""]

    def reply(current_origin: str) -> Reply:
        return created(f"{current_origin}{collection}/X1", None)

    async with connect(route(reply, origin), read=10.0) as (server, client):
        origin[0] = server.url
        result = await operation(client)
    assert "X1" in (result if isinstance(result, str) else repr(result))
    assert server.requests("DELETE") == []

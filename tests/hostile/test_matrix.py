"""The hostile-server matrix: every broken answer, for every operation, gives a typed
error that carries no secret, and leaves nothing half-done behind.

Each case is one operation against a raw peer that answers its request with a
scripted byte sequence. The client's read timeout is small, so stalls end quickly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from cryptshare_async import CryptshareClient, CryptshareError
from cryptshare_async._models import TransferFile

from .checks import PASSWORD, assert_typed_and_clean
from .conftest import SENDER, Connect
from .server import (
    Reply,
    Seen,
    deflate_bomb,
    drip,
    gzip_bomb,
    head,
    http,
    raw,
    reset_after,
    stall_after,
)

TID = "20240522-065711-H8UoUSI6"
ANNOUNCED = 10
BOMB = 2 * 1024 * 1024
HUGE = 1024 * 1024
DEEP = 100_000

Operation = Callable[[CryptshareClient, Path], Awaitable[object]]


async def verification_status(client: CryptshareClient, folder: Path) -> object:
    return await client.sender(SENDER).verification_status()


async def create_session(client: CryptshareClient, folder: Path) -> object:
    return await client.sender(SENDER).create_session(to=["bob@example.org"], name="A", phone="1")


async def register_file(client: CryptshareClient, folder: Path) -> object:
    return await client.sender(SENDER).resume_session(TID).register_file("a.txt", 3)


async def upload_content(client: CryptshareClient, folder: Path) -> object:
    session = client.sender(SENDER).resume_session(TID)
    return await session.upload_content("F1", b"abc", algorithm="SHA-256")


async def finalize(client: CryptshareClient, folder: Path) -> object:
    return await client.sender(SENDER).resume_session(TID).finalize()


async def transfer_status(client: CryptshareClient, folder: Path) -> object:
    return await client.sender(SENDER).transfer(TID).status()


async def listing(client: CryptshareClient, folder: Path) -> object:
    return await client.sender(SENDER).sent_transfers(limit=5).collect()


async def recipient_info(client: CryptshareClient, folder: Path) -> object:
    return await client.recipient_transfer("R1", password=PASSWORD).info()


async def recipient_files(client: CryptshareClient, folder: Path) -> object:
    return await client.recipient_transfer("R1", password=PASSWORD).files()


async def download(client: CryptshareClient, folder: Path) -> object:
    file = TransferFile(id="F1", file_name="a.bin", size=ANNOUNCED)
    return await client.recipient_transfer("R1", password=PASSWORD).download(file, folder)


OPERATIONS: dict[str, Operation] = {
    "verification-status": verification_status,
    "create-session": create_session,
    "register-file": register_file,
    "upload-content": upload_content,
    "finalize": finalize,
    "transfer-status": transfer_status,
    "listing": listing,
    "recipient-info": recipient_info,
    "recipient-files": recipient_files,
    "download": download,
}
# Operations that read the answer's body (or headers beyond the status).
READS_BODY = [name for name in OPERATIONS if name != "upload-content"]

JSON = {"Content-Type": "application/json"}
CHUNKED = {"Transfer-Encoding": "chunked"}

# Answers that are not usable HTTP, or are error statuses: every operation must fail.
BROKEN: dict[str, Reply] = {
    "status-not-a-number": raw(b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n"),
    "not-http": raw(b"SSH-2.0-OpenSSH_9.6\r\n"),
    "binary-garbage": raw(b"\x00\x00\x12\x04\x00\x00\x00\x00\x00" * 20),
    "nothing": raw(b""),
    "status-only-then-close": raw(b"HTTP/1.1 200 OK\r\n"),
    "continue-then-close": raw(b"HTTP/1.1 100 Continue\r\n\r\n"),
    "header-without-colon": raw(b"HTTP/1.1 200 OK\r\nNoColonHere\r\nContent-Length: 0\r\n\r\n"),
    "header-oversized": raw(head("200 OK", {"X-Big": "a" * 70_000, "Content-Length": "0"})),
    "too-many-headers": raw(
        head("503 Busy", [(f"X-H{i}", "v") for i in range(5_000)] + [("Content-Length", "0")])
    ),
    "nul-in-header": raw(b"HTTP/1.1 500 Oops\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n"),
    "status-999": http("999 Whatever"),
    "redirect-elsewhere": http("302 Found", headers={"Location": "http://evil.example/x"}),
    "reset-at-once": reset_after(b""),
    "reset-after-status": reset_after(b"HTTP/1.1 200 OK\r\n"),
    "reset-mid-headers": reset_after(b"HTTP/1.1 200 OK\r\nContent-Type: appl"),
    "reset-mid-body": reset_after(head("200 OK", {"Content-Length": "100"}) + b'{"data": '),
    "bad-chunk-size": raw(head("200 OK", CHUNKED) + b"zz\r\nabc\r\n0\r\n\r\n"),
    "chunked-cut-off": raw(head("200 OK", CHUNKED) + b'5\r\n{"dat'),
    "length-longer-than-body": raw(head("200 OK", {"Content-Length": "1000"}) + b'{"data": {}}'),
    "length-negative": raw(head("200 OK", {"Content-Length": "-5"}) + b"{}"),
    "length-not-a-number": raw(head("200 OK", {"Content-Length": "ten"}) + b"{}"),
    "length-twice-differing": raw(
        head("200 OK", [("Content-Length", "2"), ("Content-Length", "20")]) + b"{}"
    ),
    "length-and-chunked": raw(
        head("200 OK", {"Content-Length": "3", **CHUNKED}) + b"zz\r\n{}\r\n0\r\n\r\n"
    ),
    "bad-gzip": raw(head("200 OK", {"Content-Encoding": "gzip"}) + b"not gzip at all"),
    "deep-json-404": http("404 Not Found", b"[" * DEEP, JSON),
    "deep-json-503": http("503 Busy", b'{"errorCode": ' + b"[" * DEEP, JSON),
    "huge-json-500": http(
        "500 Oops", json.dumps({"errorCode": 5000, "errorMessage": "x" * HUGE}).encode(), JSON
    ),
    "gzip-bomb-503": http("503 Busy", gzip_bomb(BOMB), {"Content-Encoding": "gzip"}),
    "html-502": http(
        "502 Bad Gateway", b"<html><h1>Bad gateway</h1></html>", {"Content-Type": "text/html"}
    ),
    "stall-before-status": stall_after(b""),
    "stall-after-headers": stall_after(head("200 OK", {"Content-Length": "20"})),
    "drip-slower-than-timeout": drip(head("200 OK", {"Content-Length": "20"}), every=0.5, step=8),
}

# Answers with a success status but a body that is not what the API sends: every
# operation that reads the body must fail.
BAD_BODY: dict[str, Reply] = {
    "html-200": http("200 OK", b"<html><body>hello</body></html>", {"Content-Type": "text/html"}),
    "empty-200": http("200 OK", b""),
    "no-content-204": http("204 No Content"),
    "json-null": http("200 OK", b"null", JSON),
    "json-data-number": http("200 OK", b'{"data": 5}', JSON),
    "truncated-json": http("200 OK", b'{"data": {"verified": tr', JSON),
    "length-shorter-than-body": raw(
        head("200 OK", {"Content-Length": "5", **JSON}) + b'{"data": {}}'
    ),
    "deep-json-200": http("200 OK", b"[" * DEEP, JSON),
    "deep-data-200": http("200 OK", b'{"data": ' + b"[" * DEEP + b"]" * DEEP + b"}", JSON),
    "huge-json-200": http("200 OK", json.dumps({"data": "x" * HUGE}).encode(), JSON),
    "gzip-bomb-200": http("200 OK", gzip_bomb(BOMB), {"Content-Encoding": "gzip", **JSON}),
    "deflate-bomb-200": http("200 OK", deflate_bomb(BOMB), {"Content-Encoding": "deflate", **JSON}),
    "drip-body": drip(
        head("200 OK", {"Content-Length": "12", **JSON}) + b'{"data": {}}', every=0.5, step=6
    ),
}  # fmt: skip


def answering(reply: Reply) -> Callable[[Seen], Reply]:
    """Every request gets ``reply``, except clean-up DELETEs, which succeed."""

    def route(seen: Seen) -> Reply:
        return http("204 No Content") if seen.method == "DELETE" else reply

    return route


async def run_case(
    connect: Connect, operation: str, reply: Reply, request: pytest.FixtureRequest
) -> None:
    # Only downloads write files; a temporary directory per case costs time.
    folder: Path = request.getfixturevalue("tmp_path") if operation == "download" else Path("-")
    async with connect(answering(reply)) as (server, _client):
        with pytest.raises(CryptshareError) as caught:
            await OPERATIONS[operation](_client, folder)
    assert_typed_and_clean(caught.value)
    assert len(str(caught.value)) < 2000, str(caught.value)[:300]
    if operation == "download":
        assert os.listdir(folder) == []  # no file, no temporary file
    deletes = server.requests("DELETE")
    # A DELETE only ever follows a 201 whose id was recovered from elsewhere (below).
    assert deletes == [], [d.path for d in deletes]


@pytest.mark.parametrize("case", BROKEN)
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_broken_answers(
    connect: Connect, request: pytest.FixtureRequest, operation: str, case: str
) -> None:
    await run_case(connect, operation, BROKEN[case], request)


@pytest.mark.parametrize("case", BAD_BODY)
@pytest.mark.parametrize("operation", READS_BODY)
async def test_bad_bodies(
    connect: Connect, request: pytest.FixtureRequest, operation: str, case: str
) -> None:
    await run_case(connect, operation, BAD_BODY[case], request)


SESSION_STATE = {"data": {"fileChecksumAlgorithm": "SHA256", "files": []}, "meta": {}}
FILES = f"/api/users/{SENDER}/transfer-sessions/{TID}/files"


def upload_route(reply: Reply) -> Callable[[Seen], Reply]:
    """Healthy answers to the session read and the registration; ``reply`` to the PUT."""

    def route(seen: Seen) -> Reply:
        if seen.method == "GET":
            return http("200 OK", json.dumps(SESSION_STATE).encode(), JSON)
        if seen.method == "POST":
            body = json.dumps({"data": {"fileId": "F1"}}).encode()
            return http("201 Created", body, {**JSON, "Location": f"{FILES}/F1"})
        if seen.method == "DELETE":
            return http("204 No Content")
        return reply

    return route


@pytest.mark.parametrize("case", BROKEN)
async def test_broken_answers_to_an_upload_remove_the_registered_file(
    connect: Connect, case: str
) -> None:
    async with connect(upload_route(BROKEN[case])) as (server, client):
        session = client.sender(SENDER).resume_session(TID)
        with pytest.raises(CryptshareError) as caught:
            await session.upload(b"abc", file_name="a.txt")
    assert_typed_and_clean(caught.value)
    assert len(str(caught.value)) < 2000
    assert [seen.path for seen in server.requests("DELETE")] == [f"{FILES}/F1"]
    assert server.requests("PUT")  # the failure came from the content, after registering

"""What actually reaches the socket: paths, headers and bodies as a real server sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from cryptshare_async import CryptshareClient, generate_client_id

CID = generate_client_id()


@pytest.fixture
async def server() -> AsyncIterator[tuple[TestServer, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append(
            {
                "method": request.method,
                "raw_path": request.raw_path,
                "headers": dict(request.headers),
                "body": await request.read(),
            }
        )
        if request.path.endswith("/verification/token"):
            return web.json_response({"data": {"token": "t0k", "validUntil": None}, "meta": {}})
        if request.method == "POST":
            return web.Response(status=201, headers={"Location": "transfer-sessions/T-1"})
        return web.json_response({"data": {}, "meta": {}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    async with TestServer(app, host="127.0.0.1") as srv:
        yield srv, seen


async def test_email_path_encoding_survives_to_the_server(
    server: tuple[TestServer, list[dict[str, Any]]],
) -> None:
    srv, seen = server
    async with CryptshareClient(str(srv.make_url("/")), client_id=CID) as client:
        sender = client.sender("Jörg.Smith+Tag@Example.COM")
        session = await sender.create_session(to=["bob@example.org"], name="J", phone="1")
        assert session.tracking_id == "T-1"
    token_call, create_call = seen
    assert (
        token_call["raw_path"] == "/api/users/J%C3%B6rg.Smith%2BTag@Example.COM/verification/token"
    )
    assert (
        create_call["raw_path"] == "/api/users/J%C3%B6rg.Smith%2BTag@Example.COM/transfer-sessions"
    )
    assert create_call["headers"]["X-CS-VerificationToken"] == "t0k"
    assert create_call["headers"]["X-CS-ClientId"] == CID
    assert create_call["headers"]["Content-Type"] == "application/json"


async def test_base_url_prefix_is_kept(server: tuple[TestServer, list[dict[str, Any]]]) -> None:
    srv, seen = server
    async with CryptshareClient(str(srv.make_url("/cryptshare/")), client_id=CID) as client:
        await client.server_status()
    assert seen[0]["raw_path"] == "/cryptshare/api/status"

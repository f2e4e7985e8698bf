"""The emulator serves every row of the endpoint table (no row answers "no such endpoint")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cryptshare_async import CryptshareClient
from cryptshare_async import _endpoints as api
from cryptshare_async._protocol import ApiRequest, ApiResponse, TokenUse
from cryptshare_async._sender import Sender
from cryptshare_async.testing import Emulator

from .conftest import ALICE

VALUES = {
    "email": ALICE,
    "tracking_id": "20240522-065711-H8UoUSI6",
    "file_id": "a58dFp1Tr7",
    "transfer_id": "x7Hk2pQr9a",
    "product_key": "api.rest",
    "pack_id": "en-US_2",
    "file_path": "texts/messages.json",
}
BODIES: dict[str, Any] = {"add_logs": [], "request_token": {}, "validate_password": {}}


def _error_code(response: ApiResponse) -> int | None:
    try:
        document = json.loads(response.body)
    except ValueError:
        return None
    return document.get("errorCode") if isinstance(document, dict) else None


async def _send(client: CryptshareClient, alice: Sender, request: ApiRequest) -> ApiResponse:
    if request.token is TokenUse.REQUIRED:
        return await alice.request(request)
    return await client.request(request)


ROWS = [
    pytest.param(e, marks=[pytest.mark.cryptshare_api_version(1, e.minor)] if e.minor else [])
    for e in api.ENDPOINTS
]


@pytest.mark.parametrize("endpoint", ROWS, ids=lambda e: e.name)
async def test_the_emulator_serves_the_row(
    emu: Emulator, client: CryptshareClient, alice: Sender, endpoint: api.Endpoint[Any]
) -> None:
    params = {name: VALUES[name] for name in endpoint.params}
    body = BODIES.get(endpoint.name, {} if endpoint.body is not None else None)
    request = endpoint.request(body=body, **params)
    response = await _send(client, alice, request)
    assert not (response.status == 404 and _error_code(response) == 1006), response.status
    assert response.status != 405


async def test_a_path_outside_the_table_is_not_served(
    client: CryptshareClient, alice: Sender
) -> None:
    # The check above can fail: an unknown path answers 404/1006.
    response = await client.request(ApiRequest("GET", "/products/api.rest/no-such-thing"))
    assert response.status == 404 and _error_code(response) == 1006

"""Required headers, their formats and the API version (1002 / 1004 / 2004 / 1006)."""

from __future__ import annotations

import pytest

from cryptshare_async.testing import Emulator

from .conftest import SENDER, Api


async def test_status_needs_no_headers(api: Api) -> None:
    async with api.http.get(api.emu.url + "/api/status") as response:
        assert response.status == 200
        assert await response.json() == {
            "apiVersions": {"uiApiVersions": [{"major": 1, "minor": 13}]}
        }


@pytest.mark.parametrize(
    ("drop", "status", "code"),
    [
        ("X-CS-ClientId", 400, 1002),
        ("X-CS-MajorApiVersion", 400, 1002),
        ("X-CS-MinimumMinorApiVersion", 400, 1002),
    ],
)
async def test_missing_header(api: Api, drop: str, status: int, code: int) -> None:
    headers = api.headers()
    del headers[drop]
    # /api/password/requirements: /api/clients is the one endpoint without a client id.
    url = api.emu.url + "/api/password/requirements"
    async with api.http.get(url, headers=headers) as response:
        assert response.status == status
        assert (await response.json())["errorCode"] == code


@pytest.mark.parametrize(
    ("name", "value", "status", "code"),
    [
        ("X-CS-ClientId", "short", 400, 1004),
        ("X-CS-ClientId", "a" * 49 + "-", 400, 1004),
        ("X-CS-ClientId", "a" * 4001, 400, 1004),
        ("X-CS-MajorApiVersion", "one", 400, 1004),
        ("X-CS-MajorApiVersion", "2", 404, 2004),
        ("X-CS-MinimumMinorApiVersion", "x", 400, 1004),
        ("X-CS-MinimumMinorApiVersion", "-1", 400, 1004),
        ("X-CS-MinimumMinorApiVersion", "14", 404, 2004),
        ("X-CS-ProductKey", "api.other", 400, 1004),
    ],
)
async def test_invalid_header(api: Api, name: str, value: str, status: int, code: int) -> None:
    status_, body, _ = await api.call("GET", "/api/clients", headers={name: value})
    assert (status_, body["errorCode"]) == (status, code)
    assert set(body) == {"errorCode", "errorMessage"}


async def test_client_id_of_4000_chars_and_product_key_accepted(api: Api) -> None:
    headers = {"X-CS-ClientId": "a" * 4000, "X-CS-ProductKey": "api.rest"}
    status, body, _ = await api.call("GET", "/api/clients", headers=headers)
    assert status == 200
    assert len(body["data"]["clientId"]) >= 50


async def test_headers_as_query_parameters(api: Api) -> None:
    params = {
        "client-id": api.client_id,
        "major-api-version": "1",
        "minimum-minor-api-version": "13",
        "product-key": "api.rest",
    }
    async with api.http.post(
        f"{api.emu.url}/api/users/{SENDER}/verification/token", params=params, json={}
    ) as response:
        assert response.status == 200
        token = (await response.json())["data"]["token"]
    params["verification-token"] = token
    async with api.http.get(
        f"{api.emu.url}/api/users/{SENDER}/verification", params=params
    ) as response:
        assert (await response.json())["data"]["verified"] is True


async def test_unknown_endpoint_is_1006(api: Api) -> None:
    status, body, _ = await api.call("GET", "/api/no/such/endpoint")
    assert (status, body["errorCode"]) == (404, 1006)


async def test_lower_minor_version_is_served_and_logged(api: Api, token: str) -> None:
    status, _, _ = await api.call(
        "GET",
        f"/api/users/{SENDER}/transfers/sent-transfers",
        token=token,
        headers={"X-CS-MinimumMinorApiVersion": "8"},
    )
    assert status == 200
    logged = [r for r in api.emu.requests if r.path.endswith("/sent-transfers")]
    assert logged[-1].minimum_minor_version == 8
    assert logged[-1].header("x-cs-clientid") == api.client_id
    assert api.client_id not in repr(logged[-1])


async def test_invalid_email_path_is_1005(api: Api, token: str) -> None:
    status, body, _ = await api.call("GET", "/api/users/not-an-email/verification")
    assert (status, body["errorCode"]) == (400, 1005)


def test_emulator_repr_hides_client_id() -> None:
    emu = Emulator()
    assert emu.client_id not in repr(emu)

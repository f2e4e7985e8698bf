"""Product endpoints: legal texts, language packs, CORS, logging settings, remote logs;
and the client id endpoint that needs no client id."""

from __future__ import annotations

import json

import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig

from .conftest import Api

PRODUCT = "/api/products/api.rest"


async def test_client_id_is_handed_out_without_a_client_id(api: Api) -> None:
    status, _, _ = await api.call("GET", "/api/clients", headers={"X-CS-ClientId": ""})
    # An empty client id header is malformed; with none at all the call works.
    assert status == 400
    async with api.http.get(
        api.emu.url + "/api/clients",
        headers={"X-CS-MajorApiVersion": "1", "X-CS-MinimumMinorApiVersion": "8"},
    ) as response:
        assert response.status == 200
        data = (await response.json())["data"]
    assert len(data["clientId"]) >= 50


async def test_other_endpoints_still_need_a_client_id(api: Api) -> None:
    async with api.http.get(
        api.emu.url + "/api/password/requirements",
        headers={"X-CS-MajorApiVersion": "1", "X-CS-MinimumMinorApiVersion": "8"},
    ) as response:
        assert response.status == 400
        assert (await response.json())["errorCode"] == 1002


async def test_terms_of_use_in_every_installed_language(api: Api) -> None:
    status, body, _ = await api.call("GET", f"{PRODUCT}/legal/terms-of-use")
    assert status == 200
    assert body["data"]["active"] is False
    assert {t["locale"] for t in body["data"]["terms"]} == {"en-US", "de-DE"}


@pytest.mark.parametrize(("language", "word"), [("de-DE", "Impressum"), ("fr", "Imprint")])
async def test_imprint_in_the_request_language(api: Api, language: str, word: str) -> None:
    status, body, _ = await api.call(
        "GET", f"{PRODUCT}/legal/imprint", headers={"Accept-Language": language}
    )
    assert status == 200 and word in body["data"]["content"] and body["data"]["type"] == "html"


async def test_unknown_product_key_in_the_path(api: Api) -> None:
    status, body, _ = await api.call("GET", "/api/products/nope/legal/terms-of-use")
    assert (status, body["errorCode"]) == (400, 1005)


async def test_language_packs_list_one_and_file(api: Api) -> None:
    status, body, _ = await api.call("GET", f"{PRODUCT}/language-packs")
    assert status == 200
    packs = {p["id"]: p for p in body["data"]}
    assert set(packs) == {"en-US_2", "de-DE_2"}
    assert packs["de-DE_2"]["href"] == f"{PRODUCT}/language-packs/de-DE_2"
    status, body, _ = await api.call(
        "GET", f"{PRODUCT}/language-packs", params={"major-version": "3"}
    )
    assert (status, body["data"]) == (200, [])
    status, body, _ = await api.call("GET", packs["de-DE_2"]["href"])
    assert status == 200 and body["data"]["locale"] == "de-DE"
    status, body, _ = await api.call("GET", packs["de-DE_2"]["href"] + "/texts/messages.json")
    assert status == 200 and body == {"download": "Herunterladen"}
    for missing in ("/zz-ZZ_2", "/de-DE_2/texts/nothing.json"):
        status, body, _ = await api.call("GET", f"{PRODUCT}/language-packs{missing}")
        assert (status, body["errorCode"]) == (404, 2003)


@pytest.fixture
def cryptshare_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(processing_seconds=0.0, cors_origins=frozenset({"https://ok.example"}))


@pytest.mark.parametrize(("origin", "active"), [("https://ok.example", True), ("https://x", False)])
async def test_cors_status_per_origin(api: Api, origin: str, active: bool) -> None:
    status, body, _ = await api.call("GET", f"{PRODUCT}/cors", headers={"Origin": origin})
    assert (status, body["data"]) == (200, {"active": active})


async def test_logging_settings_and_remote_logs(api: Api, cryptshare_emulator: Emulator) -> None:
    status, body, _ = await api.call("GET", f"{PRODUCT}/logging")
    assert body["data"] == {"level": "info", "remoteLoggingEnabled": True}
    entry = {"level": "warn", "message": "m", "timestamp": "2024-01-01T00:00:00+00:00"}
    status, _, _ = await api.call("POST", "/api/logs", json=[entry])
    assert status == 201
    assert cryptshare_emulator.client_logs == [entry]
    for bad in ({"level": "warn"}, [{"level": "warn", "message": 1}], [{"x": 1}]):
        status, body, _ = await api.call("POST", "/api/logs", json=bad)
        assert (status, body["errorCode"]) == (400, 1004)


async def test_remote_logging_off_refuses_logs(http: object) -> None:
    import aiohttp

    assert isinstance(http, aiohttp.ClientSession)
    async with Emulator(EmulatorConfig(remote_logging=False)) as emu:
        api = Api(emu, http)
        status, body, _ = await api.call(
            "POST",
            "/api/logs",
            data=json.dumps([]).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert (status, body["errorCode"]) == (403, 3004)
        assert emu.client_logs == []

"""Server profiles: an emulator of REST API 1.N serves what a server of 1.N serves."""

from __future__ import annotations

import aiohttp
import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig
from cryptshare_async.testing._versions import API_VERSION_ENV

from .conftest import SENDER, Api

NEWER = [
    ("GET", "/api/status", 13),
    ("PATCH", f"/api/users/{SENDER}/transfers/20240101-000000-abcdefgh", 10),
    ("GET", f"/api/users/{SENDER}/transfers/sent-transfers", 12),
    ("GET", f"/api/users/{SENDER}/transfers/received-transfers", 12),
]


@pytest.mark.parametrize("minor", [8, 10, 12, 13])
async def test_endpoints_exist_from_their_version_on(
    http: aiohttp.ClientSession, minor: int
) -> None:
    async with Emulator(EmulatorConfig(api_version=(1, minor))) as emu:
        api = Api(emu, http)
        api.minor = "8"
        token = await api.token()
        for method, path, since in NEWER:
            json = {} if method == "PATCH" else None
            status, body, _ = await api.call(method, path, token=token, json=json)
            if since > minor:
                assert (status, body["errorCode"]) == (404, 1006), (minor, path)
            else:
                assert body is None or body.get("errorCode") != 1006, (minor, path)


@pytest.mark.parametrize(("minor", "asked", "status"), [(8, 8, 200), (8, 9, 404), (10, 10, 200)])
async def test_a_higher_minimum_minor_version_is_unsupported(
    http: aiohttp.ClientSession, minor: int, asked: int, status: int
) -> None:
    async with Emulator(EmulatorConfig(api_version=(1, minor))) as emu:
        api = Api(emu, http)
        got, body, _ = await api.call(
            "GET", "/api/password", headers={"X-CS-MinimumMinorApiVersion": str(asked)}
        )
        assert got == status
        if status == 404:
            assert body["errorCode"] == 2004


async def test_status_lists_the_profile(http: aiohttp.ClientSession) -> None:
    async with (
        Emulator(EmulatorConfig(api_version=(1, 13))) as emu,
        http.get(emu.url + "/api/status") as response,
    ):
        body = await response.json()
    assert body == {"apiVersions": {"uiApiVersions": [{"major": 1, "minor": 13}]}}


def test_the_environment_sets_the_default_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    assert EmulatorConfig().api_version == (1, 13)
    monkeypatch.setenv(API_VERSION_ENV, "1.8")
    assert EmulatorConfig().api_version == (1, 8)
    assert EmulatorConfig(api_version=(1, 12)).api_version == (1, 12)
    monkeypatch.setenv(API_VERSION_ENV, "2.0")
    with pytest.raises(ValueError, match=API_VERSION_ENV):
        EmulatorConfig()


@pytest.mark.parametrize("version", [(1, 7), (1, 14), (2, 8), (1,), "1.8"])
def test_unknown_profiles_are_refused(version: object) -> None:
    with pytest.raises(ValueError, match="api_version"):
        EmulatorConfig(api_version=version)  # type: ignore[arg-type]

"""Recipient side: info, file list, download with the password, wrong-password deletion."""

from __future__ import annotations

from urllib.parse import quote

import aiohttp

from cryptshare_async.testing import Emulator, EmulatorConfig

from .conftest import RECIPIENT, SENDER, Api, sha256


async def _active(api: Api, token: str, **patch: object) -> tuple[str, str, str]:
    tracking_id = await api.send(
        token, {"a.txt": b"hello", "b.txt": b"world!"}, patch=patch or None
    )
    transfer_id = api.emu.recipient_transfer_ids(tracking_id)[RECIPIENT]
    password = api.emu.transfer_password(tracking_id)
    assert password is not None
    return tracking_id, transfer_id, password


async def test_info_files_and_download(api: Api, token: str) -> None:
    tracking_id, transfer_id, password = await _active(api, token)
    pw = {"X-CS-Password": quote(password, safe="")}
    status, body, _ = await api.call("GET", f"/api/transfers/{transfer_id}", headers=pw)
    assert status == 200
    assert body["data"] == {"checksumAlgorithm": "SHA-256", "totalSize": 11}
    _, body, _ = await api.call(
        "GET", f"/api/transfers/{transfer_id}/files", params={"password": password}
    )
    files = {f["fileName"]: f for f in body["data"]}
    assert files["a.txt"]["checksum"] == sha256(b"hello") and files["a.txt"]["size"] == 5
    # An absolute path with a query, as the server's: a client builds root + href.
    href = files["a.txt"]["href"]
    assert href.startswith(f"/api/transfers/{transfer_id}/files/{files['a.txt']['id']}?")
    status, content, _ = await api.call("GET", href, headers=pw)
    assert (status, content) == (200, b"hello")
    status, content, headers = await api.call(
        "GET", f"/api/transfers/{transfer_id}/files/{files['b.txt']['id']}", headers=pw
    )
    assert (status, content) == (200, b"world!")
    assert headers["Content-Type"] == "application/octet-stream"
    downloads = (await api.status(token, tracking_id))["status"]["recipients"][0]["fileDownloads"]
    by_id = {d["id"]: d["downloads"] for d in downloads}
    assert [d["retrievalMethod"] for d in by_id[files["a.txt"]["id"]]] == ["DOWNLOADED"]
    assert [d["retrievalMethod"] for d in by_id[files["b.txt"]["id"]]] == ["DOWNLOADED"]


async def test_download_notification(api: Api, token: str) -> None:
    _, transfer_id, password = await _active(api, token, sendDownloadNotifications=True)
    _, body, _ = await api.call(
        "GET", f"/api/transfers/{transfer_id}/files", params={"password": password}
    )
    await api.call(
        "GET",
        f"/api/transfers/{transfer_id}/files/{body['data'][0]['id']}",
        params={"password": password},
    )
    assert api.emu.outbox.latest(kind="download_notification", to=SENDER).transfer_id == transfer_id


async def test_manual_and_none_password_modes(api: Api, token: str) -> None:
    manual = {
        "name": "ONE_TIME_PASSWORD",
        "config": {"passwordMode": "MANUAL", "password": "p@ss word 1"},
    }
    _, transfer_id, password = await _active(api, token, securityMode=manual)
    assert password == "p@ss word 1"
    status, _, _ = await api.call(
        "GET", f"/api/transfers/{transfer_id}", headers={"X-CS-Password": quote(password)}
    )
    assert status == 200
    assert api.emu.outbox.latest(kind="recipient_notification").password is None
    none = {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": "NONE"}}
    _, transfer_id, _ = await _active(api, token, securityMode=none)
    status, _, _ = await api.call("GET", f"/api/transfers/{transfer_id}")
    assert status == 200


async def test_wrong_passwords_delete_by_security(http: aiohttp.ClientSession) -> None:
    async with Emulator(EmulatorConfig(processing_seconds=0, max_wrong_passwords=3)) as emu:
        api = Api(emu, http)
        token = await api.token()
        tracking_id, transfer_id, password = await _active(api, token)
        for _ in range(3):
            status, body, _ = await api.call(
                "GET", f"/api/transfers/{transfer_id}", params={"password": "wrong"}
            )
            assert (status, body["errorCode"]) == (401, 3003)
        assert emu.transfer_state(tracking_id) == "DELETED_BY_SECURITY"
        status, body, _ = await api.call(
            "GET", f"/api/transfers/{transfer_id}", params={"password": password}
        )
        assert (status, body["errorCode"]) == (410, 2006)
        assert not (emu.storage_dir / tracking_id).exists()


async def test_unknown_and_unavailable_transfers(http: aiohttp.ClientSession) -> None:
    async with Emulator(EmulatorConfig(processing_seconds=30)) as emu:
        api = Api(emu, http)
        status, body, _ = await api.call("GET", "/api/transfers/AAAAAAAAAA")
        assert (status, body["errorCode"]) == (404, 2003)
        token = await api.token()
        tracking_id = await api.send(token, {"a.txt": b"abc"}, wait=False)
        transfer_id = emu.recipient_transfer_ids(tracking_id)[RECIPIENT]
        status, body, _ = await api.call("GET", f"/api/transfers/{transfer_id}")
        assert (status, body["errorCode"]) == (404, 2003)  # still PROCESSING


async def test_revoked_transfer_is_gone_for_recipients(api: Api, token: str) -> None:
    tracking_id, transfer_id, password = await _active(api, token)
    revoke = {"status": {"state": "DELETED_BY_REVOCATION"}}
    await api.call(
        "PATCH", f"/api/users/{SENDER}/transfers/{tracking_id}", token=token, json=revoke
    )
    status, body, _ = await api.call(
        "GET", f"/api/transfers/{transfer_id}/files", params={"password": password}
    )
    assert (status, body["errorCode"]) == (410, 2006)

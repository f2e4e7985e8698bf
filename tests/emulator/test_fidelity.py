"""The emulator behaves as the real server where the issue found it stricter, laxer or
different (issue 12); each test is named in ``FIDELITY.md``."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import aiohttp
import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig

from .conftest import RECIPIENT, SENDER, Api

SESSIONS = f"/api/users/{SENDER}/transfer-sessions"


async def _raw_put(api: Api, token: str, path: str, body: bytes, content_type: str | None) -> int:
    """A PUT whose headers the test controls exactly (aiohttp would add a Content-Type)."""
    port = int(api.emu.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    headers = {**api.headers(token), "Content-Length": str(len(body)), "Connection": "close"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode() + body)
    async with asyncio.timeout(10):
        status_line = await reader.readline()
        await reader.read()
    writer.close()
    return int(status_line.split()[1])


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 200),
        ("application/octet-stream", 200),
        ("application/octet-stream; charset=binary", 200),
        ("text/plain", 400),
        ("application/json", 400),
    ],
)
async def test_content_type_absent_accepted_wrong_refused(
    api: Api, token: str, content_type: str | None, status: int
) -> None:
    tracking_id = await api.session(token)
    _, body, _ = await api.call(
        "POST", f"{SESSIONS}/{tracking_id}/files", token=token, json={"fileName": "a", "size": 3}
    )
    path = f"{SESSIONS}/{tracking_id}/files/{body['data']['fileId']}/content"
    assert await _raw_put(api, token, path, b"abc", content_type) == status


async def test_verification_codes_have_ten_characters(api: Api) -> None:
    for _ in range(3):
        status, _, _ = await api.call("POST", f"/api/users/{SENDER}/verification/code/email")
        assert status == 200
        code = api.emu.verification_code(SENDER)
        assert len(code) == 10 and code.isalnum()


async def test_password_rules_have_the_vendor_names(api: Api) -> None:
    _, body, _ = await api.call("GET", "/api/password/requirements")
    names = {rule["name"] for rule in body["data"]}
    assert {"minimumLengthRequired", "lettersRequired", "digitsRequired"} <= names
    _, body, _ = await api.call("POST", "/api/password", json={"password": "abc"})
    failed = {rule["name"] for rule in body["data"]["rulesNotFulfilled"]}
    assert failed == {"minimumLengthRequired", "digitsRequired"}


async def test_no_password_is_not_a_wrong_attempt(api: Api, token: str) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    transfer_id = api.emu.recipient_transfer_ids(tracking_id)[RECIPIENT]
    for _ in range(api.emu.config.max_wrong_passwords + 2):
        status, body, _ = await api.call("GET", f"/api/transfers/{transfer_id}")
        assert (status, body["errorCode"]) == (401, 3003)
    assert api.emu.transfer_state(tracking_id) == "ACTIVE"
    for attempt in range(api.emu.config.max_wrong_passwords):
        status, body, _ = await api.call(
            "GET", f"/api/transfers/{transfer_id}", headers={"X-CS-Password": f"wrong{attempt}"}
        )
        assert status == 401
    assert api.emu.transfer_state(tracking_id) == "DELETED_BY_SECURITY"


async def test_transfer_file_hrefs_point_below_the_transfer(api: Api, token: str) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    data = await api.status(token, tracking_id)
    href = data["transfer"]["files"][0]["href"]
    assert (
        href
        == f"/api/users/{SENDER}/transfers/{tracking_id}/files/{data['transfer']['files'][0]['id']}"
    )
    assert "/transfer-sessions/" not in href


async def test_policy_answer_sets_failed_recipients_only_when_not_allowed(
    http: aiohttp.ClientSession,
) -> None:
    config = EmulatorConfig(blocked_recipient_domains=frozenset({"blocked.example"}))
    async with Emulator(config) as emu:
        api = Api(emu, http)
        token = await api.token()
        path = f"/api/users/{SENDER}/transfer-policy"
        _, body, _ = await api.call("POST", path, token=token, json={"recipients": [RECIPIENT]})
        assert body["data"]["allowed"] is True and "failedRecipients" not in body["data"]
        assert "settings" in body["data"]
        _, body, _ = await api.call(
            "POST", path, token=token, json={"recipients": ["x@blocked.example"]}
        )
        assert body["data"]["allowed"] is False and "settings" not in body["data"]
        assert body["data"]["failedRecipients"][0]["emailAddress"] == "x@blocked.example"


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/api/clients"), ("PUT", "/api/password"), ("POST", "/api/status")],
)
async def test_a_method_the_path_lacks_is_an_endpoint_that_does_not_exist(
    api: Api, method: str, path: str
) -> None:
    status, body, headers = await api.call(method, path)
    assert (status, body["errorCode"]) == (404, 1006)
    assert "GET" in headers["Allow"]


async def test_locked_transfer_answers_403_2005(api: Api, token: str) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    transfer_id = api.emu.recipient_transfer_ids(tracking_id)[RECIPIENT]
    password = {"X-CS-Password": api.emu.transfer_password(tracking_id) or ""}
    api.emu.lock(tracking_id)
    for suffix in ("", "/files", "/zip", "/checksums"):
        status, body, _ = await api.call(
            "GET", f"/api/transfers/{transfer_id}{suffix}", headers=password
        )
        assert (status, body["errorCode"]) == (403, 2005), suffix
    api.emu.lock(tracking_id, locked=False)
    status, _, _ = await api.call("GET", f"/api/transfers/{transfer_id}", headers=password)
    assert status == 200


async def test_viewed_retrievals_are_listed(api: Api, token: str) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    file_id = next(iter(api.emu.transfer(tracking_id).files))
    api.emu.view_file(tracking_id, RECIPIENT, file_id)
    data = await api.status(token, tracking_id)
    downloads = data["status"]["recipients"][0]["fileDownloads"][0]["downloads"]
    assert [d["retrievalMethod"] for d in downloads] == ["VIEWED"]
    with pytest.raises(KeyError):
        api.emu.view_file(tracking_id, "nobody@example.org", file_id)


async def test_eml_creation_failed_when_the_message_is_removed(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    message = await api.add_file(token, tracking_id, "message.exe", b"<p>blocked type</p>")
    await api.add_file(token, tracking_id, "a.txt", b"abc")
    await api.call(
        "PATCH",
        f"{SESSIONS}/{tracking_id}",
        token=token,
        json={"confidentialMessageFileId": message},
    )
    await api.finalize(token, tracking_id)
    await api.emu.wait_processed(tracking_id)
    status = (await api.status(token, tracking_id))["status"]
    assert status["emlCreationFailed"] is True and status["warnings"] is True
    clean = await api.send(token, {"b.txt": b"abc"})
    assert (await api.status(token, clean))["status"]["emlCreationFailed"] is False


def _zip(names: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    return out.getvalue()


@pytest.mark.parametrize(
    ("show_names", "show_zip", "expected", "absent"),
    [
        (True, False, ["a.txt", "bundle.zip"], ["inner.doc"]),
        (True, True, ["a.txt", "bundle.zip", "inner.doc"], []),
        (False, True, [], ["a.txt", "bundle.zip", "inner.doc"]),
    ],
)
async def test_notification_honours_show_file_names_and_zip_content(
    api: Api, token: str, show_names: bool, show_zip: bool, expected: list[str], absent: list[str]
) -> None:
    await api.send(
        token,
        {"a.txt": b"abc", "bundle.zip": _zip(["inner.doc"])},
        patch={"showFileNames": show_names, "showZipFileContent": show_zip},
    )
    body = api.emu.outbox.latest(kind="recipient_notification", to=RECIPIENT).body
    for name in expected:
        assert name in body
    for name in absent:
        assert name not in body


async def test_generated_password_only_for_the_finalizing_token(api: Api, token: str) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    password = api.emu.transfer_password(tracking_id)
    data = await api.status(token, tracking_id)
    assert data["transfer"]["securityMode"]["config"]["password"] == password
    other = await api.token()  # the same sender, another token
    other_data = await api.status(other, tracking_id)
    assert "password" not in other_data["transfer"]["securityMode"]["config"]


async def test_expired_transfer_is_gone_before_the_cleanup(api: Api, token: str) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    transfer_id = api.emu.recipient_transfer_ids(tracking_id)[RECIPIENT]
    password = {"X-CS-Password": api.emu.transfer_password(tracking_id) or ""}
    api.emu.expire(tracking_id)
    revocation: dict[str, Any] = {"status": {"state": "DELETED_BY_REVOCATION"}}
    status, body, _ = await api.call(
        "PATCH", f"/api/users/{SENDER}/transfers/{tracking_id}", token=token, json=revocation
    )
    assert (status, body["errorCode"]) == (410, 2006)
    status, body, _ = await api.call("GET", f"/api/transfers/{transfer_id}", headers=password)
    assert (status, body["errorCode"]) == (410, 2006)
    assert api.emu.transfer_state(tracking_id) == "ACTIVE"  # until the cleanup task runs
    assert api.emu.run_cleanup() == [tracking_id]


async def test_registration_beyond_the_size_limit_is_refused(http: aiohttp.ClientSession) -> None:
    async with Emulator(EmulatorConfig(max_total_size=100)) as emu:
        api = Api(emu, http)
        token = await api.token()
        tracking_id = await api.session(token)
        files = f"{SESSIONS}/{tracking_id}/files"
        for name, size, status in (("a", 60, 201), ("b", 41, 409), ("c", 40, 201), ("d", 1, 409)):
            got, body, _ = await api.call(
                "POST", files, token=token, json={"fileName": name, "size": size}
            )
            assert got == status, (name, body)
            if status == 409:
                assert body["errorCode"] == 2001


@pytest.mark.parametrize("name", ["EID", "E_ID"])
async def test_eid_security_mode_is_not_implemented(api: Api, token: str, name: str) -> None:
    tracking_id = await api.session(token)
    status, body, _ = await api.call(
        "PATCH", f"{SESSIONS}/{tracking_id}", token=token, json={"securityMode": {"name": name}}
    )
    assert (status, body["errorCode"]) == (501, 5002)


async def test_lock_and_view_over_the_control_endpoints(api: Api, token: str) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    transfer_id = api.emu.recipient_transfer_ids(tracking_id)[RECIPIENT]
    file_id = next(iter(api.emu.transfer(tracking_id).files))
    admin = f"{api.emu.url}/_emulator/admin/transfers/{tracking_id}"
    async with api.http.post(admin + "/lock", json={}) as response:
        assert response.status == 200 and (await response.json())["locked"] is True
    password = {"X-CS-Password": api.emu.transfer_password(tracking_id) or ""}
    status, body, _ = await api.call("GET", f"/api/transfers/{transfer_id}", headers=password)
    assert (status, body["errorCode"]) == (403, 2005)
    async with api.http.post(admin + "/lock", json={"locked": "no"}) as response:
        assert response.status == 400
    async with api.http.post(admin + "/lock", json={"locked": False}) as response:
        assert (await response.json())["locked"] is False
    view = {"recipient": RECIPIENT, "fileId": file_id}
    async with api.http.post(admin + "/views", json=view) as response:
        assert response.status == 204
    async with api.http.post(admin + "/views", json={**view, "fileId": "nope"}) as response:
        assert response.status == 404
    data = await api.status(token, tracking_id)
    downloads = data["status"]["recipients"][0]["fileDownloads"][0]["downloads"]
    assert [d["retrievalMethod"] for d in downloads] == ["VIEWED"]

"""Transfer sessions and files: create, get, patch, delete, register, upload, finalize."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig

from .conftest import RECIPIENT, SENDER, Api

SESSIONS = f"/api/users/{SENDER}/transfer-sessions"


async def _get(api: Api, token: str, tracking_id: str) -> dict[str, Any]:
    status, body, _ = await api.call("GET", f"{SESSIONS}/{tracking_id}", token=token)
    assert status == 200, body
    data: dict[str, Any] = body["data"]
    return data


async def test_create_returns_absolute_location_and_presets_language(api: Api, token: str) -> None:
    status, body, headers = await api.call(
        "POST",
        SESSIONS,
        token=token,
        json={"sender": {"name": "A"}, "recipients": {"to": [{"mail": RECIPIENT}]}},
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    assert (status, body) == (201, None)
    location = headers["Location"]
    assert location.startswith(api.emu.url + SESSIONS + "/")
    tracking_id = location.rsplit("/", 1)[1]
    assert len(tracking_id) == 24 and tracking_id[8] == "-" and tracking_id[15] == "-"
    view = await _get(api, token, tracking_id)
    assert view["senderLanguage"] == view["recipientLanguage"] == "de"
    assert view["recipients"] == {"to": [{"mail": RECIPIENT}], "cc": [], "bcc": []}
    assert view["files"] == []
    assert view["fileChecksumAlgorithm"] == "SHA-256"
    assert view["securityMode"] == {
        "name": "ONE_TIME_PASSWORD",
        "config": {"passwordMode": "GENERATED"},
    }


async def test_relative_locations(http: aiohttp.ClientSession) -> None:
    async with Emulator(EmulatorConfig(absolute_locations=False)) as emu:
        api = Api(emu, http)
        token = await api.token()
        _, _, headers = await api.call(
            "POST", SESSIONS, token=token, json={"recipients": {"to": [{"mail": RECIPIENT}]}}
        )
        assert headers["Location"].startswith(SESSIONS + "/")


@pytest.mark.parametrize(
    "body",
    [
        {"recipients": {"to": []}},
        {"recipients": {"to": [{"mail": "not-an-address"}]}},
        {"sender": {"name": 5}, "recipients": {"to": [{"mail": RECIPIENT}]}},
        {"recipients": {"to": [{"mail": RECIPIENT}]}, "files": []},
    ],
)
async def test_create_rejects_bad_bodies(api: Api, token: str, body: dict[str, Any]) -> None:
    status, data, _ = await api.call("POST", SESSIONS, token=token, json=body)
    assert (status, data["errorCode"]) == (400, 1004)


async def test_patch_every_field(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    file_id = await api.add_file(token, tracking_id, "message.txt", b"secret words")
    expiration = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    patch = {
        "sender": {"phone": "+49 2"},
        "expirationDate": expiration.isoformat(),
        "fileChecksumAlgorithm": "SHA512",
        "notificationMessage": {"subject": "Hi", "body": "<b>Files</b>"},
        "senderLanguage": "en",
        "recipientLanguage": "de",
        "securityMode": {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": "NONE"}},
        "sendDownloadNotifications": True,
        "sendDownloadSummary": True,
        "sendRecipientNotification": False,
        "sendUploadSummary": False,
        "showFileNames": False,
        "showZipFileContent": True,
        "classificationId": "internal",
        "confidentialMessageFileId": file_id,
    }
    status, body, _ = await api.call("PATCH", f"{SESSIONS}/{tracking_id}", token=token, json=patch)
    assert status == 200
    view = body["data"]
    assert view["sender"] == {"name": "Alice", "phone": "+49 2"}
    assert datetime.fromisoformat(view["expirationDate"]) == expiration
    for name in patch.keys() - {"sender", "expirationDate"}:
        assert view[name] == patch[name], name
    assert await _get(api, token, tracking_id) == view


async def test_manual_password_never_echoed(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    mode = {
        "name": "ONE_TIME_PASSWORD",
        "config": {"passwordMode": "MANUAL", "password": "abc12345X"},
    }
    status, body, _ = await api.call(
        "PATCH", f"{SESSIONS}/{tracking_id}", token=token, json={"securityMode": mode}
    )
    assert status == 200
    assert "abc12345X" not in str(body)


@pytest.mark.parametrize(
    ("patch", "status", "code"),
    [
        ({"recipients": {"to": [{"mail": "x@example.org"}]}}, 400, 1004),
        ({"files": []}, 400, 1004),
        ({"unknownField": 1}, 400, 1004),
        ({"showFileNames": "yes"}, 400, 1004),
        ({"expirationDate": "tomorrow"}, 400, 1004),
        ({"expirationDate": "2020-01-01T00:00:00+00:00"}, 409, 2001),
        ({"expirationDate": "2999-01-01T00:00:00+00:00"}, 409, 2001),
        ({"confidentialMessageFileId": "unknown123"}, 409, 2001),
        ({"fileChecksumAlgorithm": "CRC32"}, 409, 2001),
        (
            {"securityMode": {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": "MANUAL"}}},
            409,
            2001,
        ),
        ({"securityMode": {"name": "QUICK"}}, 501, 5001),
    ],
)
async def test_patch_rules(
    api: Api, token: str, patch: dict[str, Any], status: int, code: int
) -> None:
    tracking_id = await api.session(token)
    before = await _get(api, token, tracking_id)
    got, body, _ = await api.call("PATCH", f"{SESSIONS}/{tracking_id}", token=token, json=patch)
    assert (got, body["errorCode"]) == (status, code)
    assert await _get(api, token, tracking_id) == before


async def test_session_changed_only_with_creating_token(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    other = await api.token()
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"showFileNames": False}),
        ("POST", "/files", {"fileName": "a.txt", "size": 1}),
        ("POST", "", None),
        ("DELETE", "", None),
    ]:
        status, data, _ = await api.call(
            method, f"{SESSIONS}/{tracking_id}{suffix}", token=other, json=body
        )
        assert (status, data["errorCode"]) == (401, 3002), method


async def test_unknown_session_is_2003(api: Api, token: str) -> None:
    status, body, _ = await api.call("GET", f"{SESSIONS}/20240101-000000-AAAAAAAA", token=token)
    assert (status, body["errorCode"]) == (404, 2003)


async def test_delete_session(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    await api.add_file(token, tracking_id, "a.txt", b"abc")
    status, body, _ = await api.call("DELETE", f"{SESSIONS}/{tracking_id}", token=token)
    assert (status, body) == (204, None)
    assert not any(api.emu.storage_dir.iterdir())
    status, _, _ = await api.call("GET", f"{SESSIONS}/{tracking_id}", token=token)
    assert status == 404


async def test_files_register_upload_replace_delete(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    base = f"{SESSIONS}/{tracking_id}/files"
    status, body, headers = await api.call(
        "POST", base, token=token, json={"fileName": "a.txt", "size": 3}
    )
    assert status == 201
    file_id = body["data"]["fileId"]
    assert headers["Location"] == f"{api.emu.url}{base}/{file_id}"
    view = await _get(api, token, tracking_id)
    assert view["files"][0]["state"] == "INITIALIZED"
    assert view["files"][0]["href"] == f"{api.emu.url}{base}/{file_id}"
    status, body, _ = await api.call(
        "PUT",
        f"{base}/{file_id}/content",
        token=token,
        data=b"abc",
        headers={"Content-Type": "text/plain"},
    )
    assert (status, body["errorCode"]) == (400, 1004)
    for content in (b"xyz", b"abc"):
        status, _, _ = await api.call(
            "PUT",
            f"{base}/{file_id}/content",
            token=token,
            data=content,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert status == 200
    assert (api.emu.storage_dir / tracking_id / file_id).read_bytes() == b"abc"
    view = await _get(api, token, tracking_id)
    assert view["files"][0]["state"] == "UPLOADED"
    status, body, _ = await api.call("DELETE", f"{base}/{file_id}", token=token)
    assert (status, body) == (204, None)
    assert (await _get(api, token, tracking_id))["files"] == []
    assert not (api.emu.storage_dir / tracking_id / file_id).exists()


@pytest.mark.parametrize(
    "registration",
    [
        {"size": 3},
        {"fileName": "a.txt"},
        {"fileName": "", "size": 1},
        {"fileName": "a", "size": -1},
        {"fileName": "a/b", "size": 1},
        {"fileName": "a", "size": True},
    ],
)
async def test_register_rejects_bad_bodies(
    api: Api, token: str, registration: dict[str, Any]
) -> None:
    tracking_id = await api.session(token)
    status, body, _ = await api.call(
        "POST", f"{SESSIONS}/{tracking_id}/files", token=token, json=registration
    )
    assert (status, body["errorCode"]) == (400, 1004)


async def test_file_name_unique_per_session(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    await api.add_file(token, tracking_id, "a.txt", b"1")
    status, body, _ = await api.call(
        "POST",
        f"{SESSIONS}/{tracking_id}/files",
        token=token,
        json={"fileName": "a.txt", "size": 1},
    )
    assert (status, body["errorCode"]) == (409, 2001)


async def test_finalize_needs_files_with_content(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    status, body, _ = await api.call("POST", f"{SESSIONS}/{tracking_id}", token=token)
    assert (status, body["errorCode"]) == (409, 2001)
    await api.call(
        "POST", f"{SESSIONS}/{tracking_id}/files", token=token, json={"fileName": "a", "size": 1}
    )
    status, body, _ = await api.call("POST", f"{SESSIONS}/{tracking_id}", token=token)
    assert (status, body["errorCode"]) == (409, 2001)


async def test_finalize_location_and_session_gone(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    await api.add_file(token, tracking_id, "a.txt", b"abc")
    location = await api.finalize(token, tracking_id)
    assert location == f"{api.emu.url}/api/users/{SENDER}/transfers/{tracking_id}"
    status, _, _ = await api.call("GET", f"{SESSIONS}/{tracking_id}", token=token)
    assert status == 404

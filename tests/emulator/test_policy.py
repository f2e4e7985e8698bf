"""The transfer policy is enforced at create, PATCH and finalize with the schema's codes,
and ``transfer-policy`` reports exactly what is enforced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig, PolicyRule, TransferPolicy

from .conftest import RECIPIENT, SENDER, Api

INTERN = "intern@corp.example"
POLICY = TransferPolicy(
    blocked_senders=frozenset({"spammer@example.com"}),
    blocked_recipients=frozenset({"rival.example"}),
    max_total_size=1000,
    max_retention_days=7,
    rules=(
        PolicyRule(
            senders=frozenset({"corp.example"}),
            allowed_recipients=frozenset({"corp.example", RECIPIENT}),
            max_total_size=20,
            allowed_password_modes=("MANUAL",),
            confidential_message_required=True,
            recipient_notification_editable=False,
            send_download_notifications_changeable=False,
            send_download_notifications_default=True,
            show_file_names_changeable=False,
            show_file_names_default=False,
            show_zip_file_content_default=True,
        ),
    ),
)


@pytest.fixture
async def papi(http: aiohttp.ClientSession) -> AsyncIterator[Api]:
    async with Emulator(EmulatorConfig(processing_seconds=0.0, policy=POLICY)) as emu:
        yield Api(emu, http)


async def _policy(api: Api, sender: str, recipients: list[str]) -> tuple[int, Any]:
    token = await api.token(sender)
    status, body, _ = await api.call(
        "POST", f"/api/users/{sender}/transfer-policy", token=token, json={"recipients": recipients}
    )
    return status, body


async def _create(api: Api, sender: str, recipients: list[str]) -> tuple[int, Any, str]:
    token = await api.token(sender)
    status, body, headers = await api.call(
        "POST",
        f"/api/users/{sender}/transfer-sessions",
        token=token,
        json={"recipients": {"to": [{"mail": r} for r in recipients]}},
    )
    return status, body, str(headers.get("Location", "")).rsplit("/", 1)[-1]


async def test_blocked_sender_is_refused_everywhere(papi: Api) -> None:
    status, body = await _policy(papi, "spammer@example.com", [RECIPIENT])
    assert (status, body["errorCode"]) == (403, 3010)
    status, body, _ = await _create(papi, "spammer@example.com", [RECIPIENT])
    assert (status, body["errorCode"]) == (403, 3010)


async def test_allowed_senders_list(http: aiohttp.ClientSession) -> None:
    policy = TransferPolicy(allowed_senders=frozenset({"example.com"}))
    async with Emulator(EmulatorConfig(policy=policy)) as emu:
        api = Api(emu, http)
        assert (await _policy(api, SENDER, [RECIPIENT]))[0] == 200
        status, body = await _policy(api, "x@elsewhere.example", [RECIPIENT])
        assert (status, body["errorCode"]) == (403, 3010)


@pytest.mark.parametrize(
    ("sender", "recipients", "failed"),
    [
        (SENDER, ["a@rival.example"], ["a@rival.example"]),
        (SENDER, ["b@sub.rival.example", RECIPIENT], ["b@sub.rival.example"]),
        (INTERN, ["x@other.example", "y@corp.example"], ["x@other.example"]),
        (INTERN, [RECIPIENT, "y@corp.example"], []),
    ],
)
async def test_recipients_allowed_and_blocked(
    papi: Api, sender: str, recipients: list[str], failed: list[str]
) -> None:
    status, body = await _policy(papi, sender, recipients)
    assert status == 200
    if failed:
        assert body["data"]["allowed"] is False
        assert [f["emailAddress"] for f in body["data"]["failedRecipients"]] == failed
        status, body, _ = await _create(papi, sender, recipients)
        assert (status, body["errorCode"]) == (403, 3011)
    else:
        assert body["data"]["allowed"] is True
        assert (await _create(papi, sender, recipients))[0] == 201


async def test_report_is_the_effective_policy(papi: Api) -> None:
    _, body = await _policy(papi, SENDER, [RECIPIENT])
    settings = body["data"]["settings"]
    assert settings["maxTotalSize"] == 1000 and settings["maxRetentionPeriod"] == 7
    assert settings["securityModes"][0]["config"]["allowedPasswordModes"] == [
        "GENERATED",
        "MANUAL",
        "NONE",
    ]
    _, body = await _policy(papi, INTERN, [RECIPIENT])
    settings = body["data"]["settings"]
    assert settings == {
        "confidentialMessageAllowed": True,
        "confidentialMessageRequired": True,
        "maxRetentionPeriod": 7,
        "maxTotalSize": 20,
        "recipientNotificationEditable": False,
        "securityModes": [
            {"name": "ONE_TIME_PASSWORD", "config": {"allowedPasswordModes": ["MANUAL"]}}
        ],
        "sendDownloadNotificationsChangeable": False,
        "sendDownloadNotificationsDefault": True,
        "showFileNamesChangeable": False,
        "showFileNamesDefault": False,
        "showZipFileContentDefault": True,
    }


async def test_defaults_follow_the_policy(papi: Api) -> None:
    token = await papi.token(INTERN)
    tracking_id = await papi.session(token, INTERN)
    _, body, _ = await papi.call(
        "GET", f"/api/users/{INTERN}/transfer-sessions/{tracking_id}", token=token
    )
    view = body["data"]
    assert view["securityMode"]["config"] == {"passwordMode": "MANUAL"}
    assert view["sendDownloadNotifications"] is True
    assert view["showFileNames"] is False and view["showZipFileContent"] is True
    expiry = datetime.fromisoformat(view["expirationDate"])
    assert expiry <= datetime.now(UTC) + timedelta(days=7)


@pytest.mark.parametrize(
    "patch",
    [
        {"sendDownloadNotifications": False},
        {"showFileNames": True},
        {"notificationMessage": {"subject": "changed"}},
        {"securityMode": {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": "NONE"}}},
        {"expirationDate": (datetime.now(UTC) + timedelta(days=8)).isoformat()},
    ],
)
async def test_patch_within_the_policy_only(papi: Api, patch: dict[str, Any]) -> None:
    token = await papi.token(INTERN)
    tracking_id = await papi.session(token, INTERN)
    path = f"/api/users/{INTERN}/transfer-sessions/{tracking_id}"
    status, body, _ = await papi.call("PATCH", path, token=token, json=patch)
    assert (status, body["errorCode"]) == (409, 2001)
    # The same value as the fixed one is no change: accepted.
    same = {"sendDownloadNotifications": True, "showFileNames": False}
    assert (await papi.call("PATCH", path, token=token, json=same))[0] == 200


async def test_confidential_message_not_allowed(http: aiohttp.ClientSession) -> None:
    policy = TransferPolicy(confidential_message_allowed=False)
    async with Emulator(EmulatorConfig(policy=policy)) as emu:
        api = Api(emu, http)
        token = await api.token()
        tracking_id = await api.session(token)
        file_id = await api.add_file(token, tracking_id, "m.html", b"<p>x</p>")
        status, body, _ = await api.call(
            "PATCH",
            f"/api/users/{SENDER}/transfer-sessions/{tracking_id}",
            token=token,
            json={"confidentialMessageFileId": file_id},
        )
        assert (status, body["errorCode"]) == (409, 2001)


async def test_finalize_checks_message_size_and_password(papi: Api) -> None:
    token = await papi.token(INTERN)
    tracking_id = await papi.session(token, INTERN)
    path = f"/api/users/{INTERN}/transfer-sessions/{tracking_id}"
    await papi.add_file(token, tracking_id, "a.txt", b"abc", email=INTERN)
    status, body, _ = await papi.call("POST", path, token=token)
    assert (status, body["errorCode"]) == (409, 2001)  # MANUAL without a password
    manual = {
        "name": "ONE_TIME_PASSWORD",
        "config": {"passwordMode": "MANUAL", "password": "abc12345X"},
    }
    assert (await papi.call("PATCH", path, token=token, json={"securityMode": manual}))[0] == 200
    status, body, _ = await papi.call("POST", path, token=token)
    assert (status, body["errorCode"]) == (409, 2001)  # no confidential message
    message = await papi.add_file(token, tracking_id, "m.html", b"<p>x</p>", email=INTERN)
    patch = {"confidentialMessageFileId": message}
    assert (await papi.call("PATCH", path, token=token, json=patch))[0] == 200
    status, body, _ = await papi.call(
        "POST", f"{path}/files", token=token, json={"fileName": "big", "size": 10}
    )
    assert (status, body["errorCode"]) == (409, 2001)  # over maxTotalSize (20)
    status, _, _ = await papi.call("POST", path, token=token)
    assert status == 201

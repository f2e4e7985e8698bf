"""Transfer status, revocation, expiration, admin deletion and the three lists."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import RECIPIENT, SENDER, Api

TRANSFERS = f"/api/users/{SENDER}/transfers"


async def test_status_has_every_field(api: Api, token: str) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    data = await api.status(token, tracking_id)
    assert set(data) == {"transfer", "status"}
    status = data["status"]
    assert set(status) == {
        "state",
        "warnings",
        "emlCreationFailed",
        "sender",
        "files",
        "recipients",
    }
    assert status["sender"] == {"email": SENDER, "notificationFailed": False}
    file_id = data["transfer"]["files"][0]["id"]
    assert status["files"] == [{"id": file_id, "removed": False}]
    recipient = status["recipients"][0]
    assert set(recipient) == {"id", "mail", "downloadUrl", "notificationFailed", "fileDownloads"}
    assert len(recipient["id"]) == 10
    assert recipient["fileDownloads"] == [{"id": file_id, "downloads": []}]
    assert "password=" not in recipient["downloadUrl"]
    assert "notificationMailLink" not in str(data)


async def test_download_url_for_password_mode_none(api: Api, token: str) -> None:
    mode = {"securityMode": {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": "NONE"}}}
    tracking_id = await api.send(token, {"a.txt": b"abc"}, patch=mode)
    url = (await api.status(token, tracking_id))["status"]["recipients"][0]["downloadUrl"]
    assert "password=" in url
    other = await api.token()
    recipient = (await api.status(other, tracking_id))["status"]["recipients"][0]
    assert "downloadUrl" not in recipient  # null: another token cannot decrypt the password


async def test_other_senders_transfer_is_not_visible(api: Api, token: str) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    carol = await api.token("carol@example.com")
    path = f"/api/users/carol@example.com/transfers/{tracking_id}"
    status, body, _ = await api.call("GET", path, token=carol)
    assert (status, body["errorCode"]) == (404, 2003)
    revoke = {"status": {"state": "DELETED_BY_REVOCATION"}}
    status, body, _ = await api.call("PATCH", path, token=carol, json=revoke)
    assert (status, body["errorCode"]) == (404, 2003)


async def test_revocation(api: Api, token: str) -> None:
    tracking_id = await api.send(
        token, {"a.txt": b"abc"}, recipients=[RECIPIENT, "dave@example.org"]
    )
    path = f"{TRANSFERS}/{tracking_id}"
    body = {
        "status": {"state": "DELETED_BY_REVOCATION"},
        "revocationOptions": {"notifySender": False, "message": "Wrong person"},
    }
    status, data, _ = await api.call(
        "PATCH", path, token=token, json=body, headers={"Accept-Language": "de"}
    )
    assert (status, data) == (204, None)
    assert (await api.status(token, tracking_id))["status"]["state"] == "DELETED_BY_REVOCATION"
    assert not (api.emu.storage_dir / tracking_id).exists()
    notices = api.emu.outbox.filter(kind="revocation_recipient")
    assert {m.to for m in notices} == {RECIPIENT, "dave@example.org"}
    assert all(m.body == "Wrong person" and m.language == "de" for m in notices)
    assert api.emu.outbox.filter(kind="revocation_sender") == []
    status, data, _ = await api.call("PATCH", path, token=token, json=body)
    assert (status, data["errorCode"]) == (410, 2006)


async def test_revocation_default_texts_in_request_language(api: Api, token: str) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    body = {
        "status": {"state": "DELETED_BY_REVOCATION"},
        "revocationOptions": {"notifyRecipients": False},
    }
    await api.call(
        "PATCH",
        f"{TRANSFERS}/{tracking_id}",
        token=token,
        json=body,
        headers={"Accept-Language": "de-CH"},
    )
    notice = api.emu.outbox.latest(kind="revocation_sender", to=SENDER)
    assert notice.language == "de" and "zurückgezogen" in notice.body
    assert api.emu.outbox.filter(kind="revocation_recipient") == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": {"state": "ACTIVE"}},
        {"status": {"state": "DELETED_BY_REVOCATION"}, "revocationOptions": {"notifySender": "no"}},
    ],
)
async def test_revocation_body_validated(api: Api, token: str, body: dict[str, Any]) -> None:
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    status, data, _ = await api.call("PATCH", f"{TRANSFERS}/{tracking_id}", token=token, json=body)
    assert (status, data["errorCode"]) == (400, 1004)


async def test_only_active_transfers_are_revocable(api: Api, token: str) -> None:
    failed = await api.send(token, {"a.exe": b"MZ"})
    revoke = {"status": {"state": "DELETED_BY_REVOCATION"}}
    status, data, _ = await api.call("PATCH", f"{TRANSFERS}/{failed}", token=token, json=revoke)
    assert (status, data["errorCode"]) == (409, 2001)
    expired = await api.send(token, {"a.txt": b"abc"})
    api.emu.expire(expired)
    assert api.emu.transfer_state(expired) == "ACTIVE"  # until the cleanup task runs
    assert api.emu.run_cleanup() == [expired]
    status, data, _ = await api.call("PATCH", f"{TRANSFERS}/{expired}", token=token, json=revoke)
    assert (status, data["errorCode"]) == (410, 2006)


async def test_expiration_and_admin_deletion(api: Api, token: str) -> None:
    expired = await api.send(token, {"a.txt": b"abc"}, patch={"sendDownloadSummary": True})
    deleted = await api.send(token, {"b.txt": b"abc"})
    api.emu.expire(expired)
    api.emu.run_cleanup()
    api.emu.admin_delete(deleted)
    assert (await api.status(token, expired))["status"]["state"] == "DELETED_BY_EXPIRATION"
    assert (await api.status(token, deleted))["status"]["state"] == "DELETED_BY_ADMIN"
    assert api.emu.outbox.latest(kind="download_summary").tracking_id == expired
    assert not any(api.emu.storage_dir.iterdir())


async def _ids(api: Api, token: str, path: str, **params: str) -> list[str]:
    status, body, _ = await api.call("GET", path, token=token, params=params)
    assert status == 200, body
    assert body["meta"] == {}
    return [item["trackingId"] for item in body["data"]]


async def test_legacy_list_newest_first_with_paging(api: Api, token: str) -> None:
    ids = api.emu.seed_transfers(SENDER, 25)
    assert await _ids(api, token, TRANSFERS) == ids[::-1][:10]
    assert await _ids(api, token, TRANSFERS, page="3", **{"page-size": "10"}) == ids[::-1][20:]
    assert await _ids(api, token, TRANSFERS, page="4") == []
    _, body, _ = await api.call("GET", TRANSFERS, token=token, params={"page-size": "1"})
    item = body["data"][0]
    assert set(item) == {"trackingId", "state", "recipients", "href"}
    assert item["href"] == f"{TRANSFERS}/{ids[-1]}"  # an absolute path


@pytest.mark.parametrize("path", ["", "/sent-transfers", "/received-transfers"])
@pytest.mark.parametrize(
    "params", [{"page-size": "101"}, {"page-size": "0"}, {"page": "0"}, {"page": "x"}]
)
async def test_paging_limits(api: Api, token: str, path: str, params: dict[str, str]) -> None:
    status, body, _ = await api.call("GET", TRANSFERS + path, token=token, params=params)
    assert (status, body["errorCode"]) == (400, 1004)


async def test_sent_transfers_default_fields_and_active_filter(api: Api, token: str) -> None:
    active = await api.send(token, {"a.txt": b"abc"})
    failed = await api.send(token, {"a.exe": b"MZ"})
    status, body, _ = await api.call("GET", f"{TRANSFERS}/sent-transfers", token=token)
    assert status == 200
    first = body["data"][0]
    assert first["trackingId"] == failed
    assert set(first) == {"trackingId", "status", "transfer"}
    assert set(first["status"]) == {"sender", "recipients", "state"}
    assert first["status"]["sender"] == {"email": SENDER}
    assert set(first["transfer"]) == {"recipients"}
    assert await _ids(api, token, f"{TRANSFERS}/sent-transfers", active="true") == [active]
    assert await _ids(api, token, f"{TRANSFERS}/sent-transfers", active="false") == [failed]
    status, body, _ = await api.call(
        "GET", f"{TRANSFERS}/sent-transfers", token=token, params={"active": "maybe"}
    )
    assert (status, body["errorCode"]) == (400, 1004)


async def test_fields_nested_selection(api: Api, token: str) -> None:
    await api.send(token, {"a.txt": b"abc"}, recipients=[RECIPIENT])
    fields = "status(state), transfer(recipients(to), securityMode(config(passwordMode)))"
    _, body, _ = await api.call(
        "GET", f"{TRANSFERS}/sent-transfers", token=token, params={"fields": fields}
    )
    assert body["data"] == [
        {
            "status": {"state": "ACTIVE"},
            "transfer": {
                "recipients": {"to": [{"mail": RECIPIENT}]},
                "securityMode": {"config": {"passwordMode": "GENERATED"}},
            },
        }
    ]
    status, body, _ = await api.call(
        "GET", f"{TRANSFERS}/sent-transfers", token=token, params={"fields": "status(state"}
    )
    assert (status, body["errorCode"]) == (400, 1004)


async def test_received_transfers_reduced_view(api: Api, token: str) -> None:
    everything = "trackingId, status, transfer"
    await api.send(token, {"a.txt": b"abc"}, recipients=[RECIPIENT, "dave@example.org"])
    bob_token = await api.token(RECIPIENT)
    status, body, _ = await api.call(
        "GET",
        f"/api/users/{RECIPIENT}/transfers/received-transfers",
        token=bob_token,
        params={"fields": everything},
    )
    assert status == 200 and len(body["data"]) == 1
    item = body["data"][0]
    by_mail = {r["mail"]: r for r in item["status"]["recipients"]}
    assert "downloadUrl" in by_mail[RECIPIENT] and "id" in by_mail[RECIPIENT]
    assert set(by_mail["dave@example.org"]) == {"mail", "notificationFailed"}
    assert "notificationMailLink" not in str(body)
    carol = await api.token("carol@example.com")
    _, body, _ = await api.call(
        "GET", "/api/users/carol@example.com/transfers/received-transfers", token=carol
    )
    assert body["data"] == []


async def test_received_view_hides_other_bcc(api: Api, token: str) -> None:
    tracking_id = await api.session(token, recipients=[RECIPIENT])
    await api.call("DELETE", f"/api/users/{SENDER}/transfer-sessions/{tracking_id}", token=token)
    body = {"recipients": {"to": [{"mail": RECIPIENT}], "bcc": [{"mail": "eve@example.org"}]}}
    _, _, headers = await api.call(
        "POST", f"/api/users/{SENDER}/transfer-sessions", token=token, json=body
    )
    tracking_id = headers["Location"].rsplit("/", 1)[1]
    await api.add_file(token, tracking_id, "a.txt", b"abc")
    await api.finalize(token, tracking_id)
    await api.emu.wait_processed(tracking_id)
    bob = await api.token(RECIPIENT)
    _, data, _ = await api.call(
        "GET",
        f"/api/users/{RECIPIENT}/transfers/received-transfers",
        token=bob,
        params={"fields": "status(recipients(mail)), transfer(recipients)"},
    )
    item = data["data"][0]
    assert item["transfer"]["recipients"]["bcc"] == []
    assert [r["mail"] for r in item["status"]["recipients"]] == [RECIPIENT]


async def test_ten_thousand_transfers_at_page_size_100(api: Api, token: str) -> None:
    ids = api.emu.seed_transfers(SENDER, 10_000)
    seen: list[str] = []
    for page in range(1, 102):
        batch = await _ids(
            api, token, f"{TRANSFERS}/sent-transfers", page=str(page), **{"page-size": "100"}
        )
        seen.extend(batch)
        if len(batch) < 100:
            break
    assert seen == ids[::-1]

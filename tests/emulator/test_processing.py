"""The processing phase: PROCESSING → per-file checks → ACTIVE or FAILED, notifications."""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp
import pytest

from cryptshare_async.testing import EICAR_SIGNATURE, Emulator, EmulatorConfig

from .conftest import RECIPIENT, SENDER, Api, sha256


async def _send(
    api: Api, token: str, files: list[dict[str, Any]], algorithm: str | None = None
) -> str:
    tracking_id = await api.session(token)
    if algorithm is not None:
        status, _, _ = await api.call(
            "PATCH",
            f"/api/users/{SENDER}/transfer-sessions/{tracking_id}",
            token=token,
            json={"fileChecksumAlgorithm": algorithm},
        )
        assert status == 200
    for spec in files:
        await api.add_file(token, tracking_id, **spec)
    await api.finalize(token, tracking_id)
    return tracking_id


async def test_processing_state_then_active(http: aiohttp.ClientSession) -> None:
    async with Emulator(EmulatorConfig(processing_seconds=30)) as emu:
        api = Api(emu, http)
        token = await api.token()
        tracking_id = await _send(api, token, [{"name": "a.txt", "content": b"abc"}])
        data = await api.status(token, tracking_id)
        assert data["status"]["state"] == "PROCESSING"
        assert data["transfer"]["files"][0]["state"] == "UPLOADED"
        emu.admin_delete(tracking_id)  # ends the wait without timing anything
        assert await emu.wait_processed(tracking_id) == "DELETED_BY_ADMIN"


@pytest.mark.parametrize(
    ("algorithm", "hasher"),
    [
        ("SHA-256", "sha256"),
        ("sha256", "sha256"),
        ("SHA1", "sha1"),
        ("sha-1", "sha1"),
        ("SHA-512", "sha512"),
        ("sha512", "sha512"),
        ("MD5", "md5"),
    ],
)
async def test_checksums_verified_with_session_algorithm(
    api: Api, token: str, algorithm: str, hasher: str
) -> None:
    good = b"good content"
    files = [
        {
            "name": "good.txt",
            "content": good,
            "checksum": hashlib.new(hasher, good).hexdigest().upper(),
        },
        {"name": "bad.txt", "content": b"other", "checksum": hashlib.new(hasher, b"x").hexdigest()},
    ]
    tracking_id = await _send(api, token, files, algorithm)
    assert await api.emu.wait_processed(tracking_id) == "ACTIVE"
    data = await api.status(token, tracking_id)
    states = {f["fileName"]: f["state"] for f in data["transfer"]["files"]}
    assert states == {"good.txt": "ACTIVE", "bad.txt": "REMOVED"}
    removed = [f for f in data["status"]["files"] if f["removed"]]
    assert len(removed) == 1 and "checksum" in removed[0]["removalCause"]
    assert data["status"]["warnings"] is True


async def test_every_removal_rule_and_failed_state(api: Api, token: str) -> None:
    files = [
        {"name": "setup.EXE", "content": b"MZ"},
        {"name": "short.txt", "content": b"abc", "size": 4},
        {"name": "virus.txt", "content": b"prefix " + EICAR_SIGNATURE + b" suffix"},
    ]
    tracking_id = await _send(api, token, files)
    assert await api.emu.wait_processed(tracking_id) == "FAILED"
    data = await api.status(token, tracking_id, **{"Accept-Language": "de"})
    causes = sorted(f["removalCause"] for f in data["status"]["files"])
    assert any("Dateityp" in c for c in causes)
    assert any("Größe" in c for c in causes)
    assert any("Virus" in c for c in causes)
    english = await api.status(token, tracking_id, **{"Accept-Language": "en-US"})
    assert all("removed" in f["removalCause"] for f in english["status"]["files"])
    assert not list((api.emu.storage_dir / tracking_id).glob("*"))
    assert api.emu.outbox.filter(kind="recipient_notification") == []


async def test_virus_signature_split_across_read_chunks(api: Api, token: str) -> None:
    cut = 1024 * 1024 - 10
    content = b"\0" * cut + EICAR_SIGNATURE + b"\0" * 100
    tracking_id = await _send(
        api, token, [{"name": "a.bin", "content": content}, {"name": "ok", "content": b"ok"}]
    )
    assert await api.emu.wait_processed(tracking_id) == "ACTIVE"
    data = await api.status(token, tracking_id)
    assert [f["removed"] for f in data["status"]["files"]] == [True, False]


async def test_active_notifies_recipients_and_sender(api: Api, token: str) -> None:
    tracking_id = await api.send(
        token, {"a.txt": b"abc"}, patch={"recipientLanguage": "de", "senderLanguage": "en"}
    )
    data = await api.status(token, tracking_id)
    assert data["status"]["state"] == "ACTIVE" and data["status"]["warnings"] is False
    note = api.emu.outbox.latest(kind="recipient_notification", to=RECIPIENT)
    assert note.language == "de" and note.tracking_id == tracking_id
    assert note.password == api.emu.transfer_password(tracking_id)
    assert note.download_url == data["status"]["recipients"][0]["downloadUrl"]
    summary = api.emu.outbox.latest(kind="upload_summary", to=SENDER)
    assert summary.language == "en"
    assert data["transfer"]["files"][0]["state"] == "ACTIVE"


async def test_notification_failure_injection(api: Api, token: str) -> None:
    api.emu.fail_notifications(RECIPIENT, SENDER)
    tracking_id = await api.send(token, {"a.txt": b"abc"})
    status = (await api.status(token, tracking_id))["status"]
    assert status["warnings"] is True
    assert status["sender"]["notificationFailed"] is True
    assert status["recipients"][0]["notificationFailed"] is True
    assert api.emu.outbox.filter(to=RECIPIENT) == []


async def test_configured_notification_failures(http: aiohttp.ClientSession) -> None:
    config = EmulatorConfig(
        processing_seconds=0, failing_notification_addresses=frozenset({RECIPIENT})
    )
    async with Emulator(config) as emu:
        api = Api(emu, http)
        token = await api.token()
        tracking_id = await api.send(token, {"a.txt": b"abc"})
        status = (await api.status(token, tracking_id))["status"]
        assert status["recipients"][0]["notificationFailed"] is True
        assert status["sender"]["notificationFailed"] is False


async def test_status_checksum_matches_sha256(api: Api, token: str) -> None:
    content = b"x" * 1000
    tracking_id = await api.send(token, {"a.txt": content})
    assert api.emu.transfer(tracking_id).files.popitem()[1].digest == sha256(content)

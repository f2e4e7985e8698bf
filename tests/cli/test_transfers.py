"""``status``, ``wait`` and ``revoke`` of a transfer sent through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptshare_async.testing import FaultRule

from .conftest import BOB, SENDER, Cli


async def test_status_shows_state_files_and_recipients(cli: Cli, files: list[Path]) -> None:
    tracking_id = await cli.send(*files)
    result = await cli("status", tracking_id, "--json")
    assert result.code == 0, result.err
    document = result.json()
    assert document["tracking_id"] == tracking_id
    assert document["state"] == "ACTIVE"
    assert document["sender"] == SENDER
    assert sorted((f["name"], f["size"], f["removed"]) for f in document["files"]) == [
        ("data.bin", files[0].stat().st_size, False),
        ("note.txt", files[1].stat().st_size, False),
    ]
    assert document["recipients"] == [
        {"mail": BOB, "kind": "to", "downloads": 0, "notification_failed": False}
    ]

    text = await cli("status", tracking_id)
    assert text.code == 0
    lines = text.out.splitlines()
    assert lines[0] == f"tracking id  {tracking_id}"
    assert lines[1] == "state        ACTIVE"
    assert any(line.split() == ["note.txt", "10", "B"] for line in lines)
    assert any(line.split()[:2] == [BOB, "to"] for line in lines)


async def test_wait_returns_once_active(cli: Cli, files: list[Path]) -> None:
    sent = await cli("send", str(files[1]), "--to", BOB, "--name", "A", "--phone", "1", "-q")
    tracking_id = sent.out.strip()
    result = await cli("wait", tracking_id, "--poll-interval", "0.02")
    assert result.code == 0, result.err
    assert "state        ACTIVE" in result.out
    assert "state: ACTIVE" in result.err
    assert cli.emu.transfer_state(tracking_id) == "ACTIVE"


@pytest.mark.cryptshare_api_version(1, 10)
async def test_revoke_deletes_and_notifies(cli: Cli, files: list[Path]) -> None:
    tracking_id = await cli.send(files[1])
    result = await cli("revoke", tracking_id, "--message", "Wrong file, sorry.", "--json")
    assert result.code == 0, result.err
    assert result.json()["state"] == "DELETED_BY_REVOCATION"
    assert cli.emu.transfer_state(tracking_id) == "DELETED_BY_REVOCATION"
    notice = cli.emu.outbox.latest(kind="revocation_recipient", to=BOB)
    assert "Wrong file, sorry." in notice.body
    assert cli.emu.outbox.filter(kind="revocation_sender", to=SENDER)

    again = await cli("revoke", tracking_id)
    assert again.code == 1
    assert len(again.error_lines) == 1
    assert "is DELETED_BY_REVOCATION: only an ACTIVE transfer can be revoked" in again.err
    assert "hint: it is already deleted" in again.err

    waited = await cli("wait", tracking_id, "--poll-interval", "0.02")
    assert waited.code == 1
    assert "DELETED_BY_REVOCATION" in waited.error_lines[0]


@pytest.mark.cryptshare_api_version(1, 10)
async def test_revoke_without_notifications(cli: Cli, files: list[Path]) -> None:
    tracking_id = await cli.send(files[1])
    result = await cli("revoke", tracking_id, "--no-notify-sender", "--no-notify-recipients")
    assert result.code == 0, result.err
    assert "state        DELETED_BY_REVOCATION" in result.out
    assert cli.emu.outbox.filter(kind="revocation_recipient") == []
    assert cli.emu.outbox.filter(kind="revocation_sender") == []


async def test_unknown_tracking_id_is_one_error_line(cli: Cli) -> None:
    result = await cli("status", "20200101-000000-AAAAAAAA")
    assert result.code == 1
    assert result.out == ""
    assert len(result.err.splitlines()) == 1
    assert result.err.startswith("error: GET /api/users/alice@example.com/transfers/")
    assert "HTTP 404" in result.err


async def test_debug_shows_the_traceback(cli: Cli) -> None:
    result = await cli("status", "20200101-000000-AAAAAAAA", "--debug")
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.err
    assert "NotFoundError" in result.err


async def test_wait_timeout_exits_4(cli: Cli, files: list[Path]) -> None:
    tracking_id = await cli.send(files[1])
    cli.emu.add_fault(FaultRule(method="GET", path=f"*/transfers/{tracking_id}", delay=0.5))
    result = await cli("wait", tracking_id, "--wait-timeout", "0.1")
    assert result.code == 4
    assert "did not become active within 0.1 s" in result.error_lines[0]
    assert "hint: the transfer may still become active" in result.err


async def test_no_sender_or_url_is_a_usage_error(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRYPTSHARE_SENDER")
    result = await cli("status", "20200101-000000-AAAAAAAA")
    assert result.code == 2
    assert result.err == (
        "error: no sender address: pass --sender EMAIL or set CRYPTSHARE_SENDER\n"
    )
    monkeypatch.delenv("CRYPTSHARE_URL")
    result = await cli("--sender", SENDER, "status", "20200101-000000-AAAAAAAA")
    assert result.code == 2
    assert result.err == "error: no server URL: pass --url URL or set CRYPTSHARE_URL\n"
    monkeypatch.delenv("CRYPTSHARE_CLIENT_ID")
    result = await cli("status", "x", "--sender", SENDER, "--url", cli.emu.url)
    assert result.code == 2
    assert result.error_lines == [
        "error: no client id: set CRYPTSHARE_CLIENT_ID or pass --client-id-file PATH"
    ]
    assert cli.emu.requests == []


async def test_global_options_work_before_and_after_the_command(
    cli: Cli, files: list[Path]
) -> None:
    tracking_id = await cli.send(files[1])
    before = await cli("--json", "--sender", SENDER, "status", tracking_id)
    after = await cli("status", tracking_id, "--sender", SENDER, "--json")
    assert before.code == after.code == 0
    assert before.json() == after.json()

"""``send``: files end up ACTIVE with their content; bad input fails before any request;
a failed upload leaves nothing on the server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cryptshare_async.testing import Emulator, FaultRule

from .conftest import BOB, CAROL, SENDER, Cli

NAME_PHONE = ("--name", "Alice", "--phone", "+49 1")


def stored_content(emu: Emulator, tracking_id: str) -> dict[str, bytes]:
    files = emu.transfer(tracking_id).files.values()
    return {f.name: f.path.read_bytes() for f in files if f.path is not None}


async def test_send_with_wait_makes_an_active_transfer_with_the_files(
    cli: Cli, files: list[Path]
) -> None:
    result = await cli(
        "send",
        *map(str, files),
        "--to",
        f"{BOB}, {CAROL}",
        *NAME_PHONE,
        "--subject",
        "Figures",
        "--message",
        "Here they are.",
        "--wait",
        "--poll-interval",
        "0.02",
        "--json",
    )
    assert result.code == 0, result.err
    document = result.json()
    tracking_id = document["tracking_id"]
    assert cli.emu.transfer_state(tracking_id) == "ACTIVE"
    assert stored_content(cli.emu, tracking_id) == {f.name: f.read_bytes() for f in files}
    assert [f["name"] for f in document["files"]] == ["data.bin", "note.txt"]
    assert all(f["algorithm"] == "SHA-256" and f["checksum"] for f in document["files"])
    assert document["status"]["state"] == "ACTIVE"
    assert {r["mail"] for r in document["status"]["recipients"]} == {BOB, CAROL}
    mail = cli.emu.outbox.latest(kind="recipient_notification", to=BOB)
    assert mail.subject == "Figures"


async def test_send_prints_one_plain_line_per_file_when_not_on_a_terminal(
    cli: Cli, files: list[Path]
) -> None:
    result = await cli("send", *map(str, files), "--to", BOB, *NAME_PHONE)
    assert result.code == 0, result.err
    tracking_id = result.out.split()[-1]
    assert result.out == f"tracking id  {tracking_id}\n"
    assert "\x1b" not in result.err
    assert sorted(line for line in result.err.splitlines() if line.startswith("uploaded ")) == [
        "uploaded data.bin (1.0 MiB)",
        "uploaded note.txt (10 B)",
    ]
    assert f"finalized: tracking id {tracking_id}" in result.err
    await cli.emu.wait_processed(tracking_id)
    assert cli.emu.transfer_state(tracking_id) == "ACTIVE"


async def test_quiet_prints_only_the_tracking_id(cli: Cli, files: list[Path]) -> None:
    result = await cli("send", str(files[1]), "--to", BOB, *NAME_PHONE, "--quiet")
    assert result.code == 0
    assert result.err == ""
    tracking_id = result.out.strip()
    assert result.out == tracking_id + "\n"
    assert tracking_id in cli.emu.store.transfers


async def test_settings_come_from_the_environment_too(
    cli: Cli, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRYPTSHARE_SENDER_NAME", "Alice Env")
    monkeypatch.setenv("CRYPTSHARE_SENDER_PHONE", "+49 2")
    monkeypatch.setenv("TRANSFER_PW", "Correct-Horse-42!")
    result = await cli(
        "send", str(files[1]), "--to", BOB, "--password-env", "TRANSFER_PW", "--expiration", "3d"
    )
    assert result.code == 0, result.err
    tracking_id = result.out.split()[-1]
    transfer = cli.emu.transfer(tracking_id)
    assert transfer.password == "Correct-Horse-42!"
    assert transfer.password_mode == "MANUAL"
    assert transfer.settings["sender"] == {"name": "Alice Env", "phone": "+49 2"}
    left = transfer.expires_at - datetime.now(UTC)
    assert timedelta(days=2, hours=23) < left <= timedelta(days=3)


async def test_a_missing_file_fails_before_any_request(cli: Cli, files: list[Path]) -> None:
    result = await cli("send", str(files[0]), "nope.pdf", "--to", BOB, *NAME_PHONE)
    assert result.code == 1
    assert result.err == "error: nope.pdf: no such file\n"
    assert result.out == ""
    assert cli.emu.requests == []


async def test_a_directory_fails_before_any_request(cli: Cli, files: list[Path]) -> None:
    folder = files[0].parent
    result = await cli("send", str(folder), "--to", BOB, *NAME_PHONE)
    assert result.code == 1
    assert result.error_lines == [f"error: {folder} is a directory"]
    assert cli.emu.requests == []


async def test_a_bad_address_fails_before_any_request(cli: Cli, files: list[Path]) -> None:
    result = await cli("send", str(files[1]), "--to", "bob-at-example.org", *NAME_PHONE)
    assert result.code == 1
    assert result.error_lines == [
        "error: to recipient 'bob-at-example.org' is not of the form local-part@domain"
    ]
    assert cli.emu.requests == []


async def test_two_files_with_one_name_fail_before_any_request(
    cli: Cli, files: list[Path], tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("another note\n")
    result = await cli("send", str(files[1]), str(other / "note.txt"), "--to", BOB, *NAME_PHONE)
    assert result.code == 1
    assert "would both be sent as 'note.txt'" in result.err
    assert "hint: file names must be unique" in result.err
    assert cli.emu.requests == []


async def test_usage_errors_exit_2_before_any_request(cli: Cli, files: list[Path]) -> None:
    note = str(files[1])
    cases = {
        "no recipient": ["send", note, *NAME_PHONE],
        "no name": ["send", note, "--to", BOB, "--phone", "1"],
        "subject alone": ["send", note, "--to", BOB, *NAME_PHONE, "--subject", "x"],
        "bad expiration": ["send", note, "--to", BOB, *NAME_PHONE, "--expiration", "soon"],
        "past expiration": ["send", note, "--to", BOB, *NAME_PHONE, "--expiration", "2001-01-01"],
        "bad checksum": ["send", note, "--to", BOB, *NAME_PHONE, "--checksum", "md5"],
        "zero concurrency": ["send", note, "--to", BOB, *NAME_PHONE, "--concurrency", "0"],
        "password, mode none": [
            "send",
            note,
            "--to",
            BOB,
            *NAME_PHONE,
            "--password-mode",
            "none",
            "--password-env",
            "X",
        ],
        "unset password variable": [
            "send",
            note,
            "--to",
            BOB,
            *NAME_PHONE,
            "--password-env",
            "NOT_SET_ANYWHERE",
        ],
    }
    for case, argv in cases.items():
        result = await cli(*argv)
        assert result.code == 2, (case, result.err)
        assert "error:" in result.err, case
        assert "Traceback" not in result.err, case
    assert cli.emu.requests == []


async def test_a_failed_upload_removes_files_and_session(cli: Cli, files: list[Path]) -> None:
    cli.emu.add_fault(FaultRule(method="PUT", path="*/content", status=400))
    result = await cli("send", *map(str, files), "--to", BOB, *NAME_PHONE, "--concurrency", "1")
    assert result.code == 1
    assert len(result.error_lines) == 1
    assert "HTTP 400" in result.error_lines[0]
    assert "deleted transfer session" in result.err
    assert "Traceback" not in result.err
    assert cli.emu.store.sessions == {}
    assert cli.emu.store.transfers == {}
    deletes = [r.path for r in cli.emu.requests if r.method == "DELETE"]
    assert any("/files/" in path for path in deletes)
    assert any(path.endswith("/transfer-sessions/" + path.rsplit("/", 1)[1]) for path in deletes)


async def test_wait_timeout_exits_4_with_the_tracking_id(cli: Cli, files: list[Path]) -> None:
    cli.emu.add_fault(FaultRule(method="GET", path=f"/api/users/{SENDER}/transfers/*", delay=0.5))
    result = await cli(
        "send", str(files[1]), "--to", BOB, *NAME_PHONE, "--wait", "--wait-timeout", "0.1"
    )
    assert result.code == 4
    assert result.error_lines and "did not become active within 0.1 s" in result.error_lines[0]
    tracking_id = result.out.split()[-1]
    assert result.out == f"tracking id  {tracking_id}\n"  # the transfer exists: its id
    assert f"check it later with: cryptshare-async status {tracking_id}" in result.err

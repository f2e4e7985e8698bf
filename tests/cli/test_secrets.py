"""Secrets (client id, token, transfer password) never reach stdout or stderr, and are
never taken from a plain command-line value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import BOB, Cli, Result

PASSWORD = "S3cret-Passw0rd!x"


@pytest.mark.cryptshare_api_version(1, 12)
async def test_no_secret_in_any_output(
    cli: Cli, files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW", PASSWORD)
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD)
    password_file.chmod(0o600)
    results: list[Result] = [await cli("verify"), await cli("verify", "--json")]
    sent = await cli(
        "send", *map(str, files), "--to", BOB, "--name", "A", "--phone", "1",
        "--password-env", "PW", "--wait", "--poll-interval", "0.02", "--json", "--debug",
    )  # fmt: skip
    results.append(sent)
    tracking_id = sent.json()["tracking_id"]
    transfer_id = cli.emu.recipient_transfer_ids(tracking_id)[BOB]
    for argv in (
        ["status", tracking_id, "--json"],
        ["status", tracking_id],
        ["sent", "--json"],
        ["received", "--sender", BOB, "--json"],
        ["download", transfer_id, "--list", "--password-file", str(password_file)],
        ["download", transfer_id, "--to", str(tmp_path / "d"), "--password-env", "PW"],
        ["download", transfer_id, "--to", str(tmp_path / "e"), "--password-file", "/nope"],
        ["revoke", tracking_id, "--debug"],
        ["revoke", tracking_id, "--debug"],  # an error, with its traceback
    ):
        results.append(await cli(*argv))
    monkeypatch.setenv("PW", PASSWORD[::-1])
    results.append(await cli("download", transfer_id, "--to", str(tmp_path / "f"), "--debug"))
    assert [r.code for r in results] == [0] * 9 + [1, 0, 1, 1]

    store = cli.home / ".config" / "cryptshare-async" / "tokens.json"
    tokens = [entry["token"] for entry in json.loads(store.read_text()).values()]
    assert tokens
    secrets = [cli.emu.client_id, PASSWORD, PASSWORD[::-1], *tokens]
    for result in results:
        for secret in secrets:
            assert secret not in result.out
            assert secret not in result.err


async def test_secrets_given_as_plain_options_are_refused_without_echo(
    cli: Cli, files: list[Path]
) -> None:
    secret = "A" * 60
    cases = [
        ("status", "x", "--client-id", secret),
        ("status", "x", f"--client-id={secret}"),
        ("--client-id", secret, "status", "x"),
        ("send", str(files[1]), "--to", BOB, "--name", "A", "--phone", "1", "--password", secret),
        ("download", "x7Hk2pQr9a", "--to", "d", f"--password={secret}"),
    ]
    for argv in cases:
        result = await cli(*argv)
        assert result.code == 2, argv
        assert secret not in result.err and secret not in result.out
        assert "is refused: other users can read command lines (ps)" in result.err
    assert cli.emu.requests == []


async def test_client_id_from_a_file(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRYPTSHARE_CLIENT_ID")
    path = tmp_path / "client-id"
    path.write_text(cli.emu.client_id + "\n")
    path.chmod(0o644)
    result = await cli("verify", "--client-id-file", str(path))
    assert result.code == 0, result.err
    assert f"warning: the client id file {path} can be read by other users" in result.err
    path.chmod(0o600)
    quiet = await cli("verify", "--client-id-file", str(path), "-q")
    assert quiet.code == 0
    assert quiet.err == ""
    token_calls = [r for r in cli.emu.requests if r.path.endswith("/verification/token")]
    assert all(r.header("X-CS-ClientId") == cli.emu.client_id for r in token_calls)


async def test_bad_client_id_is_reported_without_the_value(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRYPTSHARE_CLIENT_ID", "short-and-wrong")
    result = await cli("verify")
    assert result.code == 2
    assert "short-and-wrong" not in result.err
    assert result.error_lines[0].startswith(
        "error: the client id from CRYPTSHARE_CLIENT_ID is not valid: it must be 50 to 4000"
    )
    assert "generate_client_id" not in result.err
    assert "hint: check CRYPTSHARE_CLIENT_ID" in result.err
    assert cli.emu.requests == []

"""Global options and the command line's own behaviour: help, version, usage errors,
language, insecure http, an unreachable server, prompts on a terminal."""

from __future__ import annotations

import getpass
import io
from pathlib import Path

import pytest

from cryptshare_async import __version__

from .conftest import BOB, Cli


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_help_version_and_usage_errors(cli: Cli) -> None:
    version = await cli("--version")
    assert (version.code, version.out) == (0, f"cryptshare-async {__version__}\n")
    usage = await cli("--help")
    assert usage.code == 0
    for command in ("verify", "send", "status", "wait", "revoke", "sent", "received"):
        assert command in usage.out
    assert "CRYPTSHARE_CLIENT_ID" in usage.out
    send_help = await cli("send", "--help")
    assert send_help.code == 0 and "--password-env VAR" in send_help.out
    for argv in (
        ["frobnicate"],
        [],
        ["status"],
        ["sent", "--jso"],
        ["sent", "--active", "--inactive"],
    ):
        result = await cli(*argv)
        assert result.code == 2, argv
        assert "error:" in result.err
    assert cli.emu.requests == []


async def test_language_is_sent(cli: Cli) -> None:
    result = await cli("verify", "--language", "de")
    assert result.code == 0, result.err
    assert cli.emu.requests[-1].header("Accept-Language") == "de"


async def test_plain_http_to_another_host_needs_the_flag(cli: Cli) -> None:
    result = await cli("verify", "--url", "http://share.example.com")
    assert result.code == 2
    assert result.error_lines[0].startswith("error: refusing plain http:// for share.example.com")
    assert "pass --allow-insecure-http (or set CRYPTSHARE_ALLOW_INSECURE_HTTP=1)" in result.err
    assert "allow_insecure_http" not in result.err
    assert cli.emu.requests == []


async def test_an_unreachable_server_is_one_error_with_a_hint(cli: Cli) -> None:
    result = await cli("verify", "--url", "http://127.0.0.1:9")
    assert result.code == 1
    assert len(result.error_lines) == 1
    assert "hint: check the server URL" in result.err
    assert "Traceback" not in result.err


async def test_send_asks_twice_for_a_manual_password_on_a_terminal(
    cli: Cli, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["Typed-Passw0rd!", "Typed-Passw0rd!", "one", "other"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    argv = ["send", str(files[1]), "--to", BOB, "--name", "A", "--phone", "1"]
    result = await cli(*argv, "--password-mode", "manual", "-q", stdin=Terminal())
    assert result.code == 0, result.err
    assert cli.emu.transfer(result.out.strip()).password == "Typed-Passw0rd!"
    requests = len(cli.emu.requests)
    differ = await cli(*argv, "--password-mode", "manual", stdin=Terminal())
    assert differ.code == 1
    assert differ.err == "error: the two passwords differ\n"
    assert len(cli.emu.requests) == requests


async def test_download_asks_for_the_password_on_a_terminal(
    cli: Cli, files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracking_id = await cli.send(files[1])
    password = cli.emu.transfer_password(tracking_id)
    assert password is not None
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": password)
    transfer_id = cli.emu.recipient_transfer_ids(tracking_id)[BOB]
    result = await cli("download", transfer_id, "--to", str(tmp_path / "d"), stdin=Terminal())
    assert result.code == 0, result.err
    assert (tmp_path / "d" / "note.txt").read_bytes() == files[1].read_bytes()

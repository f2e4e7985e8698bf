"""Exit statuses, JSON errors, URL and setting checks, and hints that speak the command
line's language (never a library argument, never advice that does not apply)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from cryptshare_async import generate_client_id
from cryptshare_async.cli import main
from cryptshare_async.cli._settings import UsageError, resolve_connection
from cryptshare_async.testing import EICAR_SIGNATURE

from .conftest import BOB, Cli

NAME_PHONE = ("--name", "Alice", "--phone", "+49 1")
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Starts a misbehaving HTTP peer on 127.0.0.1; its URL."""
    servers: list[asyncio.Server] = []
    handlers: set[asyncio.Task[None]] = set()

    async def start(handler: Handler) -> str:
        async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            try:
                await handler(reader, writer)
            finally:
                writer.close()

        server = await asyncio.start_server(tracked, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()
    for task in handlers:
        task.cancel()
    await asyncio.gather(*handlers, return_exceptions=True)
    for server in servers:
        await server.wait_closed()


async def _read_head(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


def _json_error(err: str) -> dict[str, object]:
    lines = [line for line in err.splitlines() if line.startswith("{")]
    assert len(lines) == 1, err
    document = json.loads(lines[0])
    assert set(document) == {"error"}
    error: dict[str, object] = document["error"]
    return error


@pytest.mark.parametrize(
    "url",
    [
        "share.example.com",
        "ftp://share.example.com",
        "https://",
        "http://[::1",
        "https://u:secret@share.example.com",
        "https://x?y=1",
    ],
)
async def test_a_malformed_url_is_a_usage_error_like_a_missing_one(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    malformed = await cli("status", "20200101-000000-AAAAAAAA", "--url", url)
    monkeypatch.delenv("CRYPTSHARE_URL")
    missing = await cli("status", "20200101-000000-AAAAAAAA")
    assert malformed.code == missing.code == 2
    assert len(malformed.error_lines) == 1
    assert "base_url" not in malformed.err
    assert cli.emu.requests == []


async def test_json_errors_are_json_for_usage_failure_and_settings(cli: Cli) -> None:
    usage = await cli("frobnicate", "--json")
    assert usage.code == 2 and usage.out == ""
    assert _json_error(usage.err)["exit_code"] == 2
    bad_option = await cli("status", "--json", "--nope")
    assert _json_error(bad_option.err)["exit_code"] == 2
    missing = await cli("status", "20200101-000000-AAAAAAAA", "--json", "--url", "nope")
    assert missing.code == 2
    assert "not an absolute http(s) URL" in str(_json_error(missing.err)["message"])
    failed = await cli("status", "20200101-000000-AAAAAAAA", "--json")
    assert failed.code == 1 and failed.out == ""
    error = _json_error(failed.err)
    assert error["exit_code"] == 1 and "HTTP 404" in str(error["message"])
    assert not [line for line in failed.err.splitlines() if line.startswith("error:")]


async def test_verify_status_exits_3_until_verified(cli: Cli) -> None:
    assert (await cli("verify", "--status")).code == 3
    assert (await cli("verify", "-q")).code == 0
    assert (await cli("verify", "--status")).code == 0


@pytest.mark.parametrize("command", ["verify", "send"])
async def test_a_client_id_that_is_not_whitelisted_gets_the_whitelist_hint(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, files: list[Path], command: str
) -> None:
    monkeypatch.setenv("CRYPTSHARE_CLIENT_ID", generate_client_id())
    argv = ["verify"] if command == "verify" else ["send", str(files[1]), "--to", BOB, *NAME_PHONE]
    result = await cli(*argv)
    assert result.code == 3, result.err
    assert "whitelist" in result.err
    assert "verify --email-code" in result.err
    assert "verify the sender again" not in result.err


async def test_revoking_a_failed_transfer_says_so(cli: Cli, tmp_path: Path) -> None:
    virus = tmp_path / "eicar.txt"
    virus.write_bytes(EICAR_SIGNATURE)
    sent = await cli(
        "send", str(virus), "--to", BOB, *NAME_PHONE, "--wait", "--poll-interval", "0.02", "-q"
    )
    assert sent.code == 1, sent.err
    tracking_id = sent.out.strip()
    result = await cli("revoke", tracking_id)
    assert result.code == 1
    assert result.error_lines == [
        f"error: transfer {tracking_id} is FAILED: only an ACTIVE transfer can be revoked"
    ]
    assert "transfer rule" not in result.err
    assert not [r for r in cli.emu.requests if r.path.endswith("/revoke")]


async def test_a_redirect_without_location_is_named_once(
    cli: Cli, raw_server: Callable[[Handler], Awaitable[str]]
) -> None:
    async def moved(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_head(reader)
        body = b"301: Moved Permanently"
        writer.write(
            b"HTTP/1.1 301 Moved Permanently\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()

    url = await raw_server(moved)
    result = await cli("status", "20200101-000000-AAAAAAAA", "--url", url)
    assert result.code == 1
    assert len(result.error_lines) == 1
    assert "HTTP 301" in result.err and "301: 301" not in result.err
    assert "redirect" in result.error_lines[0]
    assert "hint: check the server URL" in result.err


@pytest.mark.parametrize("how", ["option", "environment"])
async def test_timeout_bounds_a_server_that_never_answers(
    cli: Cli,
    raw_server: Callable[[Handler], Awaitable[str]],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_head(reader)
        await asyncio.sleep(30)

    url = await raw_server(silent)
    extra = ["--timeout", "0.3"] if how == "option" else []
    if how == "environment":
        monkeypatch.setenv("CRYPTSHARE_TIMEOUT", "0.3")
    start = time.monotonic()
    result = await cli("status", "20200101-000000-AAAAAAAA", "--url", url, *extra)
    assert time.monotonic() - start < 20  # bound, not speed: the server stalls 30 s
    assert result.code == 1
    assert len(result.error_lines) == 1


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CRYPTSHARE_TIMEOUT", "0"),
        ("CRYPTSHARE_TIMEOUT", "soon"),
        ("CRYPTSHARE_ALLOW_INSECURE_HTTP", "maybe"),
    ],
)
async def test_bad_settings_in_the_environment_are_usage_errors(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = await cli("status", "20200101-000000-AAAAAAAA")
    assert result.code == 2
    assert variable in result.error_lines[0]
    assert cli.emu.requests == []


async def test_bad_timeout_option_is_a_usage_error(cli: Cli) -> None:
    for value in ("0", "-1", "inf", "x"):
        result = await cli("status", "20200101-000000-AAAAAAAA", "--timeout", value)
        assert result.code == 2, value
    assert cli.emu.requests == []


async def test_language_from_the_environment(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTSHARE_LANGUAGE", "de")
    assert (await cli("verify", "-q")).code == 0
    assert cli.emu.requests[-1].header("Accept-Language") == "de"


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_insecure_http_from_the_environment(value: str) -> None:
    args = argparse.Namespace()
    env = {
        "CRYPTSHARE_URL": "http://share.example.com",
        "CRYPTSHARE_CLIENT_ID": generate_client_id(),
    }
    with pytest.raises(UsageError, match="refusing plain http"):
        resolve_connection(args, env, console=None)  # type: ignore[arg-type]
    connection = resolve_connection(
        args,
        {**env, "CRYPTSHARE_ALLOW_INSECURE_HTTP": value},
        console=None,  # type: ignore[arg-type]
    )
    assert connection.allow_insecure_http


@pytest.mark.parametrize(
    "option", [["--url", "http://127.0.0.1:1"], ["--sender", "x@example.com"], ["--language", "de"]]
)
def test_demo_refuses_options_it_would_ignore(
    option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", *option]) == 2
    err = capsys.readouterr().err
    assert f"demo does not take {option[0]}" in err

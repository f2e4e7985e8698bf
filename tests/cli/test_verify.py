"""``verify``: by client id, by an emailed code (from standard input), the status."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

from cryptshare_async.testing import Emulator

from .conftest import SENDER, Cli


def token_store(cli: Cli) -> Path:
    return cli.home / ".config" / "cryptshare-async" / "tokens.json"


async def test_verify_by_client_id_keeps_the_token(cli: Cli) -> None:
    result = await cli("verify")
    assert result.code == 0, result.err
    assert result.out.startswith(f"verified {SENDER} by client id; the token is valid until ")
    store = token_store(cli)
    assert result.err == f"token kept in {store}\n"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    (entry,) = json.loads(store.read_text()).values()
    assert entry["token"]

    calls = len(cli.emu.requests)
    status = await cli("status", "20200101-000000-AAAAAAAA")  # uses the kept token
    assert status.code == 1
    assert not any(r.path.endswith("/verification/token") for r in cli.emu.requests[calls:])


async def test_verify_json_and_explicit_token_store(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "elsewhere" / "t.json"
    result = await cli("verify", "--json", "--token-store", str(store))
    assert result.code == 0, result.err
    document = result.json()
    assert document["sender"] == SENDER
    assert document["verified"] is True
    assert document["method"] == "client_id"
    assert document["token_store"] == str(store)
    assert store.exists()
    assert not token_store(cli).exists()


async def test_no_token_store_writes_nothing(cli: Cli) -> None:
    result = await cli("verify", "--no-token-store")
    assert result.code == 0, result.err
    assert not token_store(cli).exists()


class CodeFromOutbox(io.StringIO):
    """Standard input whose line is the code the emulator mailed, read when asked for."""

    def __init__(self, emu: Emulator) -> None:
        super().__init__()
        self._emu = emu

    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]
        return self._emu.verification_code(SENDER) + "\n"


async def test_verify_by_emailed_code_from_stdin(cli: Cli) -> None:
    result = await cli("verify", "--email-code", "--code-from-stdin", stdin=CodeFromOutbox(cli.emu))
    assert result.code == 0, result.err
    assert f"a verification code was mailed to {SENDER}" in result.err
    assert result.out.startswith(f"verified {SENDER} by email code")
    assert len(cli.emu.outbox.filter(kind="verification_code", to=SENDER)) == 1


async def test_wrong_code_fails(cli: Cli) -> None:
    result = await cli("verify", "--email-code", "--code-from-stdin", stdin="000000\n")
    assert result.code == 3
    assert len(result.error_lines) == 1
    assert "did not accept the verification code" in result.error_lines[0]
    assert "hint: codes expire; ask for a new one" in result.err
    assert "verify the sender again" not in result.err
    assert not token_store(cli).exists()


async def test_email_code_without_terminal_fails_before_mailing(cli: Cli) -> None:
    result = await cli("verify", "--email-code", stdin="")
    assert result.code == 1
    assert result.err.splitlines() == [
        "error: no terminal to ask for the verification code",
        "hint: pass --code-from-stdin and write the code to standard input",
    ]
    assert cli.emu.requests == []
    assert len(cli.emu.outbox) == 0


async def test_verification_status(cli: Cli) -> None:
    before = await cli("verify", "--status", "--json")
    assert before.code == 3, before.err
    assert before.json()["verified"] is False
    assert (await cli("verify", "-q")).code == 0
    after = await cli("verify", "--status")
    assert after.out.splitlines()[0] == f"{SENDER}: verified"

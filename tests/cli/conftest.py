"""Running the command line in-process against the plugin's emulator.

``main()`` runs its own event loop (``asyncio.run``), so each call runs in a worker thread
while the test's loop keeps serving the emulator. Output is captured with ``capsys``;
settings come from the environment (``monkeypatch``), with the token store in a
temporary ``XDG_CONFIG_HOME``.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cryptshare_async.cli import main
from cryptshare_async.testing import Emulator, EmulatorConfig

SENDER = "alice@example.com"
BOB = "bob@example.org"
CAROL = "carol@example.net"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.out.splitlines()]

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error:")]


class Cli:
    """Calls ``main(argv)`` in a thread; ``stdin`` replaces standard input for the call."""

    def __init__(
        self,
        emu: Emulator,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        home: Path,
    ) -> None:
        self.emu = emu
        self.home = home
        self._capsys = capsys
        self._monkeypatch = monkeypatch

    async def __call__(self, *argv: str, stdin: io.TextIOBase | str | None = None) -> Result:
        if stdin is not None:
            stream = io.StringIO(stdin) if isinstance(stdin, str) else stdin
            self._monkeypatch.setattr(sys, "stdin", stream)
        self._capsys.readouterr()
        try:
            code = await asyncio.to_thread(main, list(argv))
        finally:
            captured = self._capsys.readouterr()
            if stdin is not None:
                self._monkeypatch.setattr(sys, "stdin", sys.__stdin__)
        return Result(code, captured.out, captured.err)

    async def send(
        self, *files: Path, to: Sequence[str] = (BOB,), extra: Sequence[str] = ()
    ) -> str:
        """Send ``files`` and wait until the transfer is active; its tracking id."""
        args = ["send", *map(str, files), "--name", "Alice", "--phone", "+49 1", "--quiet"]
        for address in to:
            args += ["--to", address]
        args += ["--wait", "--poll-interval", "0.02", *extra]
        result = await self(*args)
        assert result.code == 0, result.err
        assert result.err == ""
        return result.out.strip()


@pytest.fixture
def cryptshare_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(processing_seconds=0.0, seed=4242)


@pytest.fixture
def env(
    cryptshare_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, str]:
    """The settings every command reads, pointing at the emulator."""
    home = tmp_path / "home"
    home.mkdir()
    values = {
        "CRYPTSHARE_URL": cryptshare_emulator.url,
        "CRYPTSHARE_CLIENT_ID": cryptshare_emulator.client_id,
        "CRYPTSHARE_SENDER": SENDER,
        "XDG_CONFIG_HOME": str(home / ".config"),
        "HOME": str(home),
    }
    for name in (
        "CRYPTSHARE_TOKEN_STORE",
        "CRYPTSHARE_SENDER_NAME",
        "CRYPTSHARE_SENDER_PHONE",
        "CRYPTSHARE_TIMEOUT",
        "CRYPTSHARE_LANGUAGE",
        "CRYPTSHARE_ALLOW_INSECURE_HTTP",
        "COLUMNS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def cli(
    cryptshare_emulator: Emulator,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Cli:
    return Cli(cryptshare_emulator, capsys, monkeypatch, tmp_path / "home")


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    """Two files to send: some binary data and a short text."""
    folder = tmp_path / "outgoing"
    folder.mkdir()
    data = folder / "data.bin"
    data.write_bytes(bytes(range(256)) * 4096 + b"tail")  # 1 MiB + 4 bytes
    note = folder / "note.txt"
    note.write_text("hello bob\n")
    return [data, note]

"""What every command gets: its parsed arguments, the environment and the console.

Example::

    async def run_status(ctx: Context) -> int:
        async with ctx.connection().client() as client:
            status = await client.sender(ctx.sender_email()).transfer(tid).status()
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass

from ._console import Console
from ._progress import ProgressBoard
from ._settings import Connection, resolve_connection, resolve_sender

__all__ = ["Context"]


@dataclass(frozen=True)
class Context:
    """One command run: ``args`` as parsed, ``env`` to read settings from, ``console``."""

    args: argparse.Namespace
    env: Mapping[str, str]
    console: Console

    def connection(self) -> Connection:
        return resolve_connection(self.args, self.env, self.console)

    def sender_email(self) -> str:
        return resolve_sender(self.args, self.env)

    def progress(self, verb: str) -> ProgressBoard:
        """A progress board on stderr: bars on a terminal, plain lines elsewhere."""
        mode = ProgressBoard.mode_for(self.console.stderr, quiet=self.console.quiet)
        return ProgressBoard(self.console.stderr, mode=mode, verb=verb)

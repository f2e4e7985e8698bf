"""Where the command line's settings and secrets come from.

Precedence: an option on the command line, then the environment. Secrets (the client
id, transfer passwords, verification codes) are never taken from a plain command-line
value, because other users can read command lines (``ps``): they come from the
environment, a file, standard input or a terminal prompt. Their values never appear in
an error message.

Example::

    connection = resolve_connection(args, os.environ)
    async with connection.client() as client:
        ...
"""

from __future__ import annotations

import argparse
import getpass
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .. import CryptshareClient, FileTokenStore, MemoryTokenStore, TokenStore
from ._console import Console, isatty

__all__ = [
    "ENV_CLIENT_ID",
    "ENV_SENDER",
    "ENV_TOKEN_STORE",
    "ENV_URL",
    "CliError",
    "Connection",
    "UsageError",
    "default_token_store",
    "prompt_secret",
    "read_secret",
    "read_secret_file",
    "resolve_connection",
    "resolve_sender",
]

ENV_URL = "CRYPTSHARE_URL"
ENV_CLIENT_ID = "CRYPTSHARE_CLIENT_ID"
ENV_SENDER = "CRYPTSHARE_SENDER"
ENV_TOKEN_STORE = "CRYPTSHARE_TOKEN_STORE"


class CliError(Exception):
    """An expected failure of the command line itself: message, optional hint, exit code."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(CliError):
    """The command was called wrongly (a missing setting, conflicting options): exit 2."""

    exit_code = 2


def default_token_store(env: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME/cryptshare-async/tokens.json`` (``~/.config`` by default).

    Example::

        >>> default_token_store({"XDG_CONFIG_HOME": "/cfg"}).as_posix()
        '/cfg/cryptshare-async/tokens.json'
    """
    base = env.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "cryptshare-async" / "tokens.json"


def _check_private(path: Path, what: str, console: Console) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) and mode & 0o077:
        console.warn(f"the {what} file {path} can be read by other users; chmod 600 it")


def read_secret_file(path: str, what: str, console: Console) -> str:
    """The first line of ``path`` without surrounding white space (``-``: standard input).

    Example::

        client_id = read_secret_file("~/.config/cryptshare-async/client-id", "client id", c)
    """
    if path == "-":
        text = sys.stdin.readline()
    else:
        file = Path(path).expanduser()
        if file.is_dir():
            raise CliError(f"the {what} file {file} is a directory")
        _check_private(file, what, console)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CliError(f"the {what} file {file} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise CliError(f"cannot read the {what} file {file}: {reason}") from None
    lines = text.splitlines()
    value = lines[0].strip() if lines else ""
    if not value:
        raise CliError(f"the {what} file {path} is empty")
    return value


def prompt_secret(prompt: str, *, stdin: TextIO, what: str, hint: str) -> str:
    """Ask on the terminal without echoing; a :class:`CliError` when there is none."""
    if not isatty(stdin):
        raise CliError(f"no terminal to ask for the {what}", hint=hint)
    try:
        value = getpass.getpass(prompt)
    except EOFError:
        value = ""
    value = value.strip()
    if not value:
        raise CliError(f"no {what} given")
    return value


def read_secret(
    args: argparse.Namespace,
    env: Mapping[str, str],
    console: Console,
    *,
    what: str,
    prompt: str | None,
    hint: str,
) -> str | None:
    """A secret from ``--password-env VAR`` or ``--password-file PATH``, else prompted
    (when ``prompt`` is given), else ``None``."""
    variable: str | None = getattr(args, "password_env", None)
    path: str | None = getattr(args, "password_file", None)
    if variable is not None:
        value = env.get(variable)
        if value is None or not value.strip():
            raise UsageError(f"the environment variable {variable} is not set or empty")
        return value.strip()
    if path is not None:
        return read_secret_file(path, what, console)
    if prompt is None:
        return None
    return prompt_secret(prompt, stdin=sys.stdin, what=what, hint=hint)


@dataclass(frozen=True)
class Connection:
    """How to reach the server: what :meth:`client` builds a client from."""

    url: str
    client_id: str = field(repr=False)
    token_store: Path | None
    language: str | None
    allow_insecure_http: bool

    def client(self) -> CryptshareClient:
        """A new client (use it with ``async with``)."""
        store: TokenStore = (
            FileTokenStore(self.token_store) if self.token_store is not None else MemoryTokenStore()
        )
        return CryptshareClient(
            self.url,
            client_id=self.client_id,
            language=self.language,
            allow_insecure_http=self.allow_insecure_http,
            token_store=store,
        )


def resolve_connection(
    args: argparse.Namespace, env: Mapping[str, str], console: Console
) -> Connection:
    """The server URL, the client id and the token store, from options and environment."""
    url = getattr(args, "url", None) or env.get(ENV_URL)
    if not url:
        raise UsageError(f"no server URL: pass --url URL or set {ENV_URL}")
    client_id_file: str | None = getattr(args, "client_id_file", None)
    if client_id_file is not None:
        client_id = read_secret_file(client_id_file, "client id", console)
    else:
        client_id = env.get(ENV_CLIENT_ID, "").strip()
        if not client_id:
            raise UsageError(
                f"no client id: set {ENV_CLIENT_ID} or pass --client-id-file PATH",
                hint="your Cryptshare administrator can whitelist a client id for you",
            )
    token_store: Path | None = None
    if not getattr(args, "no_token_store", False):
        chosen = getattr(args, "token_store", None) or env.get(ENV_TOKEN_STORE)
        token_store = Path(chosen).expanduser() if chosen else default_token_store(env)
    return Connection(
        url=url,
        client_id=client_id,
        token_store=token_store,
        language=getattr(args, "language", None),
        allow_insecure_http=bool(getattr(args, "allow_insecure_http", False)),
    )


def resolve_sender(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    """The sender address from ``--sender`` or ``CRYPTSHARE_SENDER``."""
    sender = getattr(args, "sender", None) or env.get(ENV_SENDER, "").strip()
    if not sender:
        raise UsageError(f"no sender address: pass --sender EMAIL or set {ENV_SENDER}")
    return str(sender)

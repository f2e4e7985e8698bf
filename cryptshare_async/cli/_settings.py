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
import ipaddress
import math
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from yarl import URL

from .. import (
    ConfigurationError,
    CryptshareClient,
    FileTokenStore,
    MemoryTokenStore,
    Timeouts,
    TokenStore,
)
from ._console import Console, isatty

__all__ = [
    "ENV_ALLOW_INSECURE_HTTP",
    "ENV_CLIENT_ID",
    "ENV_LANGUAGE",
    "ENV_SENDER",
    "ENV_TIMEOUT",
    "ENV_TOKEN_STORE",
    "ENV_URL",
    "CliError",
    "Connection",
    "UsageError",
    "check_server_url",
    "default_token_store",
    "parse_seconds",
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
ENV_TIMEOUT = "CRYPTSHARE_TIMEOUT"
ENV_LANGUAGE = "CRYPTSHARE_LANGUAGE"
ENV_ALLOW_INSECURE_HTTP = "CRYPTSHARE_ALLOW_INSECURE_HTTP"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


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


def parse_seconds(text: str, what: str) -> float:
    """A number of seconds > 0 (a :class:`ValueError` naming ``what`` otherwise).

    Example::

        >>> parse_seconds("2.5", "--timeout")
        2.5
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} is not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{what} must be a number of seconds > 0, got {text}")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_server_url(text: str, *, allow_insecure_http: bool) -> None:
    """Refuse a server URL the client could not use, as a usage error (exit 2), with the
    command line's own advice. Never echoes a URL that carries a password.

    Example::

        check_server_url("https://share.example.com", allow_insecure_http=False)
    """
    try:
        url = URL(text)
        host = url.host
    except ValueError:
        host, url = None, None
    if url is not None and (url.user is not None or url.password is not None):
        raise UsageError(
            "the server URL must not carry a user or password (user:password@host)",
            hint="the server is reached with the client id and verification tokens alone",
        )
    if url is None or url.scheme not in {"http", "https"} or not host:
        raise UsageError(
            f"the server URL {text!r} is not an absolute http(s) URL",
            hint="give the server root, e.g. --url https://share.example.com",
        )
    if url.query_string or url.fragment:
        raise UsageError(f"the server URL {text!r} must not carry a query string or fragment")
    if url.scheme == "http" and not allow_insecure_http and not _is_loopback(host):
        raise UsageError(
            f"refusing plain http:// for {host}: tokens and files would travel unencrypted",
            hint=f"use https://, or pass --allow-insecure-http (or set {ENV_ALLOW_INSECURE_HTTP}=1)"
            " if you really mean it",
        )


def _check_client_id(client_id: str, source: str) -> None:
    # The library checks this too, but its message names its own functions.
    if not (50 <= len(client_id) <= 4000 and client_id.isascii() and client_id.isalnum()):
        raise UsageError(
            f"the client id from {source} is not valid: it must be 50 to 4000 letters (A-Z,"
            f" a-z) and digits, got {len(client_id)} characters",
            hint=f"check {ENV_CLIENT_ID} or the --client-id-file; your Cryptshare administrator"
            " can tell you the client id to use",
        )


def _flag(args: argparse.Namespace, name: str, env: Mapping[str, str], variable: str) -> bool:
    if getattr(args, name, False):
        return True
    text = env.get(variable, "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"{variable} must be 1 or 0 (true/false, yes/no), got {text!r}")


def _timeout(args: argparse.Namespace, env: Mapping[str, str]) -> float | None:
    given: float | None = getattr(args, "timeout", None)
    if given is not None:
        return given
    text = env.get(ENV_TIMEOUT, "").strip()
    if not text:
        return None
    try:
        return parse_seconds(text, ENV_TIMEOUT)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@dataclass(frozen=True)
class Connection:
    """How to reach the server: what :meth:`client` builds a client from.

    ``timeout`` bounds connecting and each wait for the next bytes of an answer
    (``None``: the library's defaults).
    """

    url: str
    client_id: str = field(repr=False)
    token_store: Path | None
    language: str | None
    allow_insecure_http: bool
    timeout: float | None = None

    def client(self) -> CryptshareClient:
        """A new client (use it with ``async with``)."""
        store: TokenStore = (
            FileTokenStore(self.token_store) if self.token_store is not None else MemoryTokenStore()
        )
        seconds = self.timeout
        timeouts = None if seconds is None else Timeouts(connect=seconds, read=seconds)
        try:
            return CryptshareClient(
                self.url,
                client_id=self.client_id,
                language=self.language,
                allow_insecure_http=self.allow_insecure_http,
                timeouts=timeouts,
                token_store=store,
            )
        except ConfigurationError as exc:
            # What is left after check_server_url(): a bad client id or language.
            raise UsageError(str(exc)) from None


def resolve_connection(
    args: argparse.Namespace, env: Mapping[str, str], console: Console
) -> Connection:
    """The server URL, the client id and the token store, from options and environment."""
    url = getattr(args, "url", None) or env.get(ENV_URL)
    if not url:
        raise UsageError(f"no server URL: pass --url URL or set {ENV_URL}")
    allow_insecure_http = _flag(args, "allow_insecure_http", env, ENV_ALLOW_INSECURE_HTTP)
    check_server_url(url, allow_insecure_http=allow_insecure_http)
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
    _check_client_id(client_id, "--client-id-file" if client_id_file else ENV_CLIENT_ID)
    token_store: Path | None = None
    if not getattr(args, "no_token_store", False):
        chosen = getattr(args, "token_store", None) or env.get(ENV_TOKEN_STORE)
        token_store = Path(chosen).expanduser() if chosen else default_token_store(env)
    return Connection(
        url=url,
        client_id=client_id,
        token_store=token_store,
        language=getattr(args, "language", None) or env.get(ENV_LANGUAGE, "").strip() or None,
        allow_insecure_http=allow_insecure_http,
        timeout=_timeout(args, env),
    )


def resolve_sender(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    """The sender address from ``--sender`` or ``CRYPTSHARE_SENDER``."""
    sender = getattr(args, "sender", None) or env.get(ENV_SENDER, "").strip()
    if not sender:
        raise UsageError(f"no sender address: pass --sender EMAIL or set {ENV_SENDER}")
    return str(sender)

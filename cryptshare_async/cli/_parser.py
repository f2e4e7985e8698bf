"""The command line's grammar: global options, one sub-command per task, their help.

The global options are accepted before and after the command
(``cryptshare-async --json status X`` and ``cryptshare-async status X --json``).
Abbreviated options are refused, so that a mistyped option can never swallow a secret.

Example::

    args = build_parser().parse_args(["status", "20240522-065711-H8UoUSI6", "--json"])
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NoReturn

from .. import __version__
from .._waiting import DEFAULT_INTERVAL, DEFAULT_MAX_INTERVAL
from ._exit import EXIT_STATUS_HELP
from ._settings import (
    ENV_ALLOW_INSECURE_HTTP,
    ENV_CLIENT_ID,
    ENV_LANGUAGE,
    ENV_SENDER,
    ENV_TIMEOUT,
    ENV_TOKEN_STORE,
    ENV_URL,
    parse_seconds,
)

__all__ = ["PROG", "ArgumentsError", "build_parser", "parse_expiration"]

PROG = "cryptshare-async"


class _Formatter(argparse.HelpFormatter):
    """Wraps one-paragraph texts; keeps texts of several lines (examples) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


_FORMATTER = _Formatter


class ArgumentsError(Exception):
    """The command line could not be parsed; ``parser`` is the (sub-)command's parser."""

    def __init__(self, message: str, parser: argparse.ArgumentParser) -> None:
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    """Raises :class:`ArgumentsError` instead of printing and exiting, so that ``main``
    reports every usage error the same way (as text, or JSON with ``--json``)."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentsError(message, self)


_EPILOG = f"""\
environment:
  {ENV_URL}            server root, instead of --url
  {ENV_CLIENT_ID}      this installation's client id (or --client-id-file)
  {ENV_SENDER}         sender address, instead of --sender
  {ENV_TOKEN_STORE}    token store file, instead of --token-store
  {ENV_TIMEOUT}        seconds, instead of --timeout
  {ENV_LANGUAGE}       language tag, instead of --language
  {ENV_ALLOW_INSECURE_HTTP}  1 for --allow-insecure-http
  CRYPTSHARE_SENDER_NAME, CRYPTSHARE_SENDER_PHONE   defaults for send --name/--phone

{EXIT_STATUS_HELP}
examples:
  {PROG} demo                     a complete transfer against a local emulator
  export {ENV_URL}=https://share.example.com {ENV_SENDER}=alice@example.com
  export {ENV_CLIENT_ID}=...      (ask your Cryptshare administrator)
  {PROG} verify
  {PROG} send report.pdf --to bob@example.org --name Alice --phone "+49 30 123" --wait
  {PROG} sent --active
  {PROG} status 20240522-065711-H8UoUSI6 --json
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _page_size(text: str) -> int:
    value = _positive_int(text)
    if value > 100:
        raise argparse.ArgumentTypeError(f"the server allows at most 100, got {value}")
    return value


def _size_mib(text: str) -> int:
    value = _positive_int(text)
    if value > 4096:
        raise argparse.ArgumentTypeError(f"at most 4096 MiB, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text}")
    return value


def _timeout(text: str) -> float | None:
    if text.strip() == "0":
        return None
    return _seconds(text)


def _request_timeout(text: str) -> float:
    try:
        return parse_seconds(text, "the timeout")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_DURATION = re.compile(r"(\d+)\s*([hdw]?)")


def parse_expiration(text: str, *, now: datetime | None = None) -> datetime:
    """``7`` or ``7d`` (days), ``36h``, ``2w``, a date (``2025-07-01``: the end of that
    day, local time) or an ISO date and time; it must lie in the future.

    Example::

        >>> start = datetime(2025, 1, 1, 12, 0).astimezone()
        >>> parse_expiration("36h", now=start) - start
        datetime.timedelta(days=1, seconds=43200)
    """
    current = now or datetime.now().astimezone()
    match = _DURATION.fullmatch(text.strip())
    if match:
        count, unit = int(match.group(1)), match.group(2) or "d"
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * count
        if hours < 1:
            raise argparse.ArgumentTypeError("the expiration must lie in the future")
        return current + timedelta(hours=hours)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a duration (7d, 36h, 2w) or an ISO date: {text!r}"
        ) from None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        moment = moment.replace(hour=23, minute=59, second=59)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    if moment <= current:
        raise argparse.ArgumentTypeError(f"the expiration {text} is not in the future")
    return moment


class _RefuseSecret(argparse.Action):
    """An option that only exists to refuse a secret given on the command line
    (without repeating it)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        self.advice: str = kwargs.pop("advice")
        kwargs.update(nargs="?", help=argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        parser.error(
            f"{option_string} is refused: other users can read command lines (ps). {self.advice}"
        )


def _global_options() -> argparse.ArgumentParser:
    # SUPPRESS as the default: an option given before the command is not reset by the
    # sub-command's parser, which knows the same options.
    common = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    server = common.add_argument_group("connection options")
    server.add_argument(
        "--url", metavar="URL", help=f"server root, e.g. https://share.example.com (${ENV_URL})"
    )
    server.add_argument(
        "--client-id-file",
        metavar="PATH",
        help=f"read the client id from the first line of PATH ('-': standard input);"
        f" default: ${ENV_CLIENT_ID}. It is never taken from the command line",
    )
    server.add_argument(
        "--client-id",
        action=_RefuseSecret,
        advice=f"Set {ENV_CLIENT_ID} or use --client-id-file PATH.",
    )
    server.add_argument("--sender", metavar="EMAIL", help=f"sender address (${ENV_SENDER})")
    server.add_argument(
        "--token-store",
        metavar="PATH",
        help=f"file keeping verification tokens between runs (${ENV_TOKEN_STORE}; default:"
        " $XDG_CONFIG_HOME/cryptshare-async/tokens.json, or ~/.config/...), mode 0600",
    )
    server.add_argument(
        "--no-token-store", action="store_true", help="keep tokens in memory only (this run)"
    )
    server.add_argument(
        "--language",
        metavar="TAG",
        help=f"language of mails and server messages, e.g. en, de (${ENV_LANGUAGE})",
    )
    server.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow http:// to hosts other than localhost (tokens travel unencrypted;"
        f" ${ENV_ALLOW_INSECURE_HTTP}=1)",
    )
    server.add_argument(
        "--timeout",
        type=_request_timeout,
        metavar="S",
        help="seconds to wait for a connection, and for each answer's next bytes"
        f" (${ENV_TIMEOUT}; default 10 to connect, 60 to read)",
    )
    output = common.add_argument_group("output options")
    output.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    output.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bars or notes on stderr; send prints only the tracking id",
    )
    output.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return common


def _password_options(parser: argparse.ArgumentParser, *, recipient: bool) -> None:
    group = parser.add_argument_group("password (never on the command line)")
    exclusive = group.add_mutually_exclusive_group()
    exclusive.add_argument(
        "--password-env", metavar="VAR", help="read the transfer password from $VAR"
    )
    exclusive.add_argument(
        "--password-file",
        metavar="PATH",
        help="read the transfer password from the first line of PATH ('-': standard input)",
    )
    if recipient:
        exclusive.add_argument(
            "--no-password",
            action="store_true",
            help="the transfer was sent without a password (password mode none)",
        )
    parser.add_argument(
        "--password",
        action=_RefuseSecret,
        advice="Use --password-env VAR or --password-file PATH"
        + (", or answer the prompt." if recipient else "."),
    )


def _wait_options(parser: argparse.ArgumentParser, *, what: str) -> None:
    parser.add_argument(
        "--wait-timeout",
        type=_timeout,
        default=600.0,
        metavar="S",
        help=f"{what} at most S seconds (default 600; 0: no limit); exit status 4 if the"
        " transfer is not active by then",
    )
    parser.add_argument(
        "--poll-interval",
        type=_seconds,
        default=DEFAULT_INTERVAL,
        metavar="S",
        help="first pause between two status reads; it grows to"
        f" {DEFAULT_MAX_INTERVAL:g} s (default {DEFAULT_INTERVAL:g})",
    )


def _add_verify(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "verify",
        parents=[common],
        formatter_class=_FORMATTER,
        allow_abbrev=False,
        help="verify the sender and keep the token",
        description="Get a verification token for the sender and keep it in the token store."
        " By default the client id is used (the administrator must have whitelisted it);"
        " --email-code has a code mailed to the sender instead.",
    )
    parser.add_argument(
        "--email-code",
        action="store_true",
        help="mail a code to the sender and ask for it on the terminal (not echoed)",
    )
    parser.add_argument(
        "--code-from-stdin",
        action="store_true",
        help="with --email-code: read the code from the first line of standard input",
    )
    parser.add_argument(
        "--status",
        dest="show_status",
        action="store_true",
        help="only show whether the sender is verified",
    )


def _add_send(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "send",
        parents=[common],
        formatter_class=_FORMATTER,
        allow_abbrev=False,
        help="send files",
        description="Create a transfer, upload the files (a progress bar per file and a total"
        " on a terminal), finalize it and print the tracking id. Files, addresses and options"
        " are checked before anything is sent; on failure or Ctrl-C the uploaded files are"
        " removed and the transfer session deleted.",
        epilog=f"example:\n  {PROG} send a.pdf b.csv --to bob@example.org --cc carol@example.net"
        ' \\\n      --name Alice --phone "+49 30 123" --expiration 7d --wait',
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="files to send")
    people = parser.add_argument_group("recipients and sender")
    people.add_argument(
        "--to",
        action="append",
        metavar="ADDRESS",
        help="recipient (repeat it, or separate addresses by commas)",
    )
    people.add_argument("--cc", action="append", metavar="ADDRESS", help="recipient in copy")
    people.add_argument("--bcc", action="append", metavar="ADDRESS", help="blind-copy recipient")
    people.add_argument(
        "--name", help="sender's name shown to the recipients ($CRYPTSHARE_SENDER_NAME)"
    )
    people.add_argument(
        "--phone", help="sender's phone shown to the recipients ($CRYPTSHARE_SENDER_PHONE)"
    )
    people.add_argument(
        "--subject", help="subject of the recipients' notification (with --message)"
    )
    people.add_argument("--message", help="text of the recipients' notification (markdown)")
    settings = parser.add_argument_group("transfer settings")
    settings.add_argument(
        "--password-mode",
        choices=("generated", "manual", "none"),
        help="generated by the server (default), manual (your password), or none",
    )
    settings.add_argument(
        "--expiration",
        type=parse_expiration,
        metavar="WHEN",
        help="7d, 36h, 2w, a date (2025-07-01) or an ISO date-time (default: the server's)",
    )
    settings.add_argument(
        "--checksum",
        choices=("auto", "pre-pass", "stream", "off"),
        default="auto",
        help="pre-pass: hash first so the server verifies the content (what auto does for"
        " files); stream: hash while sending; off: none",
    )
    settings.add_argument(
        "--concurrency",
        type=_positive_int,
        default=2,
        metavar="N",
        help="files uploaded at once (default 2)",
    )
    parser.add_argument(
        "--wait", action="store_true", help="wait until the transfer is active and show it"
    )
    _wait_options(parser, what="with --wait, wait")
    _password_options(parser, recipient=False)


def _add_send_batch(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "send-batch",
        parents=[common],
        formatter_class=_FORMATTER,
        allow_abbrev=False,
        help="send one transfer per line of a JSON Lines file",
        description="Send one transfer per line of JOBS (JSON Lines: one object per line with"
        ' "key", "files", "to"/"cc"/"bcc" and optionally "name", "phone", "password_mode"'
        ' (generated or none), "expiration", "subject" and "message"; relative paths are'
        " relative to JOBS' folder). Every line is checked before anything is sent. With"
        " --journal, a re-run after a crash or Ctrl-C sends each job exactly once.",
        epilog=f"example:\n  {PROG} send-batch jobs.jsonl --journal state.db --name Billing"
        ' --phone "+49 30 123"\n\njobs.jsonl:\n  {"key": "inv-42", "files": ["inv-42.pdf"],'
        ' "to": ["bob@example.org"]}',
    )
    parser.add_argument("jobs", metavar="JOBS", help="the jobs file (JSON Lines)")
    parser.add_argument(
        "--journal",
        metavar="PATH",
        help="SQLite journal of the jobs sent: a re-run with it sends nothing twice",
    )
    parser.add_argument(
        "--name", help="sender's name for jobs that give none ($CRYPTSHARE_SENDER_NAME)"
    )
    parser.add_argument(
        "--phone", help="sender's phone for jobs that give none ($CRYPTSHARE_SENDER_PHONE)"
    )
    parser.add_argument(
        "--checksum",
        choices=("auto", "pre-pass", "stream", "off"),
        default="auto",
        help="as for send",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=4,
        metavar="N",
        help="transfers sent at once (default 4)",
    )


def _add_transfer_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    status = commands.add_parser(
        "status",
        parents=[common],
        formatter_class=_FORMATTER,
        allow_abbrev=False,
        help="show a transfer's state, files and recipients",
        description="Show a sent transfer: state, expiration, files (and why any was"
        " removed), recipients and their downloads.",
    )
    status.add_argument("tracking_id", metavar="TRACKING_ID")
    wait = commands.add_parser(
        "wait",
        parents=[common],
        formatter_class=_FORMATTER,
        allow_abbrev=False,
        help="wait until a transfer is active",
        description="Wait until the server has processed a transfer. Exit status 0 once it"
        " is ACTIVE, 1 if it failed or was deleted, 4 if --wait-timeout passed first.",
    )
    wait.add_argument("tracking_id", metavar="TRACKING_ID")
    _wait_options(wait, what="wait")
    revoke = commands.add_parser(
        "revoke",
        parents=[common],
        formatter_class=_FORMATTER,
        allow_abbrev=False,
        help="make an active transfer unavailable",
        description="Revoke an ACTIVE transfer: its files are deleted on the server and the"
        " recipients (and the sender) are told, unless asked not to.",
    )
    revoke.add_argument("tracking_id", metavar="TRACKING_ID")
    revoke.add_argument(
        "--no-notify-sender", action="store_true", help="do not mail the sender a notice"
    )
    revoke.add_argument(
        "--no-notify-recipients", action="store_true", help="do not mail the recipients"
    )
    revoke.add_argument(
        "--message", metavar="TEXT", help="notice to the recipients instead of the default"
    )


def _add_listings(commands: Any, common: argparse.ArgumentParser) -> None:
    for name, what in (("sent", "sent by"), ("received", "received by")):
        parser = commands.add_parser(
            name,
            parents=[common],
            formatter_class=_FORMATTER,
            allow_abbrev=False,
            help=f"list the transfers {what} the sender",
            description=f"List the transfers {what} the sender, newest first, as a table or"
            " (with --json) one JSON document per line.",
        )
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--active", action="store_true", help="only active transfers")
        state.add_argument(
            "--inactive", action="store_true", help="only inactive ones (deleted, failed...)"
        )
        parser.add_argument(
            "--limit", type=_positive_int, metavar="N", help="show at most N transfers"
        )
        parser.add_argument(
            "--page-size",
            type=_page_size,
            default=50,
            metavar="N",
            help="transfers fetched per request, 1-100 (default 50)",
        )


def _add_download(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "download",
        parents=[common],
        formatter_class=_FORMATTER,
        allow_abbrev=False,
        help="download a received transfer's files (as the recipient)",
        description="Download the files of a transfer as its recipient, by the recipient's"
        " transfer id from the notification mail. Files are checked against the server's"
        " checksums and never overwrite an existing file unless --overwrite. The password"
        " comes from --password-env, --password-file or a prompt on the terminal.",
        epilog=f"example:\n  {PROG} download x7Hk2pQr9a --to ~/Downloads --password-env CS_PW",
    )
    parser.add_argument("transfer_id", metavar="TRANSFER_ID")
    parser.add_argument(
        "--to", dest="directory", metavar="DIR", help="directory to write to (made if missing)"
    )
    parser.add_argument(
        "--file",
        dest="file_ids",
        action="append",
        metavar="FILE_ID",
        help="only this file (repeatable; see --list for the ids)",
    )
    parser.add_argument("--list", action="store_true", help="only list the files and their ids")
    parser.add_argument("--overwrite", action="store_true", help="replace existing files")
    _password_options(parser, recipient=True)


def _add_demo(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "demo",
        parents=[common],
        formatter_class=_FORMATTER,
        allow_abbrev=False,
        help="run a complete transfer against a local emulator",
        description="Start the embedded Cryptshare emulator on 127.0.0.1 and walk through a"
        " whole transfer: verify, create, upload, finalize, wait, download as the"
        " recipient, list, revoke. Needs no server and no settings; leaves nothing behind.",
    )
    parser.add_argument(
        "--size-mib",
        type=_size_mib,
        default=8,
        metavar="N",
        help="size of the generated data file in MiB (default 8)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the generated and downloaded files (their directory is printed)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``cryptshare-async`` argument parser.

    Example::

        >>> build_parser().parse_args(["demo", "--size-mib", "2"]).size_mib
        2
    """
    common = _global_options()
    parser = _Parser(
        prog=PROG,
        parents=[common],
        formatter_class=_FORMATTER,
        allow_abbrev=False,
        description="Send and receive files through a Cryptshare server.",
        epilog=_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_verify(commands, common)
    _add_send(commands, common)
    _add_send_batch(commands, common)
    _add_transfer_commands(commands, common)
    _add_listings(commands, common)
    _add_download(commands, common)
    _add_demo(commands, common)
    return parser

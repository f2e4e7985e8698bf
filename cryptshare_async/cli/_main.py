"""The entry point: parse, run one command, turn failures into one line and an exit status.

Exit statuses (:mod:`._exit`): 0 done; 1 a failure (``error: ...`` on stderr, with a
``hint:`` where one helps; ``--debug`` adds the traceback); 2 a usage error; 3 the sender
is not verified; 4 the transfer exists but the wait for ACTIVE timed out; 130
interrupted (Ctrl-C). With ``--json`` the error is one JSON document on stderr,
``{"error": {"message": ..., "hint": ..., "exit_code": ...}}``, also for usage errors.

Hints speak of the command line's options, never of the library's arguments.

Example::

    raise SystemExit(main(["status", "20240522-065711-H8UoUSI6"]))
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Final, TextIO

from .. import (
    ApiError,
    ApiVersionUnsupportedError,
    ConfigurationError,
    CryptshareError,
    DownloadTargetExistsError,
    TransportError,
    VerificationError,
    WaitTimeoutError,
)
from ._console import Console
from ._context import Context
from ._download import run_download
from ._exit import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_NOT_VERIFIED,
    EXIT_USAGE,
    EXIT_WAIT_TIMEOUT,
)
from ._listing import run_listing
from ._parser import PROG, ArgumentsError, build_parser
from ._send import run_send
from ._send_batch import run_send_batch
from ._settings import ENV_ALLOW_INSECURE_HTTP, ENV_CLIENT_ID, ENV_URL, CliError
from ._transfers import run_revoke, run_status, run_wait
from ._verify import run_verify

__all__ = ["EXIT_INTERRUPTED", "main"]

Command = Callable[[Context], int]


def _run_demo(context: Context) -> int:
    # Imported on use: the demo pulls in the emulator (aiohttp's server side).
    from ._demo import run_demo

    return run_demo(context)


_COMMANDS: Final[dict[str, Command]] = {
    "verify": run_verify,
    "send": run_send,
    "send-batch": run_send_batch,
    "status": run_status,
    "wait": run_wait,
    "revoke": run_revoke,
    "sent": run_listing,
    "received": run_listing,
    "download": run_download,
    "demo": _run_demo,
}


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else EXIT_USAGE


_VERIFY_HINT = (
    f"verify the sender: {PROG} verify (or {PROG} verify --email-code if the client id is not"
    " whitelisted)"
)
_NOT_WHITELISTED_HINT = (
    "the server does not accept this client id for verification: ask your Cryptshare"
    f" administrator to whitelist it, or verify by a mailed code: {PROG} verify --email-code"
)


def _api_message(exc: ApiError) -> str:
    """What the server said, without the library's generic advice (the hint says what to
    do on the command line) and without repeating a status line the page only echoes."""
    code = f" errorCode {exc.error_code}" if exc.error_code is not None else ""
    said = exc.error_message.strip()
    if said and (said.startswith(str(exc.status)) or said.isdigit()):
        said = said.lstrip("0123456789: ").strip()
    if 300 <= exc.status < 400:
        reason = f" ({said})" if said else ""
        return (
            f"{exc.method} {exc.path}: the server answered with a redirect, HTTP {exc.status}"
            f"{reason}, which the client does not follow"
        )
    text = f": {said}" if said else ""
    return f"{exc.method} {exc.path} failed with HTTP {exc.status}{code}{text}"


def _api_hint(exc: ApiError) -> str | None:
    if isinstance(exc, VerificationError):
        if exc.path.endswith("/verification/token"):
            return _NOT_WHITELISTED_HINT
        return _VERIFY_HINT
    if 300 <= exc.status < 400:
        return (
            f"check the server URL (--url or {ENV_URL}): the server may want https://, another"
            " host name, or no path after the host"
        )
    if isinstance(exc, ApiVersionUnsupportedError):
        return "the server does not offer the API version this command needs (1.8 to 1.13)"
    hints = {
        1002: "a required value is missing; check the command's options",
        1004: "a value was refused; check the command's options",
        1005: "an email address or id in the command is not valid",
        2001: "the server's transfer rules forbid these settings (expiration, size, files...)",
        2007: "the server asks to slow down: try again later",
        3003: "check the transfer password",
        3010: "the server's policy does not allow this sender",
        3011: "the server's policy does not allow this sender to send to these recipients",
    }
    return hints.get(exc.error_code) if exc.error_code is not None else None


def _hint(exc: CryptshareError) -> str | None:
    notes = [n for n in getattr(exc, "__notes__", ()) if isinstance(n, str)]
    if notes:
        return "; ".join(notes)
    if isinstance(exc, ApiError):
        return _api_hint(exc)
    if isinstance(exc, TransportError):
        return f"check the server URL (--url or {ENV_URL}) and that the server is reachable"
    if isinstance(exc, WaitTimeoutError):
        return f"the transfer may still become active: {PROG} wait TRACKING_ID"
    if isinstance(exc, ConfigurationError):
        text = str(exc)
        if "allow_insecure_http" in text:
            return f"pass --allow-insecure-http (or set {ENV_ALLOW_INSECURE_HTTP}=1)"
        if "client_id" in text:
            return f"check {ENV_CLIENT_ID} or the --client-id-file"
    return None


def _exit_code(exc: CryptshareError) -> int:
    if isinstance(exc, VerificationError):
        return EXIT_NOT_VERIFIED
    if isinstance(exc, WaitTimeoutError):
        return EXIT_WAIT_TIMEOUT
    return EXIT_FAILURE


def _report(exc: BaseException, console: Console, *, debug: bool) -> int:
    if debug:
        traceback.print_exception(exc, file=console.stderr)
    if isinstance(exc, CliError):
        console.error(str(exc), exc.hint, exit_code=exc.exit_code)
        return exc.exit_code
    if isinstance(exc, DownloadTargetExistsError):
        console.error(f"{exc.path} exists", "pass --overwrite to replace it")
        return EXIT_FAILURE
    if isinstance(exc, CryptshareError):
        code = _exit_code(exc)
        message = _api_message(exc) if isinstance(exc, ApiError) else str(exc)
        console.error(message, _hint(exc), exit_code=code)
        return code
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        console.error(f"{where}{exc.strerror or exc}")
        return EXIT_FAILURE
    if not debug:
        traceback.print_exception(exc, file=console.stderr)
    console.error(f"unexpected {type(exc).__name__}: {exc}", "this is a bug; please report it")
    return EXIT_FAILURE


def _usage_error(exc: ArgumentsError, argv: Sequence[str]) -> int:
    console = Console(sys.stdout, sys.stderr, json_mode="--json" in argv, quiet=False)
    if not console.json_mode:
        exc.parser.print_usage(sys.stderr)
    message = f"{exc.parser.prog}: {exc}"
    console.error(message, f"{exc.parser.prog} --help lists the options", exit_code=EXIT_USAGE)
    return EXIT_USAGE


@contextlib.contextmanager
def _debug_logging(enabled: bool, stream: TextIO) -> Iterator[None]:
    if not enabled:
        yield
        return
    logger = logging.getLogger("cryptshare_async")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cryptshare-async`` command line; returns the exit status.

    ``argv`` defaults to ``sys.argv[1:]``. Output goes to ``sys.stdout`` (results) and
    ``sys.stderr`` (progress, notes, errors); settings come from ``os.environ``.

    Example::

        >>> main(["--version"])  # doctest: +SKIP
        cryptshare-async 0.1.0
        0
    """
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(arguments)
    except ArgumentsError as exc:
        return _usage_error(exc, arguments)
    except SystemExit as exc:  # --help, --version
        return _exit_status(exc.code)
    console = Console(
        sys.stdout,
        sys.stderr,
        json_mode=getattr(args, "json", False),
        quiet=getattr(args, "quiet", False),
    )
    debug = bool(getattr(args, "debug", False))
    context = Context(args=args, env=os.environ, console=console)
    try:
        with _debug_logging(debug, console.stderr):
            return _COMMANDS[args.command](context)
    except (KeyboardInterrupt, asyncio.CancelledError):
        console.error("interrupted", exit_code=EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``... | head``): stop quietly, and keep the interpreter
        # from complaining when it flushes stdout on exit.
        _silence_stdout()
        return 1
    except Exception as exc:
        return _report(exc, console, debug=debug)

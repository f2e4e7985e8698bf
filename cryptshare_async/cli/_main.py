"""The entry point: parse, run one command, turn failures into one line and an exit status.

Exit status: 0 done; 1 a failure (``error: ...`` on stderr, with a ``hint:`` where one
helps; ``--debug`` adds the traceback); 2 a usage error; 130 interrupted (Ctrl-C).

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
from ._listing import run_listing
from ._parser import PROG, build_parser
from ._send import run_send
from ._send_batch import run_send_batch
from ._settings import CliError
from ._transfers import run_revoke, run_status, run_wait
from ._verify import run_verify

__all__ = ["EXIT_INTERRUPTED", "main"]

EXIT_INTERRUPTED: Final = 130

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
    return code if isinstance(code, int) else 2


def _hint(exc: CryptshareError) -> str | None:
    notes = [n for n in getattr(exc, "__notes__", ()) if isinstance(n, str)]
    if notes:
        return "; ".join(notes)
    if isinstance(exc, VerificationError):
        return (
            f"verify the sender: {PROG} verify (or {PROG} verify --email-code if the client id"
            " is not whitelisted)"
        )
    if isinstance(exc, TransportError):
        return "check the server URL (--url or CRYPTSHARE_URL) and that the server is reachable"
    if isinstance(exc, WaitTimeoutError):
        return f"the transfer may still become active: {PROG} wait TRACKING_ID"
    if isinstance(exc, ConfigurationError):
        text = str(exc)
        if "allow_insecure_http" in text:
            return "pass --allow-insecure-http if you really mean it"
        if "client_id" in text:
            return "check CRYPTSHARE_CLIENT_ID or the --client-id-file"
    return None


def _report(exc: BaseException, console: Console, *, debug: bool) -> int:
    if debug:
        traceback.print_exception(exc, file=console.stderr)
    if isinstance(exc, CliError):
        console.error(str(exc), exc.hint)
        return exc.exit_code
    if isinstance(exc, DownloadTargetExistsError):
        console.error(f"{exc.path} exists", "pass --overwrite to replace it")
        return 1
    if isinstance(exc, CryptshareError):
        console.error(str(exc), _hint(exc))
        return 1
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        console.error(f"{where}{exc.strerror or exc}")
        return 1
    if not debug:
        traceback.print_exception(exc, file=console.stderr)
    console.error(f"unexpected {type(exc).__name__}: {exc}", "this is a bug; please report it")
    return 1


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
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
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
        console.error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``... | head``): stop quietly, and keep the interpreter
        # from complaining when it flushes stdout on exit.
        _silence_stdout()
        return 1
    except Exception as exc:
        return _report(exc, console, debug=debug)

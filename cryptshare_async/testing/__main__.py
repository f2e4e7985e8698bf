"""Console command: ``python -m cryptshare_async.testing --port 8080``.

Starts an emulator, prints its URL, the demo client id and how to read the outbox, and
serves until interrupted (Ctrl-C or SIGTERM). Exit status: 0 stopped, 1 the emulator
could not start (one ``error:`` line, e.g. a busy port), 2 a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from ._config import DEFAULT_PROCESSING_SECONDS, EmulatorConfig
from ._emulator import Emulator

__all__ = ["main"]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text}")
    return value


def _interval(text: str) -> float:
    value = _seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a number of seconds > 0, got 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cryptshare-emulator", description="Run a local Cryptshare server emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=8080, help="port (default 8080; 0: any free port)"
    )
    parser.add_argument(
        "--client-id",
        default=None,
        help="demo client id, always whitelisted (50+ letters/digits; default: a random one)",
    )
    parser.add_argument(
        "--processing-seconds",
        type=_seconds,
        default=DEFAULT_PROCESSING_SECONDS,
        metavar="S",
        help="how long a finalized transfer stays PROCESSING before it is ACTIVE"
        f" (default {DEFAULT_PROCESSING_SECONDS:g})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="fault-injection seed (default: a random one, printed at start)",
    )
    parser.add_argument(
        "--relative-locations", action="store_true", help="emit Location headers as paths"
    )
    parser.add_argument(
        "--cleanup-interval",
        type=_interval,
        default=60.0,
        metavar="S",
        help="seconds between runs removing expired transfers and sessions (default 60)",
    )
    parser.add_argument(
        "--storage-dir",
        type=Path,
        default=None,
        help="where to make the temporary content directory (default: the system temp dir;"
        " /dev/shm keeps large uploads off the disk)",
    )
    parser.add_argument(
        "--recycle-content-mib",
        type=int,
        default=0,
        help="keep up to this many MiB of deleted content and write new uploads over it"
        " (default 0: delete at once; for upload benchmarks where fresh memory is costly)",
    )
    return parser


async def _serve(config: EmulatorConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with Emulator(config) as emu:
        print(f"Cryptshare emulator listening on {emu.url}  (API: {emu.url}/api)")
        print(f"Demo client id (whitelisted): {emu.client_id}")
        print(f"Outbox: curl {emu.url}/_emulator/outbox")
        print(f"Verification code: curl {emu.url}/_emulator/verification-code/<email>")
        print(f"Fault-injection seed: {emu.seed}")
        sys.stdout.flush()
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cryptshare-emulator`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.recycle_content_mib < 0:
        parser.error("--recycle-content-mib must be >= 0")
    config = EmulatorConfig(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        processing_seconds=args.processing_seconds,
        seed=args.seed,
        absolute_locations=not args.relative_locations,
        cleanup_interval_seconds=args.cleanup_interval,
        storage_dir=args.storage_dir,
        recycle_content_bytes=args.recycle_content_mib * 1024 * 1024,
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(config))
    except OSError as exc:
        print(f"{parser.prog}: error: {_start_failure(exc, args.host, args.port)}", file=sys.stderr)
        return 1
    return 0


def _start_failure(exc: OSError, host: str, port: int) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the port is in use (pick another with --port, or 0)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot listen on {where}: permission denied (ports below 1024 need privileges)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: no such local address (--host)"
    reason = exc.strerror or str(exc)
    return f"cannot start the emulator on {where}: {reason}"


if __name__ == "__main__":
    raise SystemExit(main())

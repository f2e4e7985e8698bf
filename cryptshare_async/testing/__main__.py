"""Console command: ``python -m cryptshare_async.testing --port 8080``.

Starts an emulator, prints its URL, the demo client id and how to read the outbox, and
serves until interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from ._config import EmulatorConfig
from ._emulator import Emulator

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cryptshare-emulator", description="Run a local Cryptshare server emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (0: any free port)")
    parser.add_argument("--client-id", default=None, help="demo client id (50+ letters/digits)")
    parser.add_argument("--processing-seconds", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=None, help="fault-injection seed")
    parser.add_argument(
        "--relative-locations", action="store_true", help="emit Location headers as paths"
    )
    parser.add_argument(
        "--cleanup-interval", type=float, default=60.0, help="seconds between cleanup runs"
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
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: how long ``wait_until_active()`` takes beyond the server's processing time.

The emulator runs in a child process (so that the server's work does not share the
measuring event loop) with ``--processing`` seconds of processing per transfer. For each
polling setting, ``--transfers`` sessions are created and given a small file (untimed);
then, ``--concurrency`` at a time, each is finalized and waited for (timed).

Printed per setting:

* batch latency: wall time of the timed phase, against the least it can take
  (``ceil(transfers / concurrency)`` rounds of processing), as a ratio;
* per-transfer wait: median and 95th percentile of finalize-to-ACTIVE, against the
  processing time, as a ratio (1.0: the wait costs nothing beyond processing).

Usage::

    PYTHONPATH=. python benchmarks/waiting.py          # 300 transfers, concurrency 16, 0.1 s
    PYTHONPATH=. python benchmarks/waiting.py --interval 1.0       # one setting only
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import multiprocessing.connection
import statistics
import sys
import time

from cryptshare_async import ChecksumMode, CryptshareClient, Sender
from cryptshare_async._waiting import DEFAULT_INTERVAL

SENDER = "bench@example.com"


def _serve(conn: multiprocessing.connection.Connection, processing: float) -> None:
    """Child process: run an emulator until told to stop."""
    from cryptshare_async.testing import Emulator, EmulatorConfig

    async def main() -> None:
        config = EmulatorConfig(processing_seconds=processing, seed=1)
        async with Emulator(config) as emu:
            conn.send((emu.url, emu.client_id))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(main())


async def _prepare(sender: Sender, count: int, concurrency: int) -> list[object]:
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> object:
        async with gate:
            session = await sender.create_session(to=["bob@example.org"], name="B", phone="1")
            await session.upload(b"x" * 64, file_name=f"f{index}.txt", checksum=ChecksumMode.OFF)
            return session

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def measure(
    url: str, client_id: str, args: argparse.Namespace, interval: float
) -> tuple[float, list[float]]:
    async with CryptshareClient(url, client_id=client_id, max_connections=64) as client:
        sender = client.sender(SENDER)
        await sender.verify_with_client_id()
        sessions = await _prepare(sender, args.transfers, args.concurrency)
        gate = asyncio.Semaphore(args.concurrency)
        waits: list[float] = []

        async def one(session: object) -> None:
            async with gate:
                transfer = await session.finalize()  # type: ignore[attr-defined]
                start = time.perf_counter()
                await transfer.wait_until_active(timeout=120, interval=interval)
                waits.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.gather(*(one(s) for s in sessions))
        return time.perf_counter() - start, waits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--processing", type=float, default=0.1, help="seconds per transfer")
    parser.add_argument(
        "--interval",
        type=float,
        action="append",
        help=f"first pause (repeatable; default: {DEFAULT_INTERVAL} (the default) and 1.0)",
    )
    args = parser.parse_args()
    intervals = list(dict.fromkeys(args.interval or [DEFAULT_INTERVAL, 1.0]))

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child, args.processing), daemon=True)
    server.start()
    try:
        if not parent.poll(120):
            raise RuntimeError("the emulator did not start within 120 s")
        url, client_id = parent.recv()
        results = {i: asyncio.run(measure(url, client_id, args, i)) for i in intervals}
    finally:
        parent.send("stop")
        server.join(30)
        if server.is_alive():
            server.terminate()
            server.join()

    rounds = math.ceil(args.transfers / args.concurrency)
    floor = rounds * args.processing
    print(
        f"{args.transfers} transfers, concurrency {args.concurrency}, processing"
        f" {args.processing:g} s: at least {rounds} rounds = {floor:.2f} s"
    )
    for interval, (batch, waits) in results.items():
        median = statistics.median(waits)
        p95 = statistics.quantiles(waits, n=20)[-1]
        print(
            f"first pause {interval:g} s: batch {batch:6.2f} s (ratio {batch / floor:5.2f});"
            f" wait per transfer median {median:.3f} s, p95 {p95:.3f} s"
            f" (median / processing {median / args.processing:5.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

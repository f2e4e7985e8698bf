"""Event-loop lag benchmark: the worst delay the library adds to other tasks, per operation.

A ticker task asks to wake every ``--tick-ms`` milliseconds and records the worst gap
between the expected and the actual wake-up while each operation runs against the
emulator (started as a separate process, so only the client's work shares this loop):

- upload from a path, from ``bytes``, from a ``bytearray`` (all in the default mode: a
  pre-pass), from a stream source in 1 MiB items and from a stream of one single item
  (stream mode), each ``--size-mib`` MiB;
- download of that file as the recipient (after finalizing and processing);
- listing ``--transfers`` seeded sent transfers (``sent_transfers``, pages of 100).

The target is a worst lag of at most 10 ms per operation. An idle row (the ticker alone)
shows the machine's own noise. Lag is a benchmark figure, not a test.

Usage::

    PYTHONPATH=. python benchmarks/loop_lag.py                # 256 MiB, 3 rounds
    PYTHONPATH=. python benchmarks/loop_lag.py --size-mib 64 --rounds 1
"""

# Blocking file calls between measurements are fine in a benchmark driver.

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from upload import MIB, emulator_process, make_file

from cryptshare_async import (
    BytesSource,
    CryptshareClient,
    PasswordMode,
    StreamSource,
)

SENDER = "lag@example.com"
RECIPIENT = "bob@example.org"
TARGET_MS = 10.0


class Ticker:
    """Wakes every ``interval`` seconds; ``worst`` is the largest lateness seen since
    the last :meth:`reset`.

    It also times every callback the loop runs (``asyncio.Handle._run``): ``longest`` is
    the longest one in wall time and ``longest_cpu`` in the loop thread's CPU time. On a
    loaded machine the wall-time figures include preemption by other processes; the CPU
    figure does not, and shows what the library itself does in one loop step.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.worst = self.longest = self.longest_cpu = 0.0
        original = asyncio.events.Handle._run
        ticker = self

        def timed_run(handle: asyncio.events.Handle) -> None:
            wall, cpu = time.perf_counter(), time.thread_time()
            original(handle)
            ticker.longest = max(ticker.longest, time.perf_counter() - wall)
            ticker.longest_cpu = max(ticker.longest_cpu, time.thread_time() - cpu)

        asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]

    def reset(self) -> None:
        self.worst = self.longest = self.longest_cpu = 0.0

    async def run(self) -> None:
        while True:
            expected = time.perf_counter() + self.interval
            await asyncio.sleep(self.interval)
            self.worst = max(self.worst, time.perf_counter() - expected)


async def _chunks(data: bytes, step: int) -> AsyncIterator[bytes]:
    if step >= len(data):
        yield data  # one item, not copied
        return
    view = memoryview(data)
    for offset in range(0, len(data), step):
        yield bytes(view[offset : offset + step])


class Bench:
    def __init__(self, client: CryptshareClient, url: str, path: Path, tmp: Path) -> None:
        self.client = client
        self.url = url
        self.path = path
        self.tmp = tmp
        self.data = path.read_bytes()
        self.sender = client.sender(SENDER)

    async def upload(self, source: object, **kwargs: object) -> None:
        session = await self.sender.create_session(to=[RECIPIENT], name="Lag", phone="1")
        try:
            await session.upload(source, **kwargs)  # type: ignore[arg-type]
        finally:
            await session.delete()

    async def prepare_download(self) -> tuple[str, str]:
        """A finalized, processed transfer holding the file: (transfer id, password)."""
        session = await self.sender.create_session(to=[RECIPIENT], name="Lag", phone="1")
        await session.update(password_mode=PasswordMode.GENERATED)
        await session.upload(self.path, file_name="big.bin")
        transfer = await session.finalize()
        await transfer.wait_until_active(timeout=120, interval=0.05)
        async with aiohttp.ClientSession() as http:
            query = {"kind": "recipient_notification", "to": RECIPIENT}
            async with http.get(f"{self.url}/_emulator/outbox", params=query) as resp:
                mail = (await resp.json())["messages"][-1]
        return mail["transfer_id"], mail["password"]

    async def download(self, transfer_id: str, password: str) -> None:
        target = self.tmp / "downloads"
        target.mkdir(exist_ok=True)
        incoming = self.client.recipient_transfer(transfer_id, password=password)
        await incoming.download_all(target, overwrite=True)
        for file in target.iterdir():
            file.unlink()

    async def seed(self, count: int) -> None:
        async with aiohttp.ClientSession() as http:
            body = {"sender": SENDER, "count": count}
            async with http.post(f"{self.url}/_emulator/admin/seed-transfers", json=body) as resp:
                resp.raise_for_status()

    async def listing(self) -> None:
        await self.sender.sent_transfers(page_size=100).collect()


Figures = tuple[float, float, float, float]


async def measure(ticker: Ticker, job: Callable[[], Awaitable[None]]) -> Figures:
    """(worst lag, longest callback, its CPU time, all in ms; seconds) of one run."""
    await asyncio.sleep(ticker.interval * 3)  # let the ticker settle after the set-up
    ticker.reset()
    start = time.perf_counter()
    await job()
    elapsed = time.perf_counter() - start
    return ticker.worst * 1000, ticker.longest * 1000, ticker.longest_cpu * 1000, elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--transfers", type=int, default=2000)
    parser.add_argument("--tick-ms", type=float, default=1.0)
    parser.add_argument("--storage-dir", default="/dev/shm")
    parser.add_argument("--only", default="", help="run only operations whose name has this")
    args = parser.parse_args()
    size = args.size_mib * MIB
    ticker = Ticker(args.tick_ms / 1000)
    with tempfile.TemporaryDirectory(prefix="loop-lag-") as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "big.bin"
        make_file(path, size)
        async with (
            emulator_process(args.storage_dir, recycle_mib=args.size_mib) as (url, client_id, _),
            CryptshareClient(url, client_id=client_id) as client,
        ):
            bench = Bench(client, url, path, tmp)
            await bench.upload(b"x" * 4096, file_name="warm.bin")  # warm up every path
            await bench.seed(args.transfers)
            transfer_id, password = await bench.prepare_download()
            data = bench.data
            mutable = bytearray(data)
            one_mib = lambda: StreamSource(lambda: _chunks(data, MIB), size=size, name="s.bin")  # noqa: E731
            one_item = lambda: StreamSource(lambda: _chunks(data, size), size=size, name="s.bin")  # noqa: E731

            def up(make: Callable[[], StreamSource]) -> Callable[[], Awaitable[None]]:
                return lambda: bench.upload(make())

            async def idle() -> None:
                await asyncio.sleep(1.0)

            operations: list[tuple[str, Callable[[], Awaitable[None]]]] = [
                ("idle (1 s, the ticker alone)", idle),
                (f"upload path {args.size_mib} MiB", lambda: bench.upload(path)),
                (
                    f"upload bytes {args.size_mib} MiB",
                    lambda: bench.upload(BytesSource(data, name="b.bin")),
                ),
                (
                    f"upload bytearray {args.size_mib} MiB",
                    lambda: bench.upload(BytesSource(mutable, name="b.bin")),
                ),
                (f"upload stream {args.size_mib} MiB (1 MiB items)", up(one_mib)),
                (f"upload stream {args.size_mib} MiB (one item)", up(one_item)),
                (f"download {args.size_mib} MiB", lambda: bench.download(transfer_id, password)),
                (f"listing {args.transfers} transfers", bench.listing),
            ]
            operations = [
                (n, job) for n, job in operations if args.only in n or n.startswith("idle")
            ]
            ticking = asyncio.create_task(ticker.run())
            try:
                results: dict[str, list[Figures]] = {n: [] for n, _ in operations}
                for _ in range(args.rounds):
                    for name, job in operations:
                        results[name].append(await measure(ticker, job))
            finally:
                ticking.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticking
    print(
        f"event-loop lag per operation (tick {args.tick_ms:g} ms, {args.rounds} rounds,"
        f" cpus={os.cpu_count()}, load average {os.getloadavg()[0]:.2f});"
        f" target <= {TARGET_MS:g} ms; medians [max] in ms"
    )
    print(f"{'operation':42} {'worst tick lag':>16} {'longest step':>16} {'step CPU':>16} {'s':>6}")
    for name, runs in results.items():
        cells = []
        for column in range(3):
            values = [run[column] for run in runs]
            cells.append(f"{statistics.median(values):7.1f} [{max(values):6.1f}]")
        seconds = statistics.median(run[3] for run in runs)
        print(f"{name:42} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16} {seconds:6.2f}")


if __name__ == "__main__":
    asyncio.run(main())

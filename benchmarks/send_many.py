"""Benchmark: one-file transfers through ``send_many``, against a plain aiohttp script.

The emulator runs in a child process (so that the server's work does not share the
measuring event loop). Each round sends ``--transfers`` transfers of one ``--size``-byte
file each, ``--concurrency`` at a time, in alternating order:

* plain: ``aiohttp`` with the API headers, making the same requests the library makes
  (create, ``GET`` of the session, register with the SHA-256, ``PUT``, finalize);
* library: ``sender.send_many(jobs, concurrency=...)``;
* journal: the same with an ``SQLiteJournal`` (a fresh file each round).

The figures printed are ``ratio = plain median time / contender median time`` (1.0: as
fast as the plain script; issue 10's target for the library is >= 0.85), and the CPU
seconds this (client) process used per round, with the same ratio: on a loaded machine
the wall-clock times swing by tens of percent, the CPU seconds much less.

Usage::

    python benchmarks/send_many.py                       # 500 x 64 KiB, concurrency 32
    python benchmarks/send_many.py --rounds 5 --transfers 200
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import multiprocessing.connection
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from cryptshare_async import (
    BytesSource,
    ChecksumMode,
    CryptshareClient,
    SendJob,
    SendResult,
    SQLiteJournal,
)

SENDER = "bench@example.com"
RECIPIENT = "bob@example.org"


def _serve(conn: multiprocessing.connection.Connection) -> None:
    """Child process: run an emulator until told to stop."""
    from cryptshare_async.testing import Emulator, EmulatorConfig

    async def main() -> None:
        config = EmulatorConfig(processing_seconds=0.0, seed=1)
        async with Emulator(config) as emu:
            conn.send((emu.url, emu.client_id))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(main())


def _last_segment(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


async def plain_one(
    http: aiohttp.ClientSession, base: str, headers: dict[str, str], data: bytes, name: str
) -> str:
    body = {"sender": {"name": "Bench", "phone": "1"}, "recipients": {"to": [{"mail": RECIPIENT}]}}
    async with http.post(f"{base}/transfer-sessions", json=body, headers=headers) as response:
        assert response.status == 201, response.status
        session = f"{base}/transfer-sessions/{_last_segment(response.headers['Location'])}"
    async with http.get(session, headers=headers) as response:
        assert response.status == 200, response.status
        await response.read()
    checksum = hashlib.sha256(data).hexdigest()
    registration = {"fileName": name, "size": len(data), "checksum": checksum}
    async with http.post(f"{session}/files", json=registration, headers=headers) as response:
        assert response.status == 201, response.status
        file_id = (await response.json())["data"]["fileId"]
    put_headers = {**headers, "Content-Type": "application/octet-stream"}
    async with http.put(
        f"{session}/files/{file_id}/content", data=data, headers=put_headers
    ) as response:
        assert response.status == 200, response.status
        await response.read()
    async with http.post(session, headers=headers) as response:
        assert response.status == 201, response.status
        return _last_segment(response.headers["Location"])


async def plain_round(
    http: aiohttp.ClientSession, base: str, headers: dict[str, str], data: bytes, args: Any
) -> int:
    gate = asyncio.Semaphore(args.concurrency)

    async def one(n: int) -> str:
        async with gate:
            return await plain_one(http, base, headers, data, f"plain-{n}.bin")

    return len(await asyncio.gather(*(one(n) for n in range(args.transfers))))


async def library_round(
    client: CryptshareClient, data: bytes, args: Any, journal_dir: Path | None
) -> int:
    jobs = [
        SendJob(
            f"job-{n}",
            [BytesSource(data, name=f"lib-{n}.bin")],
            to=[RECIPIENT],
            name="Bench",
            phone="1",
            checksum=ChecksumMode(args.checksum),
        )
        for n in range(args.transfers)
    ]
    sender = client.sender(SENDER)
    if journal_dir is None:
        results = await sender.send_many(jobs, concurrency=args.concurrency)
    else:
        path = journal_dir / f"journal-{time.perf_counter_ns()}.db"
        async with SQLiteJournal(path) as journal:
            results = await sender.send_many(jobs, concurrency=args.concurrency, journal=journal)
    failed = [r for r in results if not isinstance(r, SendResult)]
    assert not failed, failed[:3]
    return len(results)


async def measure(
    url: str, client_id: str, args: Any
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    data = os.urandom(args.size)
    times: dict[str, list[float]] = {"plain": [], "library": [], "journal": []}
    cpu: dict[str, list[float]] = {"plain": [], "library": [], "journal": []}
    limit = max(100, args.concurrency)
    async with CryptshareClient(url, client_id=client_id, max_connections=limit) as client:
        sender = client.sender(SENDER)
        await sender.verify_with_client_id()
        stored = await client._tokens.cached(client.token_key(SENDER))
        assert stored is not None
        headers = {
            "X-CS-MajorApiVersion": "1",
            "X-CS-MinimumMinorApiVersion": "12",
            "X-CS-ClientId": client_id,
            "X-CS-ProductKey": "api.rest",
            "X-CS-VerificationToken": stored.token,
        }
        base = f"{url}/api/users/{SENDER}"
        connector = aiohttp.TCPConnector(limit=limit)
        with tempfile.TemporaryDirectory() as folder:
            async with aiohttp.ClientSession(connector=connector) as http:
                for round_ in range(args.rounds + 1):  # round 0 warms up
                    for name in ("plain", "library", "journal"):
                        start, cpu_start = time.perf_counter(), time.process_time()
                        if name == "plain":
                            count = await plain_round(http, base, headers, data, args)
                        else:
                            journal_dir = Path(folder) if name == "journal" else None
                            count = await library_round(client, data, args, journal_dir)
                        assert count == args.transfers
                        if round_:
                            times[name].append(time.perf_counter() - start)
                            cpu[name].append(time.process_time() - cpu_start)
    return times, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=500)
    parser.add_argument("--size", type=int, default=64 * 1024)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--checksum",
        default=ChecksumMode.AUTO.value,
        choices=[mode.value for mode in ChecksumMode],
        help="the library's checksum mode (the plain script always registers the SHA-256)",
    )
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        if not parent.poll(120):
            raise RuntimeError("the emulator did not start within 120 s")
        url, client_id = parent.recv()
        times, cpu = asyncio.run(measure(url, client_id, args))
    finally:
        parent.send("stop")
        server.join(30)
        if server.is_alive():
            server.terminate()
            server.join()

    plain = statistics.median(times["plain"])
    plain_cpu = statistics.median(cpu["plain"])
    print(
        f"{args.transfers} transfers x {args.size} bytes, concurrency {args.concurrency},"
        f" {args.rounds} rounds each (alternating, after one warm-up round);"
        f" library checksum mode {args.checksum}"
    )
    for name, label in (
        ("plain", "plain aiohttp script"),
        ("library", "send_many"),
        ("journal", "send_many + SQLiteJournal"),
    ):
        median = statistics.median(times[name])
        runs = ", ".join(f"{v:.2f}" for v in times[name])
        used = statistics.median(cpu[name])
        print(
            f"{label:27} median {median:6.2f} s  {args.transfers / median:6.0f} transfers/s"
            f"  ratio {plain / median:.2f}  [{runs}]"
            f"  client cpu {used:5.2f} s (ratio {plain_cpu / used:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: iterate 10,000 sent transfers, the library against a plain aiohttp loop.

The emulator runs in a child process (so that the server's work does not share the
measuring event loop) and is seeded with ``--transfers`` transfers. Both contenders
then list all of them at page size 100 against the same server, in alternating rounds:

* plain: ``aiohttp`` GET of each page with the API headers, ``json.loads``, count items;
* library: ``async for item in sender.sent_transfers(page_size=100)`` (typed items).

The figure printed is ``ratio = plain median time / library median time`` (1.0: as fast
as the plain loop; the target is >= 0.8). ``--profile`` adds a cProfile of the library
rounds, to see whether structuring the items is the cost.

Usage::

    python benchmarks/polling.py                 # 10,000 transfers, 5 rounds each
    python benchmarks/polling.py --rounds 9 --profile
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import multiprocessing
import multiprocessing.connection
import pstats
import statistics
import sys
import time
from typing import Any

import aiohttp

from cryptshare_async import CryptshareClient
from cryptshare_async._fields import render_fields

SENDER = "bench@example.com"
PAGE_SIZE = 100


def _serve(conn: multiprocessing.connection.Connection, transfers: int) -> None:
    """Child process: run an emulator with ``transfers`` seeded, until told to stop."""
    from cryptshare_async.testing import Emulator, EmulatorConfig

    async def main() -> None:
        async with Emulator(EmulatorConfig(processing_seconds=0.0, seed=1)) as emu:
            emu.seed_transfers(SENDER, transfers)
            conn.send((emu.url, emu.client_id))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(main())


async def plain_round(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], fields: str | None
) -> int:
    count, page = 0, 1
    while True:
        query = {"page": str(page), "page-size": str(PAGE_SIZE)}
        if fields is not None:
            query["fields"] = fields
        async with http.get(url, params=query, headers=headers) as response:
            response.raise_for_status()
            items = json.loads(await response.read())["data"]
        count += len(items)
        if len(items) < PAGE_SIZE:
            return count
        page += 1


async def library_round(client: CryptshareClient, fields: str | None) -> int:
    count = 0
    async for _item in client.sender(SENDER).sent_transfers(page_size=PAGE_SIZE, fields=fields):
        count += 1
    return count


async def measure(url: str, client_id: str, args: argparse.Namespace) -> dict[str, Any]:
    fields = render_fields(args.fields) if args.fields else None
    async with CryptshareClient(url, client_id=client_id) as client:
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
        list_url = f"{url}/api/users/{SENDER}/transfers/sent-transfers"
        async with aiohttp.ClientSession() as http:
            # Warm-up: connections, caches, the converter's generated functions.
            assert await plain_round(http, list_url, headers, fields) == args.transfers
            assert await library_round(client, fields) == args.transfers
            plain: list[float] = []
            library: list[float] = []
            profiler = cProfile.Profile() if args.profile else None
            for _ in range(args.rounds):
                start = time.perf_counter()
                assert await plain_round(http, list_url, headers, fields) == args.transfers
                plain.append(time.perf_counter() - start)
                if profiler is not None:
                    profiler.enable()
                start = time.perf_counter()
                assert await library_round(client, fields) == args.transfers
                library.append(time.perf_counter() - start)
                if profiler is not None:
                    profiler.disable()
    return {"plain": plain, "library": library, "profiler": profiler}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--fields", default=None, help="a raw fields selection (default: the server's default)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the library rounds")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child, args.transfers), daemon=True)
    server.start()
    try:
        if not parent.poll(120):
            raise RuntimeError("the emulator did not start within 120 s")
        url, client_id = parent.recv()
        result = asyncio.run(measure(url, client_id, args))
    finally:
        parent.send("stop")
        server.join(30)
        if server.is_alive():
            server.terminate()
            server.join()

    plain = statistics.median(result["plain"])
    library = statistics.median(result["library"])
    pages = -(-args.transfers // PAGE_SIZE) + (args.transfers % PAGE_SIZE == 0)
    print(f"transfers: {args.transfers}, page size {PAGE_SIZE}, {pages} requests per round")
    print(f"fields: {args.fields or '(server default)'}; rounds: {args.rounds} each, alternating")
    print(f"plain aiohttp + json.loads: median {plain * 1000:8.1f} ms  {_runs(result['plain'])}")
    print(
        f"library (typed items):      median {library * 1000:8.1f} ms  {_runs(result['library'])}"
    )
    print(f"ratio (plain / library): {plain / library:.2f}  (target >= 0.80)")
    if result["profiler"] is not None:
        out = io.StringIO()
        stats = pstats.Stats(result["profiler"], stream=out)
        stats.sort_stats("tottime").print_stats(18)
        print(out.getvalue())
    return 0


def _runs(values: list[float]) -> str:
    return "[" + ", ".join(f"{v * 1000:.0f}" for v in values) + "]"


if __name__ == "__main__":
    sys.exit(main())

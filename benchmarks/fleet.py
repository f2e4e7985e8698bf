"""Benchmark: batch throughput of an arq fleet (``cryptshare_async.contrib.arq``) with 1, 2
and 4 worker processes.

Starts its own ``redis-server`` (a free 127.0.0.1 port, no persistence) and an emulator
in a child process. For each fleet size: start the workers, warm them up (one verification
per sender, connections open), enqueue ``--jobs`` one-file transfers of ``--size`` bytes
(a fresh journal), and time until the queue is empty. Every job goes through the
journal (a claim, two fenced records) and the shared Redis token store.

On a machine with C cores, the emulator, Redis and the workers share them: past C - 1
workers, more processes only add switching. Read the figures with the load average
printed next to them.

Usage::

    python benchmarks/fleet.py                         # 400 x 64 KiB, fleets of 1, 2, 4
    python benchmarks/fleet.py --jobs 1000 --workers 1 2 4 8 --max-jobs 20
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SENDER = "bench@example.com"
RECIPIENT = "bob@example.org"
ROOT = Path(__file__).resolve().parents[1]


def _serve(conn: multiprocessing.connection.Connection) -> None:
    """Child process: run an emulator until told to stop."""
    from cryptshare_async.testing import Emulator, EmulatorConfig

    async def main() -> None:
        config = EmulatorConfig(processing_seconds=0.0, seed=1, request_log_size=10)
        async with Emulator(config) as emu:
            conn.send((emu.url, emu.client_id))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(main())


def _worker(url: str, port: int, queue: str, max_jobs: int) -> None:
    """Child process: one arq worker (``--worker`` mode of this script)."""
    from arq.connections import RedisSettings
    from arq.worker import run_worker

    from cryptshare_async import CryptshareClient
    from cryptshare_async.contrib.arq import worker_settings
    from cryptshare_async.contrib.redis import RedisTokenStore

    def make_client(redis: object) -> CryptshareClient:
        return CryptshareClient(
            url,
            client_id=os.environ["FLEET_CLIENT_ID"],
            token_store=RedisTokenStore(redis),  # type: ignore[arg-type]
        )

    run_worker(
        worker_settings(
            make_client,
            redis_settings=RedisSettings(host="127.0.0.1", port=port),
            queue_name=queue,
            max_jobs=max_jobs,
            poll_delay=0.05,
            keep_result=0,
            log_results=False,
        )
    )


def _redis_server() -> tuple[subprocess.Popen[bytes], int]:
    binary = os.environ.get("CRYPTSHARE_REDIS_SERVER") or shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server not found: apt-get install -y redis-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    folder = tempfile.mkdtemp(prefix="fleet-redis-")
    server = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            folder,
        ],
        stdout=subprocess.DEVNULL,
    )
    return server, port


async def _run(args: argparse.Namespace, url: str, client_id: str, port: int) -> None:
    from arq import create_pool
    from arq.connections import RedisSettings

    from cryptshare_async import BytesSource, SendJob
    from cryptshare_async.contrib.arq import enqueue_sends

    for _ in range(100):
        try:
            pool = await create_pool(RedisSettings(host="127.0.0.1", port=port, conn_retries=0))
            break
        except OSError:
            await asyncio.sleep(0.05)
    else:
        sys.exit("redis-server did not start")
    payload = os.urandom(args.size)

    def batch(n: int, tag: str) -> list[SendJob]:
        return [
            SendJob(
                f"{tag}-{i}",
                [BytesSource(payload, name=f"{tag}-{i}.bin")],
                to=[RECIPIENT],
                name="Bench",
                phone="1",
            )
            for i in range(n)
        ]

    async def drain(queue: str, limit: float) -> None:
        deadline = time.monotonic() + limit
        while await pool.zcard(queue) > 0:
            if time.monotonic() > deadline:
                sys.exit(f"the queue did not empty in {limit:.0f} s")
            await asyncio.sleep(0.02)

    env = {**os.environ, "FLEET_CLIENT_ID": client_id, "PYTHONPATH": str(ROOT)}
    print(
        f"{args.jobs} jobs x {args.size} B, max_jobs={args.max_jobs} per worker,"
        f" {os.cpu_count()} cores"
    )
    baseline = None
    for count in args.workers:
        queue = f"bench-{uuid.uuid4().hex}"
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                url,
                str(port),
                queue,
                str(args.max_jobs),
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            for _ in range(count)
        ]
        try:
            warm = f"warm-{queue}"
            await enqueue_sends(
                pool, batch(4 * count, warm), sender=SENDER, journal=warm, queue_name=queue
            )
            await drain(queue, 60)
            await asyncio.sleep(0.5)  # every worker has polled since
            name = f"run-{queue}"
            jobs = batch(args.jobs, name)
            load = os.getloadavg()[0]
            started = time.perf_counter()
            await enqueue_sends(pool, jobs, sender=SENDER, journal=name, queue_name=queue)
            await drain(queue, 600)
            elapsed = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                await asyncio.wait_for(worker.wait(), 30)
        rate = args.jobs / elapsed
        baseline = baseline or rate
        print(
            f"{count} worker(s): {elapsed:6.2f} s  {rate:6.1f} transfers/s  x{rate / baseline:.2f}"
            f"  (load before: {load:.1f})",
            flush=True,
        )
    await pool.aclose()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--size", type=int, default=64 * 1024)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--max-jobs", type=int, default=10, help="concurrent jobs per worker")
    args = parser.parse_args()
    here, there = multiprocessing.Pipe()
    emulator = multiprocessing.Process(target=_serve, args=(there,), daemon=True)
    emulator.start()
    url, client_id = here.recv()
    server, port = _redis_server()
    try:
        asyncio.run(_run(args, url, client_id, port))
    finally:
        here.send("stop")
        emulator.join(timeout=10)
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()

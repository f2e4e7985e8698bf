"""Pre-pass mode: the sending pass checked by CRC-32 (what the library does) against a
second SHA-256 of the bytes sent (what it did before), alternating in one run.

Both variants do the same requests against the same emulator (started as for
``upload.py``, recycling content): one ``GET`` of the session, the pre-pass, the
registration with the digest, the ``PUT``. The second SHA-256 is the library's own
caller-digest path (``upload_content(checksum=digest)``) after ``prehash``.

Usage::

    python benchmarks/prepass_recheck.py --rounds 6     # 1 GiB file
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from upload import MIB, Sessions, emulator_process, make_file, sha256_in_thread

from cryptshare_async import ChecksumMode, CryptshareClient
from cryptshare_async._upload._hashing import resolve_algorithm
from cryptshare_async._upload._sources import FileSource


async def crc_recheck(sessions: Sessions, path: Path) -> float:
    session = await sessions.fresh()
    start = time.perf_counter()
    await session.upload(path, checksum=ChecksumMode.PRE_PASS)
    return time.perf_counter() - start


async def sha256_recheck(sessions: Sessions, path: Path) -> float:
    session = await sessions.fresh()
    opened = FileSource(path).open()
    try:
        start = time.perf_counter()
        algorithm = (await session.state()).file_checksum_algorithm
        digest = (await opened.prehash(resolve_algorithm(algorithm))).digest
        file_id = await session.register_file(path.name, opened.size, digest)
        await session.upload_content(file_id, path, checksum=digest, algorithm=algorithm)
        return time.perf_counter() - start
    finally:
        opened.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--storage-dir", default="/dev/shm")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cryptshare-bench-"))
    ratios: dict[str, list[float]] = {"CRC-32 (library)": [], "second SHA-256": []}
    try:
        path = tmp / "bench.bin"
        make_file(path, args.size_mib * MIB)
        emulator = emulator_process(args.storage_dir, args.size_mib)
        async with (
            emulator as (url, client_id, _),
            CryptshareClient(url, client_id=client_id) as client,
        ):
            sessions = Sessions(client)
            await crc_recheck(sessions, path)  # warm-up, not counted
            for round_ in range(args.rounds):
                baseline = await sha256_in_thread(path)
                jobs = [("CRC-32 (library)", crc_recheck), ("second SHA-256", sha256_recheck)]
                for name, job in jobs if round_ % 2 == 0 else reversed(jobs):
                    ratios[name].append(baseline / await job(sessions, path))
            await sessions.discard()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"pre-pass upload of {args.size_mib} MiB, x sha256 in one thread, {args.rounds} rounds")
    for name, values in ratios.items():
        rounds = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:18} median {statistics.median(values):.2f}   rounds: {rounds}")


if __name__ == "__main__":
    asyncio.run(main())

"""Upload benchmark: throughput per checksum mode, baselines, peak RSS growth.

Runs the emulator in a separate process (so the figures are the client's), its content
storage on ``--storage-dir`` (default ``/dev/shm``, a RAM disk, so that disk writes are
not the limit), makes a test file in a temporary directory (deleted after), then in one
run measures:

(a) ``session.upload()`` of the file in each checksum mode, after one untimed warm-up
    upload; each upload gets a new session and the previous one (with its content) is
    deleted just before, so every upload starts from the same state; the emulator writes
    each upload over the previous one's file (``--recycle-content-mib``), since writing
    into fresh memory costs this VM three to four times as much kernel time;
(b) baselines over the same bytes: ``curl -T`` to the same PUT endpoint, and
    ``hashlib.sha256`` in one thread (measured again in each section);
(c) peak RSS growth of a fresh uploading process for a 1 MiB and a large upload;
(d) the chunk producers (worker thread vs aiofiles) reading + hashing without sending;
(e) the library's PUT alone against a raw-socket sink that discards the body;
(f) with ``--sources``, instead of (a)-(e): ``session.upload()`` of the same bytes from
    each kind of source (path, file objects, aiofiles handles, an aiohttp ``StreamReader``
    read in chunks and, as before, by lines, ``spool()``), all in stream mode.

Each row also shows the CPU seconds per GiB used meanwhile by the client side (this
process, or curl) and by the server process: on a 2-core machine both share the cores.

Usage::

    python benchmarks/upload.py               # 1 GiB, 3 repetitions (medians)
    python benchmarks/upload.py --size-mib 256 --repeat 1
    python benchmarks/upload.py --sources --size-mib 200 --repeat 3
"""

# Blocking file calls between measurements are fine in a benchmark driver.
# ruff: noqa: ASYNC230, ASYNC240

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aiofiles
import aiohttp
from aiohttp import web

from cryptshare_async import CryptshareClient, StreamSource, TransferSession, spool
from cryptshare_async._upload import ChecksumMode
from cryptshare_async._upload._reader import ChunkReader

MIB = 1 << 20
GIB = 1 << 30


@contextlib.asynccontextmanager
async def emulator_process(
    storage_dir: str | None, recycle_mib: int = 0
) -> AsyncIterator[tuple[str, str, int]]:
    storage = ["--storage-dir", storage_dir] if storage_dir else []
    storage += ["--recycle-content-mib", str(recycle_mib)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cryptshare_async.testing",
        "--port",
        "0",
        "--processing-seconds",
        "0.01",
        *storage,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        url = client_id = ""
        while not (url and client_id):
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            if not line:
                raise RuntimeError("the emulator exited")
            if m := re.search(r"listening on (http://\S+)", line):
                url = m.group(1)
            if m := re.search(r"client id \(whitelisted\): (\w+)", line):
                client_id = m.group(1)
        yield url, client_id, proc.pid
    finally:
        proc.terminate()
        await proc.wait()


def sink_server() -> None:
    """A minimal HTTP/1.1 sink: reads each request body with ``recv_into`` and answers 200.

    Used to measure the client alone when the emulator's receive path is slower.
    """
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    print(server.getsockname()[1], flush=True)
    buf = bytearray(8 * MIB)
    view = memoryview(buf)
    while True:
        conn, _ = server.accept()
        with conn:
            pending = b""
            while True:
                while b"\r\n\r\n" not in pending:
                    data = conn.recv(65536)
                    if not data:
                        break
                    pending += data
                if b"\r\n\r\n" not in pending:
                    break
                head, _, pending = pending.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                left = length - len(pending)
                pending = b""
                while left > 0:
                    n = conn.recv_into(view[: min(left, len(buf))])
                    if n == 0:
                        break
                    left -= n
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


@contextlib.asynccontextmanager
async def sink_process() -> AsyncIterator[tuple[str, int]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--sink-server", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        port = int(await asyncio.wait_for(proc.stdout.readline(), 30))
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        await proc.wait()


async def sink_put(url: str, path: Path, mode: str, digest: str) -> float:
    """The library's PUT (transport + upload body) of the file to the sink, timed."""
    from yarl import URL

    from cryptshare_async._protocol import put_content_request
    from cryptshare_async._transport import AiohttpTransport, TransportSettings
    from cryptshare_async._upload._body import UploadBody
    from cryptshare_async._upload._hashing import resolve_algorithm
    from cryptshare_async._upload._sources import FileSource

    transport = AiohttpTransport(URL(url), settings=TransportSettings())
    opened = FileSource(path).open()
    algorithm = None if mode == "off" else resolve_algorithm("SHA-256")
    try:
        start = time.perf_counter()
        caller_digest = digest if mode == "caller-digest" else None
        pre_pass = None
        if mode == "pre-pass":
            assert algorithm is not None
            pre_pass = await opened.prehash(algorithm)
        body = UploadBody(
            opened, algorithm=algorithm, caller_digest=caller_digest, pre_pass=pre_pass
        )
        response = await transport.send(put_content_request("a@b.c", "t", "f"), {}, body=body)
        elapsed = time.perf_counter() - start
        assert response.status == 200 and body.completed
        return elapsed
    finally:
        opened.close()
        await transport.aclose()


async def curl_sink(url: str, path: Path) -> float:
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-o", "/dev/null", "-H", "Expect:", "-T", str(path), url + "/api/x"
    )  # fmt: skip
    await proc.wait()
    return time.perf_counter() - start


def make_file(path: Path, size: int) -> None:
    block = os.urandom(min(size, 64 * MIB))
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n


async def sha256_in_thread(path: Path) -> float:
    return await asyncio.to_thread(sha256_one_thread, path)


def sha256_one_thread(path: Path) -> float:
    """Seconds to hash the file's bytes in one thread (read in 4 MiB blocks, page cache)."""
    buf = bytearray(4 * MIB)
    view = memoryview(buf)
    start = time.perf_counter()
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    return time.perf_counter() - start


async def session_for(client: CryptshareClient) -> TransferSession:
    alice = client.sender("bench@example.com")
    return await alice.create_session(to=["bob@example.org"], name="Bench", phone="1")


class Sessions:
    """A new transfer session per upload; the previous one (with its uploaded content) is
    deleted just before, so that every timed upload starts in the same state: the emulator
    writes over the previous upload's file (``--recycle-content-mib``). (Without that, on a
    VM that hands freed memory back to the host, writing into new or long-free memory costs
    the emulator two to four times as much, which made whichever upload ran after a pause,
    such as the pre-pass's sending pass, look slow.)"""

    def __init__(self, client: CryptshareClient) -> None:
        self.client = client
        self._previous: TransferSession | None = None

    async def fresh(self) -> TransferSession:
        await self.discard()
        self._previous = await session_for(self.client)
        return self._previous

    async def discard(self) -> None:
        previous, self._previous = self._previous, None
        if previous is not None:
            await previous.delete()


async def curl_put(sessions: Sessions, path: Path, tmp: Path) -> float:
    from cryptshare_async import _protocol as protocol

    client = sessions.client
    session = await sessions.fresh()
    size = path.stat().st_size
    file_id = await session.register_file("curl.bin", size)
    request = protocol.put_content_request("bench@example.com", session.tracking_id, file_id)
    stored = await client.tokens.cached(client.token_key("bench@example.com"))
    assert stored is not None
    headers = client.headers_for(request, token=stored.token)
    headers["Content-Type"] = "application/octet-stream"
    header_file = tmp / "curl-headers"
    header_file.write_text("".join(f"{k}: {v}\n" for k, v in headers.items()))
    header_file.chmod(0o600)
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect:", "-T", str(path),
        "-H", f"@{header_file}", str(client.transport.url_for(request)),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    elapsed = time.perf_counter() - start
    header_file.unlink()
    if out.decode() != "200":
        raise RuntimeError(f"curl PUT answered {out!r}")
    return elapsed


async def upload_once(sessions: Sessions, path: Path, mode: str, digest: str) -> float:
    session = await sessions.fresh()
    checksum: ChecksumMode | str = digest if mode == "caller-digest" else ChecksumMode(mode)
    start = time.perf_counter()
    uploaded = await session.upload(path, checksum=checksum)
    elapsed = time.perf_counter() - start
    if uploaded.checksum not in (None, digest):
        raise RuntimeError("wrong digest")
    return elapsed


async def reader_thread(path: Path, chunk: int) -> float:
    size = path.stat().st_size
    fd = os.open(path, os.O_RDONLY)
    try:
        start = time.perf_counter()
        reader = ChunkReader(
            lambda o, n: os.pread(fd, n, o), size, hasher=hashlib.sha256(), chunk_size=chunk
        )
        try:
            async for _ in reader:
                pass
        finally:
            await reader.aclose()
        return time.perf_counter() - start
    finally:
        os.close(fd)


async def reader_aiofiles(path: Path, chunk: int) -> float:
    start = time.perf_counter()
    h = hashlib.sha256()
    async with aiofiles.open(path, "rb") as f:
        while data := await f.read(chunk):
            h.update(data)  # hashing in the loop, as an aiofiles-based body would
    return time.perf_counter() - start


def rss_child(url: str, client_id: str, size: int, tmp: str) -> int:
    """Run one upload in a fresh process; return its peak RSS growth in bytes."""
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", url, client_id, str(size), tmp],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip().splitlines()[-1])


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


async def _rss_child_main(url: str, client_id: str, size: int, tmp: str) -> None:
    path = Path(tmp) / f"rss-{size}.bin"
    make_file(path, size)
    async with CryptshareClient(url, client_id=client_id) as client:
        # Warm up: a small upload loads every code path and opens the connection.
        session = await session_for(client)
        await session.upload(b"x" * 4096, file_name="warm.bin")
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        base = _status_kib("VmRSS")
        await session.upload(path)
        peak = _status_kib("VmHWM")
    path.unlink()
    print((peak - base) * 1024)


def report(title: str, runs: Runs, size: int) -> None:
    """One section: each row against the sha256 and curl baselines of the same section."""
    med = {k: statistics.median(v) for k, v in runs.seconds.items()}
    sha, curl = med.pop("sha256 1 thread"), med.get("curl -T")
    width = max(26, *map(len, med))
    print(f"-- {title}")
    print(f"{'sha256 1 thread':{width}s} {fmt(size, sha)}")
    targets = {"stream": 0.75, "caller-digest": 0.75, "pre-pass": 0.45}
    gib = size / GIB
    for name, seconds in med.items():
        line = f"{name:{width}s} {fmt(size, seconds)}   {sha / seconds:5.2f} x sha256"
        line += f"   {curl / seconds:5.2f} x curl" if curl else ""
        client = statistics.median(runs.client_cpu[name]) / gib
        server = statistics.median(runs.server_cpu[name]) / gib
        line += f"   cpu s/GiB: client {client:4.2f}" + (
            f" server {server:4.2f}" if runs.server_pid else ""
        )
        if name in targets:
            line += f"   (target >= {targets[name]} x sha256)"
        if name == "off":
            line += "   (target >= 0.9 x curl)"
        print(line)


def fmt(size: int, seconds: float) -> str:
    return f"{size / GIB / seconds:6.2f} GiB/s"


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) used so far by another process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds used by this process and its waited-for children (curl)."""
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Runs:
    """Timings of each measurement, with the CPU used meanwhile by the client side (this
    process and curl) and by the server process (emulator or sink)."""

    server_pid: int | None = None
    seconds: dict[str, list[float]] = field(default_factory=dict)
    client_cpu: dict[str, list[float]] = field(default_factory=dict)
    server_cpu: dict[str, list[float]] = field(default_factory=dict)

    async def run(self, name: str, job: Callable[[], Awaitable[float]]) -> None:
        pid = self.server_pid
        client, server = own_cpu(), process_cpu(pid) if pid else 0.0
        self.seconds.setdefault(name, []).append(await job())
        self.client_cpu.setdefault(name, []).append(own_cpu() - client)
        server = (process_cpu(pid) if pid else 0.0) - server
        self.server_cpu.setdefault(name, []).append(server)


# ------------------------------------------------------------------ (f) source kinds


class _AsyncReadOnly:
    """Only ``async read(n)`` of an aiofiles handle: the path an object without a
    descriptor takes (each read a hop to aiofiles' executor, hashed in a worker thread)."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    async def read(self, size: int = -1) -> bytes:
        data: bytes = await self._handle.read(size)
        return data


class _ByLines:
    """A ``StreamReader`` seen only as an async iterable: iterated by lines, which is
    what ``upload(resp.content, size=n)`` did before file objects were recognised."""

    def __init__(self, reader: aiohttp.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._reader.__aiter__()


@contextlib.asynccontextmanager
async def content_server(path: Path) -> AsyncIterator[str]:
    """An in-process aiohttp server sending the file (``sendfile``): the far end of a
    ``resp.content`` StreamReader, as when a web app passes a download on."""
    app = web.Application()

    async def handler(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    app.router.add_get("/file", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}/file"
    finally:
        await runner.cleanup()


async def upload_source(sessions: Sessions, path: Path, kind: str, digest: str, url: str) -> float:
    """One upload of the file's bytes from a source of ``kind`` (stream mode), timed from
    the moment the source exists (a GET's headers have arrived, a file is open)."""
    session = await sessions.fresh()
    size = path.stat().st_size
    stream = ChecksumMode.STREAM
    async with contextlib.AsyncExitStack() as stack:
        source: Any
        if kind == "path":
            source = path
        elif kind == "open(rb)":
            source = stack.enter_context(open(path, "rb"))  # noqa: SIM115
        elif kind == "r+b (sync read)":
            source = stack.enter_context(open(path, "r+b"))  # noqa: SIM115
        elif kind == "BytesIO":
            source = io.BytesIO(path.read_bytes())
        elif kind in ("aiofiles handle", "aiofiles async read"):
            handle = await stack.enter_async_context(aiofiles.open(path, "rb"))
            source = handle if kind == "aiofiles handle" else _AsyncReadOnly(handle)
        else:
            http = await stack.enter_async_context(aiohttp.ClientSession())
            response = await stack.enter_async_context(http.get(url))
            source = response.content
        start = time.perf_counter()
        if kind == "StreamReader by lines (before)":
            uploaded = await session.upload(
                StreamSource(_ByLines(source), size=size), file_name="s.bin", checksum=stream
            )
        elif kind == "spool(StreamReader) + upload":
            async with await spool(source, max_bytes=size, dir=path.parent) as spooled:
                uploaded = await session.upload(spooled, file_name="s.bin")  # pre-pass: free
        else:
            uploaded = await session.upload(source, file_name="s.bin", size=size, checksum=stream)
        elapsed = time.perf_counter() - start
    if uploaded.checksum != digest:
        raise RuntimeError(f"{kind}: wrong digest")
    return elapsed


async def produce_source(path: Path, kind: str) -> float:
    """Read + sha256 the file through a source of ``kind``, nothing sent: the source's
    own path (worker-thread ``pread``, ``read(n)`` in a worker thread, or ``await
    read(n)`` on the loop with the hashing in a worker thread)."""
    from cryptshare_async._upload._dispatch import as_upload_source

    async with contextlib.AsyncExitStack() as stack:
        source: Any
        if kind == "path":
            source = path
        elif kind == "open(rb)":
            source = stack.enter_context(open(path, "rb"))  # noqa: SIM115
        elif kind == "r+b (sync read)":
            source = stack.enter_context(open(path, "r+b"))  # noqa: SIM115
        else:
            handle = await stack.enter_async_context(aiofiles.open(path, "rb"))
            source = handle if kind == "aiofiles handle" else _AsyncReadOnly(handle)
        start = time.perf_counter()
        opened = await as_upload_source(source, size=path.stat().st_size).aopen()
        stream = opened.chunks(hashlib.sha256(), MIB)
        try:
            async for chunk in stream:
                if chunk.final:
                    assert chunk.digest is not None and not chunk.short
        finally:
            await stream.aclose()
            opened.close()
        return time.perf_counter() - start


PRODUCER_KINDS = ("path", "open(rb)", "aiofiles handle", "r+b (sync read)", "aiofiles async read")
SOURCE_KINDS = (
    "path",
    "open(rb)",
    "aiofiles handle",
    "r+b (sync read)",
    "BytesIO",
    "aiofiles async read",
    "StreamReader read(n)",
    "StreamReader by lines (before)",
    "spool(StreamReader) + upload",
)


async def sources_main(args: argparse.Namespace, path: Path, digest: str, size: int) -> None:
    recycle = args.size_mib if args.recycle_content_mib is None else args.recycle_content_mib
    kinds = SOURCE_KINDS if args.kinds is None else tuple(args.kinds.split(","))
    unknown = set(kinds) - set(SOURCE_KINDS)
    if unknown:
        raise SystemExit(f"unknown kinds {sorted(unknown)}; known: {', '.join(SOURCE_KINDS)}")
    async with (
        emulator_process(args.storage_dir, recycle) as (url, client_id, pid),
        content_server(path) as content_url,
        CryptshareClient(url, client_id=client_id) as client,
    ):
        runs = Runs(server_pid=pid)
        sessions = Sessions(client)
        await upload_source(sessions, path, "path", digest, content_url)  # warm-up
        for _ in range(args.repeat):
            await runs.run("sha256 1 thread", lambda: sha256_in_thread(path))
            for kind in kinds:
                job = partial(upload_source, sessions, path, kind, digest, content_url)
                await runs.run(f"source: {kind}", job)
        await sessions.discard()
    print(
        f"file {size / MIB:.0f} MiB, medians of {args.repeat}; cpus={os.cpu_count()};"
        f" emulator storage: {args.storage_dir or 'system temp dir'}; stream mode"
        " (spool: its digest serves as the pre-pass); server cpu = the emulator's"
    )
    producers = Runs()
    for _ in range(args.repeat):
        await producers.run("sha256 1 thread", lambda: sha256_in_thread(path))
        for kind in PRODUCER_KINDS:
            await producers.run(f"reads: {kind}", partial(produce_source, path, kind))
    report("source kinds, against the emulator (full upload: GET, register, PUT)", runs, size)
    report("each source's reading + sha256 alone (nothing sent)", producers, size)
    for kind in kinds:
        print(f"{kind:32s} {statistics.median(runs.seconds['source: ' + kind]):6.2f} s")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rss-child", nargs=4, metavar=("URL", "ID", "SIZE", "TMP"))
    parser.add_argument("--sources", action="store_true", help="only (f): the source kinds")
    parser.add_argument(
        "--kinds", default=None, help="with --sources: a comma-separated subset of the kinds"
    )
    parser.add_argument("--sink-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--storage-dir",
        default="/dev/shm" if os.path.isdir("/dev/shm") else None,
        help="where the emulator keeps uploaded content (default /dev/shm: a RAM disk)",
    )
    parser.add_argument(
        "--recycle-content-mib",
        type=int,
        default=None,
        help="MiB of deleted content the emulator writes new uploads over (default: the"
        " file size, so each upload reuses the previous one's file; 0: always new files)",
    )
    args = parser.parse_args()
    if args.sink_server:
        sink_server()
        return
    if args.rss_child:
        url, cid, size, tmp = args.rss_child
        await _rss_child_main(url, cid, int(size), tmp)
        return
    size = args.size_mib * MIB
    tmp = Path(tempfile.mkdtemp(prefix="cryptshare-bench-"))
    try:
        path = tmp / "bench.bin"
        make_file(path, size)
        digest = hashlib.sha256(path.read_bytes() if size <= 64 * MIB else b"").hexdigest()
        if size > 64 * MIB:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while block := f.read(8 * MIB):
                    h.update(block)
            digest = h.hexdigest()
        if args.sources:
            await sources_main(args, path, digest, size)
            return
        recycle = args.size_mib if args.recycle_content_mib is None else args.recycle_content_mib
        async with emulator_process(args.storage_dir, recycle) as (url, client_id, pid):
            emulator = Runs(server_pid=pid)
            async with CryptshareClient(url, client_id=client_id) as client:
                sessions = Sessions(client)
                await upload_once(sessions, path, "off", digest)  # warm-up, not timed
                for _ in range(args.repeat):
                    await emulator.run("sha256 1 thread", lambda: sha256_in_thread(path))
                    await emulator.run("curl -T", lambda: curl_put(sessions, path, tmp))
                    for mode in ("stream", "caller-digest", "pre-pass", "off"):
                        await emulator.run(mode, partial(upload_once, sessions, path, mode, digest))
                await sessions.discard()
            readers = Runs()
            for _ in range(args.repeat):
                await readers.run("sha256 1 thread", lambda: sha256_in_thread(path))
                await readers.run("reader: thread 1 MiB", lambda: reader_thread(path, MIB))
                await readers.run("reader: aiofiles 1 MiB", lambda: reader_aiofiles(path, MIB))
                await readers.run(
                    "reader: aiofiles 64 KiB", lambda: reader_aiofiles(path, 64 * 1024)
                )
            async with sink_process() as (sink, sink_pid):
                sinks = Runs(server_pid=sink_pid)
                for _ in range(args.repeat):
                    await sinks.run("sha256 1 thread", lambda: sha256_in_thread(path))
                    await sinks.run("curl -T", lambda: curl_sink(sink, path))
                    for mode in ("stream", "caller-digest", "pre-pass", "off"):
                        await sinks.run(mode, partial(sink_put, sink, path, mode, digest))
            print(
                f"file {size / MIB:.0f} MiB, medians of {args.repeat}; cpus={os.cpu_count()};"
                f" emulator storage: {args.storage_dir or 'system temp dir'},"
                f" reusing up to {recycle} MiB of deleted content"
            )
            report("against the emulator (full upload: GET, register, PUT)", emulator, size)
            report("chunk producers alone (read + sha256, nothing sent)", readers, size)
            report("against a raw-socket sink (the library's PUT only)", sinks, size)
            small = rss_child(url, client_id, MIB, str(tmp))
            large = rss_child(url, client_id, size, str(tmp))
            print(f"peak RSS growth: 1 MiB upload {small / MIB:.1f} MiB,"
                  f" {size / MIB:.0f} MiB upload {large / MIB:.1f} MiB,"
                  f" difference {(large - small) / MIB:.1f} MiB (target <= 16 MiB),"
                  f" ratio {large / max(small, 1):.2f}")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

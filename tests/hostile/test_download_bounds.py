"""Downloads stop at the announced size: never more than it on disk, nothing left behind."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from cryptshare_async import (
    CryptshareClient,
    CryptshareError,
    DownloadIntegrityError,
    TransportError,
)
from cryptshare_async._models import TransferFile
from cryptshare_async._recipient import _FileSink

from .checks import PASSWORD, assert_typed_and_clean
from .conftest import Connect
from .server import Reply, Seen, endless, gzip_bomb, head, http, raw

ANNOUNCED = 10
STREAMED = 200 * 1024 * 1024


@pytest.fixture
def on_disk(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of the temporary file after every write."""
    sizes: list[int] = []
    original = _FileSink._write

    def write(self: _FileSink, data: bytes) -> None:
        original(self, data)
        sizes.append(os.stat(self.path).st_size)

    monkeypatch.setattr(_FileSink, "_write", write)
    return sizes


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def only(reply: Reply) -> object:
    def route(seen: Seen) -> Reply:
        assert seen.method == "GET" and seen.path.endswith("/files/F1"), seen.path
        return reply

    return route


async def download(client: CryptshareClient, folder: Path, size: int | None = ANNOUNCED) -> Path:
    incoming = client.recipient_transfer("R1", password=PASSWORD)
    file = TransferFile(id="F1", file_name="a.bin", size=size)
    return await incoming.download(file, folder)


@pytest.mark.parametrize(
    "prefix",
    [
        head("200 OK", {"Content-Type": "application/octet-stream"}),  # close-delimited
        head("200 OK", {"Content-Length": str(STREAMED)}),
        head("200 OK", {"Content-Length": str(ANNOUNCED)}) + b"x" * ANNOUNCED,  # then more
    ],
    ids=["no-length", "long-content-length", "more-after-the-length"],
)
async def test_a_stream_longer_than_announced_stops_at_once(
    connect: Connect, tmp_path: Path, on_disk: list[int], prefix: bytes
) -> None:
    sent: list[int] = []
    async with connect(only(endless(prefix, limit=STREAMED, sent=sent))) as (_, client):
        with pytest.raises(CryptshareError) as caught:
            await download(client, tmp_path)
    assert_typed_and_clean(caught.value)
    assert not isinstance(caught.value, DownloadIntegrityError) or caught.value.what == "size"
    assert listing(tmp_path) == []
    assert all(size <= ANNOUNCED for size in on_disk)
    assert sum(sent) < STREAMED  # the client hung up long before the end


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (http("200 OK", b"x" * 5), DownloadIntegrityError),
        (raw(head("200 OK") + b"x" * 5), DownloadIntegrityError),
        (raw(head("200 OK", {"Content-Length": "10"}) + b"x" * 5), TransportError),
        (http("200 OK", b"x" * 11), DownloadIntegrityError),
        (raw(head("200 OK", {"Content-Length": "9"}) + b"x" * 10), TransportError),  # data after
        (raw(head("200 OK", {"Content-Length": "ten"}) + b"x" * 10), TransportError),
        (
            raw(head("200 OK", {"Content-Encoding": "gzip"}) + gzip_bomb(64 * 1024 * 1024)),
            DownloadIntegrityError,
        ),
    ],
    ids=["short", "short-no-length", "length-lies-long", "long", "length-lies-short",
         "length-not-a-number", "gzip-bomb"],
)  # fmt: skip
async def test_a_wrong_length_is_an_error_and_leaves_nothing(
    connect: Connect,
    tmp_path: Path,
    on_disk: list[int],
    reply: Reply,
    error: type[Exception],
) -> None:
    async with connect(only(reply)) as (_, client):
        with pytest.raises(error) as caught:
            await download(client, tmp_path)
    assert_typed_and_clean(caught.value)
    assert listing(tmp_path) == []
    assert all(size <= ANNOUNCED for size in on_disk)


async def test_without_an_announced_size_content_length_bounds_the_download(
    connect: Connect, tmp_path: Path
) -> None:
    reply = http("200 OK", b"abcd", {"Content-Type": "application/octet-stream"})
    async with connect(only(reply), read=10.0) as (_, client):
        path = await download(client, tmp_path, size=None)
    assert path.read_bytes() == b"abcd"


async def test_content_length_of_an_encoded_body_is_not_compared_with_the_size(
    connect: Connect, tmp_path: Path
) -> None:
    data = b"0123456789"
    packed = gzip.compress(data)
    assert len(packed) != ANNOUNCED
    reply = http("200 OK", packed, {"Content-Encoding": "gzip"})
    async with connect(only(reply), read=10.0) as (_, client):
        path = await download(client, tmp_path)
    assert path.read_bytes() == data

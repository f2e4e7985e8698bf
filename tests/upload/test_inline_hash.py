"""Small buffers are hashed on the loop (no worker thread); larger ones in a thread.
Both give the same digests, and a mutable buffer is still checked while sending."""

from __future__ import annotations

import hashlib
import threading
import zlib

import pytest

from cryptshare_async._upload._hashing import resolve_algorithm
from cryptshare_async._upload._progress import ProgressReporter
from cryptshare_async._upload._sources import INLINE_HASH_MAX, BytesSource

SHA256 = resolve_algorithm("SHA-256")
SIZES = [0, 1, 4096, INLINE_HASH_MAX - 1, INLINE_HASH_MAX, INLINE_HASH_MAX + 1, 3 << 20]


def _data(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + bytes(size % 256)


@pytest.fixture
def threads_started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    started: list[str] = []
    original = threading.Thread.start

    def start(self: threading.Thread) -> None:
        started.append(self.name)
        original(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    return started


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", [bytes, bytearray])
async def test_pre_pass_digests_whatever_the_path(
    size: int, kind: type[bytes] | type[bytearray], threads_started: list[str]
) -> None:
    data = _data(size)
    seen: list[tuple[int, int]] = []

    def on_progress(done: int, total: int) -> None:
        seen.append((done, total))

    opened = BytesSource(kind(data)).open()
    result = await opened.prehash(SHA256, ProgressReporter(on_progress, size))
    assert result.digest == hashlib.sha256(data).hexdigest()
    expected_crc = None if kind is bytes else f"{zlib.crc32(data):08x}"
    assert result.fingerprint == expected_crc
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    assert (threads_started == []) is (size <= INLINE_HASH_MAX)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", [bytes, bytearray])
async def test_sending_pass_hashes_the_bytes_it_gives(
    size: int, kind: type[bytes] | type[bytearray], threads_started: list[str]
) -> None:
    data = _data(size)
    opened = BytesSource(kind(data)).open()
    stream = opened.chunks(SHA256.new(), 64 * 1024)
    pieces: list[bytes] = []
    digest = None
    try:
        async for chunk in stream:
            pieces.append(bytes(chunk.data))
            if chunk.final:
                digest = chunk.digest
    finally:
        await stream.aclose()
    assert b"".join(pieces) == data
    assert digest == hashlib.sha256(data).hexdigest()
    assert (threads_started == []) is (size <= INLINE_HASH_MAX)


async def test_a_small_mutable_buffer_is_copied_before_it_is_hashed() -> None:
    """The chunk handed out is a copy: a change after hashing cannot reach the wire."""
    buffer = bytearray(_data(10_000))
    stream = BytesSource(buffer).open().chunks(SHA256.new(), 4096)
    first = await stream.__anext__()
    buffer[0] ^= 0xFF
    assert bytes(first.data) == _data(10_000)[:4096]
    await stream.aclose()


def test_a_sender_address_is_checked_on_every_call_even_when_cached() -> None:
    from cryptshare_async._errors import InvalidInputError
    from cryptshare_async._validation import email_path_segment

    assert email_path_segment("a+b@example.com") == "a%2Bb@example.com"
    assert email_path_segment("a+b@example.com") == "a%2Bb@example.com"
    for _ in range(2):
        with pytest.raises(InvalidInputError):
            email_path_segment("not an address")
    with pytest.raises(InvalidInputError):
        email_path_segment(["a@example.com"])  # type: ignore[arg-type]

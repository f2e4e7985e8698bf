"""Hashing in a helper thread beside the caller, built on the kit's
:class:`~cryptshare_async._threads.Lane`.

- :class:`SideHasher`, for a worker thread: the pre-pass needs the registered digest
  (SHA-256) and a CRC-32 of the same bytes; on two cores the CRC then costs no extra time.
- :class:`StreamHasher`, for the event loop: the chunks of a caller's async stream are
  hashed in a thread while they are sent, so the loop never hashes.

Both hashing libraries release the GIL for buffers over 2 KiB.

Example::

    with SideHasher(Crc32()) as side:
        for block in blocks:   # alternate two buffers: see ``update``
            side.update(block)
            sha.update(block)
        fingerprint = side.hexdigest()

    hasher = StreamHasher(sha256)
    async for data in stream:
        await hasher.update(data)
    digest = await hasher.hexdigest()
    await hasher.aclose()
"""

from __future__ import annotations

from types import TracebackType
from typing import Final

from .._threads import Lane
from ._hashing import Hasher

__all__ = ["SideHasher", "StreamHasher"]

#: Small pieces are handed over in batches of at least this many bytes (a hand-over
#: costs a few microseconds; hashing this much takes ~150 µs).
STREAM_BATCH: Final = 256 * 1024
#: Batches handed over but not hashed yet, at most: bounds what the hashing keeps alive.
STREAM_DEPTH: Final = 4


class SideHasher:
    """Runs ``hasher.update`` in its own thread, at most one block behind the caller.

    :meth:`update` returns once the *previous* block has been hashed, so a caller that
    alternates two buffers may refill the other one as soon as ``update`` returns.
    Leaving the ``with`` block ends and joins the thread, also on an error.
    """

    def __init__(self, hasher: Hasher) -> None:
        self._hasher = hasher
        self._lane: Lane[bytes | memoryview] = Lane(
            hasher.update, depth=1, name="cryptshare-upload-side-hash"
        )

    def __enter__(self) -> SideHasher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lane.close(discard=exc_type is not None)

    def update(self, data: bytes | memoryview) -> None:
        """Queue ``data``, after waiting until the previous block is hashed."""
        self._lane.put(data)

    def hexdigest(self) -> str:
        """The digest of every block given, once the last one is hashed."""
        self._lane.drain()
        return self._hasher.hexdigest()


class StreamHasher:
    """Hashes the bytes the event loop hands it, in order, in a worker thread.

    :meth:`update` returns at once unless ``depth`` batches are still waiting (then it
    awaits, without blocking the loop); :meth:`hexdigest` awaits the last one. The
    thread starts with the first bytes; :meth:`aclose` ends it (also when cancelled).
    """

    def __init__(
        self, hasher: Hasher, *, batch: int = STREAM_BATCH, depth: int = STREAM_DEPTH
    ) -> None:
        self._hasher = hasher
        self._batch_size = batch
        self._depth = depth
        self._batch: list[bytes | memoryview] = []
        self._batched = 0
        self._lane: Lane[list[bytes | memoryview]] | None = None

    async def update(self, data: bytes | memoryview) -> None:
        """Hash ``data`` (which must not change afterwards) after what came before."""
        self._batch.append(data)
        self._batched += len(data)
        if self._batched >= self._batch_size:
            await self._flush()

    async def hexdigest(self) -> str:
        """The digest of everything given (re-raises the hasher's error)."""
        await self._flush()
        if self._lane is not None:
            await self._lane.adrain()
        return self._hasher.hexdigest()

    async def aclose(self) -> None:
        lane, self._lane = self._lane, None
        self._batch = []
        if lane is not None:
            await lane.aclose()

    async def _flush(self) -> None:
        batch, self._batch, self._batched = self._batch, [], 0
        if not batch:
            return
        if self._lane is None:
            self._lane = Lane(self._hash, depth=self._depth, name="cryptshare-upload-stream-hash")
        await self._lane.aput(batch)

    def _hash(self, batch: list[bytes | memoryview]) -> None:  # worker thread
        update = self._hasher.update
        for data in batch:
            update(data)

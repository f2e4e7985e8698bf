"""A second hash over the same blocks, computed in a helper thread beside the caller's.

The pre-pass needs the registered digest (SHA-256) and a CRC-32 of the same bytes; on two
cores the CRC then costs no extra time. Both hashing libraries release the GIL. Built on
the kit's :class:`~cryptshare_async._threads.Lane` (depth 1).

Example::

    with SideHasher(Crc32()) as side:
        for block in blocks:   # alternate two buffers: see ``update``
            side.update(block)
            sha.update(block)
        fingerprint = side.hexdigest()
"""

from __future__ import annotations

from types import TracebackType

from .._threads import Lane
from ._hashing import Hasher

__all__ = ["SideHasher"]


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

"""A second hash over the same blocks, computed in a helper thread beside the caller's.

The pre-pass needs the registered digest (SHA-256) and a CRC-32 of the same bytes; on two
cores the CRC then costs no extra time. Both hashing libraries release the GIL.

Example::

    with SideHasher(Crc32()) as side:
        for block in blocks:   # alternate two buffers: see ``update``
            side.update(block)
            sha.update(block)
        fingerprint = side.hexdigest()
"""

from __future__ import annotations

import queue
import threading
from types import TracebackType

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
        self._blocks: queue.SimpleQueue[bytes | memoryview | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._work, name="cryptshare-upload-side-hash", daemon=True
        )
        self._thread.start()

    def __enter__(self) -> SideHasher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._blocks.put(None)
        self._thread.join()

    def update(self, data: bytes | memoryview) -> None:
        """Queue ``data``, after waiting until the previous block is hashed."""
        self._idle.acquire()
        if self._error is not None:
            self._idle.release()
            raise self._error
        self._blocks.put(data)

    def hexdigest(self) -> str:
        """The digest of every block given, once the last one is hashed."""
        self._idle.acquire()
        self._idle.release()
        if self._error is not None:
            raise self._error
        return self._hasher.hexdigest()

    def _work(self) -> None:
        while (data := self._blocks.get()) is not None:
            try:
                if self._error is None:
                    self._hasher.update(data)
            except BaseException as exc:  # handed to the caller's next update()
                self._error = exc
            finally:
                self._idle.release()

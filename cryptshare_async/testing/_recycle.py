"""Reuse the files of deleted content for the next uploads (off unless configured).

Writing into blocks a file already has is far cheaper than into new ones where fresh
memory is costly: on the 2-core VMs this project is benchmarked on, writing 1 GiB into a
new file on ``/dev/shm`` took 1.1–1.65 s of kernel CPU and overwriting an existing one
0.35–0.40 s. The emulator shares those cores with the client it measures, so a benchmark
can keep the files of deleted content (``EmulatorConfig.recycle_content_bytes``) and have
the next upload write over them.

A reused file is opened without truncation, written from offset 0 and then truncated to
the bytes received, so no byte of the old content survives in the new one. Only content
nobody reads any more is recycled: that of transfer sessions (never downloaded or checked
before they are finalized) when a session is deleted or a file removed or replaced, and
never a file still being written. A finalized transfer's content is always deleted.

Example::

    recycler = ContentRecycler(storage / ".recycle", capacity=2 << 30)
    recycler.discard(old_path)          # kept (renamed into the pool) or deleted
    fd = recycler.open_for_writing(new_path)
"""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Final

__all__ = ["ContentRecycler", "OpenContent", "open_new"]

_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)

OpenContent = Callable[[Path], int]
"""``open_content(path)``: a write-only descriptor positioned at 0 for new content."""


class ContentRecycler:
    """A pool of at most ``capacity`` bytes of discarded content files; ``capacity`` 0
    deletes every discarded file at once. Used from the event loop only."""

    def __init__(self, pool: Path, capacity: int) -> None:
        self._pool = pool
        self._capacity = capacity
        self._files: collections.deque[tuple[Path, int]] = collections.deque()
        self._held = 0

    @property
    def held_bytes(self) -> int:
        """Bytes of discarded content currently kept for reuse."""
        return self._held

    def discard(self, path: Path | None) -> None:
        """Keep ``path`` for reuse if it fits in the pool, else delete it."""
        if path is None:
            return
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return
        if 0 < size <= self._capacity - self._held:
            self._pool.mkdir(mode=0o700, exist_ok=True)
            kept = self._pool / uuid.uuid4().hex
            os.replace(path, kept)
            self._files.append((kept, size))
            self._held += size
        else:
            path.unlink(missing_ok=True)

    def discard_tree(self, directory: Path | None) -> None:
        """Discard every finished content file directly in ``directory``, then remove
        the directory. ``*.part`` files (uploads in flight, still being written) are
        only deleted: a writer must never share its file with a later upload."""
        if directory is None:
            return
        if self._capacity:
            with contextlib.suppress(FileNotFoundError):
                for entry in sorted(directory.iterdir()):
                    if entry.suffix != ".part" and entry.is_file() and not entry.is_symlink():
                        self.discard(entry)
        shutil.rmtree(directory, ignore_errors=True)

    def open_for_writing(self, path: Path) -> int:
        """A write-only descriptor for new content at ``path``: a kept file moved there
        (the most recently discarded, so its blocks are the likeliest to be warm) or a
        new one. Write from offset 0, then :func:`os.ftruncate` to the bytes written."""
        while self._files:
            kept, size = self._files.pop()
            self._held -= size
            try:
                os.replace(kept, path)
            except FileNotFoundError:
                continue
            fd = os.open(path, os.O_WRONLY | _CLOEXEC)
            os.fchmod(fd, 0o600)
            return fd
        return open_new(path)


def open_new(path: Path) -> int:
    """A write-only descriptor for a new (or truncated) content file, mode 0600."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _CLOEXEC, 0o600)

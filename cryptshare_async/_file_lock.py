"""An exclusive lock shared by threads and processes: a lock on a sibling lock file.

The lock is ``fcntl.flock`` on the lock file (held per open file, so two instances in one
process exclude each other as two processes do) plus a per-path thread lock in this
process. It is taken in worker threads, never on the event loop. The kernel releases it
when the holder dies, even by ``SIGKILL``.

On platforms without ``fcntl`` (Windows) only the thread lock is taken: writers in one
process are serialised, writers in several processes are not.

Example::

    with FileLock(Path("tokens.json.lock")):
        ...  # read, change, write
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

__all__ = ["CROSS_PROCESS", "FileLock", "LockTimeoutError"]

CROSS_PROCESS = sys.platform != "win32"
"""Whether the lock also excludes other processes (``fcntl`` is available)."""

if CROSS_PROCESS:
    import fcntl

_REGISTRY = threading.Lock()
_THREAD_LOCKS: dict[str, threading.Lock] = {}


def _thread_lock(path: Path) -> threading.Lock:
    with _REGISTRY:
        return _THREAD_LOCKS.setdefault(os.path.abspath(path), threading.Lock())


class LockTimeoutError(TimeoutError):
    """The lock stayed taken for longer than the timeout."""


class FileLock:
    """An exclusive lock on ``path`` (created 0600 if missing, never removed)."""

    def __init__(self, path: Path, *, timeout: float = 30.0) -> None:
        self._path = path
        self._timeout = timeout
        self._threads = _thread_lock(path)
        self._fd: int | None = None

    def acquire(self, *, blocking: bool = True) -> bool:
        """Take the lock; without ``blocking``, give up at once if it is taken.

        Raises :class:`LockTimeoutError` after ``timeout`` seconds of waiting.
        """
        deadline = time.monotonic() + self._timeout
        if blocking:
            if not self._threads.acquire(timeout=self._timeout):
                raise LockTimeoutError(f"{self._path} stayed locked for {self._timeout:g} s")
        elif not self._threads.acquire(blocking=False):
            return False
        try:
            if CROSS_PROCESS and not self._lock_file(blocking, deadline):
                self._threads.release()
                return False
        except BaseException:
            self._threads.release()
            raise
        return True

    def _lock_file(self, blocking: bool, deadline: float) -> bool:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self._path, flags, 0o600)
        pause = 0.001
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not blocking:
                        os.close(fd)
                        return False
                    if time.monotonic() >= deadline:
                        raise LockTimeoutError(
                            f"{self._path} stayed locked by another process for {self._timeout:g} s"
                        ) from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.05)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        try:
            if fd is not None:
                os.close(fd)  # closing the only descriptor releases the flock
        finally:
            self._threads.release()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

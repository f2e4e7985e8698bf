"""The PUT body of one upload: a fresh pass over the source per attempt, hashed on the fly,
with every integrity check made *before* the last chunk is handed to the connection.

Holding the last chunk back until the size, the source's stability and the digest are
checked means a bad upload never completes on the server: the request is aborted and the
caller's cleanup removes the registered file.

Example::

    body = UploadBody(opened, algorithm=resolve_algorithm("SHA256"))
    await sender.request(put_content_request(email, tracking_id, file_id), body=body)
    body.digest  # the digest of the bytes sent
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Final

from .._errors import ChecksumMismatchError, SizeMismatchError, SourceChangedError, UploadError
from ._hashing import ChecksumAlgorithm, Crc32, Hasher, PrePass
from ._progress import ProgressReporter
from ._reader import DEFAULT_CHUNK_SIZE, ReadChunk
from ._sources import OpenedSource

__all__ = ["UploadBody"]

#: The longest the body keeps the event loop busy writing chunks without a pause.
_STEP: Final = 0.002


class UploadBody:
    """A :class:`~cryptshare_async._transport.StreamBody` over an opened source.

    ``algorithm`` ``None`` sends without hashing. With ``caller_digest`` the bytes sent
    are hashed and must match it. With ``pre_pass`` the bytes sent are checked against
    the pre-pass by CRC-32 (an immutable buffer, which cannot change, is not checked),
    and ``digest`` is the pre-pass digest. After a successful attempt ``completed`` is
    true and ``digest`` holds the digest of the bytes sent.
    """

    def __init__(
        self,
        source: OpenedSource,
        *,
        algorithm: ChecksumAlgorithm | None,
        caller_digest: str | None = None,
        pre_pass: PrePass | None = None,
        progress: ProgressReporter | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        if caller_digest is not None and pre_pass is not None:
            raise ValueError("UploadBody takes caller_digest or pre_pass, not both")
        self._source = source
        self._algorithm = algorithm
        self._caller_digest = caller_digest
        self._pre_pass = pre_pass
        self._progress = progress
        self._chunk_size = chunk_size
        self.attempts = 0
        self.completed = False
        self.digest: str | None = None

    @property
    def size(self) -> int:
        return self._source.size

    def open(self) -> AsyncIterator[bytes]:
        """A fresh pass over the source (a retry restarts the hash from zero)."""
        self.completed = False
        self.digest = None
        stream = self._source.chunks(self._new_hasher(), self._chunk_size)
        self.attempts += 1
        return self._run(stream)

    def _new_hasher(self) -> Hasher | None:
        if self._pre_pass is not None:
            return None if self._pre_pass.fingerprint is None else Crc32()
        return None if self._algorithm is None else self._algorithm.new()

    async def _run(self, stream: AsyncIterator[ReadChunk]) -> AsyncIterator[bytes]:
        progress = self._progress
        try:
            if progress is not None:
                progress.restart()
                await progress.report(0)
            sent = 0
            next_pause = time.monotonic() + _STEP
            while True:
                try:
                    chunk = await anext(stream)
                except StopAsyncIteration:
                    break
                if chunk.final:
                    self._verify(chunk)
                if chunk.data:
                    yield chunk.data  # type: ignore[misc]
                    sent += len(chunk.data)
                    # A socket that takes every chunk at once never makes the writer
                    # wait: let other tasks run every few milliseconds all the same.
                    if time.monotonic() >= next_pause:
                        await asyncio.sleep(0)
                        next_pause = time.monotonic() + _STEP
                if progress is not None:
                    await progress.report(sent)
                if chunk.final:
                    break
            if sent != self.size:
                raise UploadError(
                    f"internal error: {sent} bytes sent for a {self.size}-byte upload"
                )
            self.completed = True
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    def _verify(self, chunk: ReadChunk) -> None:
        size = self.size
        if chunk.short or chunk.overrun:
            actual = chunk.end if chunk.short else max(chunk.end, size + 1)
            relation = "fewer" if chunk.short else "more"
            if self._source.declared_size:
                qualifier = "" if chunk.short else "at least "
                raise SizeMismatchError(
                    f"the source gave {relation} bytes than its declared size: expected {size},"
                    f" got {qualifier}{actual}",
                    expected=size,
                    actual=actual,
                )
            raise SourceChangedError(
                f"the source changed during the upload: it now has {relation} bytes than the"
                f" {size} registered"
            )
        self._source.check_unchanged()
        pre_pass, expected, digest = self._pre_pass, self._caller_digest, chunk.digest
        if pre_pass is not None:
            if pre_pass.fingerprint is not None and digest != pre_pass.fingerprint:
                raise SourceChangedError(
                    "the source changed between the pre-pass and the upload: the bytes read"
                    f" for sending have CRC-32 {digest}, the bytes hashed had"
                    f" {pre_pass.fingerprint}; nothing was finalized, upload it again"
                )
            digest = pre_pass.digest
        elif expected is not None and digest != expected:
            assert digest is not None and self._algorithm is not None
            raise ChecksumMismatchError(
                f"the content does not match the given {self._algorithm.name} checksum:"
                f" expected {expected}, computed {digest}",
                expected=expected,
                actual=digest,
            )
        self.digest = digest

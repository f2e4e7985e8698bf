"""The PUT body of one upload: a fresh pass over the source per attempt, hashed on the fly,
with every integrity check made *before* the last chunk is handed to the connection.

Holding the last chunk back until the size, the source's stability and the digest are
checked means a bad upload never completes on the server: the request is aborted and the
caller's cleanup removes the registered file.

Example::

    body = UploadBody(opened, algorithm=resolve_algorithm("SHA256"), expected=None)
    await sender.send(put_content_request(email, tracking_id, file_id), body=body)
    body.digest  # the digest of the bytes sent
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import Enum

from .._errors import ChecksumMismatchError, SizeMismatchError, SourceChangedError, UploadError
from ._hashing import ChecksumAlgorithm
from ._progress import ProgressReporter
from ._reader import DEFAULT_CHUNK_SIZE, ReadChunk
from ._sources import OpenedSource

__all__ = ["Expected", "UploadBody"]


class Expected(Enum):
    """Where the expected digest came from (decides the error on a mismatch)."""

    CALLER = "caller"
    PRE_PASS = "pre-pass"


class UploadBody:
    """A :class:`~cryptshare_async._transport.StreamBody` over an opened source.

    ``algorithm`` ``None`` sends without hashing. ``expected`` pairs a digest with its
    origin; a pre-pass digest over an immutable buffer is the digest of what is sent,
    so that pass skips hashing. After a successful attempt ``completed`` is true and
    ``digest`` holds the digest of the bytes sent.
    """

    def __init__(
        self,
        source: OpenedSource,
        *,
        algorithm: ChecksumAlgorithm | None,
        expected: tuple[Expected, str] | None = None,
        progress: ProgressReporter | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self._source = source
        self._algorithm = algorithm
        self._expected = expected
        self._progress = progress
        self._chunk_size = chunk_size
        self._skip_hash = (
            expected is not None and expected[0] is Expected.PRE_PASS and source.immutable
        )
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
        hasher = None if self._algorithm is None or self._skip_hash else self._algorithm.new()
        stream = self._source.chunks(hasher, self._chunk_size)
        self.attempts += 1
        return self._run(stream)

    async def _run(self, stream: AsyncIterator[ReadChunk]) -> AsyncIterator[bytes]:
        progress = self._progress
        try:
            if progress is not None:
                progress.restart()
                await progress.report(0)
            sent = 0
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
        digest = chunk.digest
        if self._expected is not None:
            origin, expected = self._expected
            if self._skip_hash:
                digest = expected
            elif digest != expected:
                assert digest is not None and self._algorithm is not None
                if origin is Expected.CALLER:
                    raise ChecksumMismatchError(
                        f"the content does not match the given {self._algorithm.name} checksum:"
                        f" expected {expected}, computed {digest}",
                        expected=expected,
                        actual=digest,
                    )
                raise SourceChangedError(
                    f"the source changed between the pre-pass and the upload: its"
                    f" {self._algorithm.name} was {expected}, the bytes sent hash to {digest}"
                )
        self.digest = digest

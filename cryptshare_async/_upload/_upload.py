"""One upload: check the source, register the file, stream its content, verify; on any
failure or cancellation after registration, remove the registered file.

Example::

    uploaded = await session.upload("report.pdf", progress=on_progress)
    uploaded.file_id, uploaded.checksum  # the server's id, the digest of the bytes sent
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterable, Collection
from enum import Enum
from typing import TYPE_CHECKING, TypeVar

from attrs import define

from .. import _protocol as protocol
from .._cleanup import note_outcome
from .._errors import InvalidInputError, UploadError
from .._finishing import run_to_end
from ._body import UploadBody
from ._dispatch import Source, as_upload_source
from ._hashing import ChecksumAlgorithm, PrePass, normalize_digest, resolve_algorithm
from ._progress import ProgressCallback, ProgressReporter
from ._reader import DEFAULT_CHUNK_SIZE
from ._sources import OpenedSource, StreamSource, UploadSource

if TYPE_CHECKING:
    from .._session import TransferSession

__all__ = ["ChecksumMode", "UploadedFile", "upload", "upload_content"]

T = TypeVar("T")


class ChecksumMode(Enum):
    """How the file's checksum is obtained (pass a hex digest instead to use your own).

    - ``AUTO`` (default): ``PRE_PASS`` for files, buffers, seekable file objects and
      spooled streams, ``STREAM`` for async streams and file objects that cannot seek
      (which cannot be read twice).
    - ``PRE_PASS``: hash the source, register the file *with* its checksum (so the
      server verifies the content after finalizing), then send while checking the
      bytes against the pre-pass; a source that changed in between fails before
      finalize. Reads the source twice. The pre-pass also takes a CRC-32 of the same
      bytes (in a second thread, so at no extra time on two cores) and the sending pass
      checks the bytes sent against it, together with the file's size and modification
      time: a changed file is caught before finalize unless the change keeps the CRC-32,
      size and mtime, and even then the server's own check of the registered digest
      removes the file. CRC-32 costs less than half of SHA-256 per byte, which makes
      this mode about 10 % faster (``benchmarks/README.md``). To have the bytes sent
      hashed with the session's algorithm itself, pass the digest as ``checksum=``.
    - ``STREAM``: register without a checksum, hash while sending, return the digest.
    - ``OFF``: no checksum at all (sizes are still enforced).

    A caller's digest (``checksum="ab12..."``) is registered and verified while
    sending in one pass; a mismatch fails before the last byte is sent.
    """

    AUTO = "auto"
    PRE_PASS = "pre-pass"
    STREAM = "stream"
    OFF = "off"


@define(frozen=True, slots=True)
class UploadedFile:
    """A file whose content was sent completely.

    ``checksum`` is the digest of the content in ``algorithm`` (e.g. ``"SHA-256"``):
    computed while sending, or with ``ChecksumMode.PRE_PASS`` by the pre-pass over
    bytes the sending pass found unchanged (see :class:`ChecksumMode`); ``None`` with
    ``ChecksumMode.OFF``. ``checksum_registered`` says whether the server was given it
    at registration (and so verifies the content after finalizing).
    """

    file_id: str
    file_name: str
    size: int
    checksum: str | None
    algorithm: str | None
    checksum_registered: bool


# Names registered (or being registered) through each session handle, so that two
# concurrent uploads of one name fail before either registers.
_NAMES: weakref.WeakKeyDictionary[TransferSession, set[str]] = weakref.WeakKeyDictionary()


@define(frozen=True, slots=True)
class SessionFacts:
    """What one ``GET`` of the session tells an upload: algorithm and taken names."""

    algorithm_name: str | None
    file_names: frozenset[str]


async def session_facts(session: TransferSession) -> SessionFacts:
    state = await session.state()
    names = frozenset(f.file_name for f in state.files or () if f.file_name is not None)
    return SessionFacts(state.file_checksum_algorithm, names)


def reserve_names(session: TransferSession, names: Collection[str], taken: Collection[str]) -> None:
    """Claim ``names`` for this handle, or raise if one is taken (all or nothing)."""
    mine = _NAMES.setdefault(session, set())
    for name in names:
        if name in taken or name in mine:
            raise InvalidInputError(
                f"a file named {name!r} is already in transfer session {session.tracking_id};"
                " file names must be unique per transfer"
            )
    mine.update(names)


def release_name(session: TransferSession, name: str) -> None:
    _NAMES.get(session, set()).discard(name)


def choose_name(source: UploadSource, opened: OpenedSource, file_name: str | None) -> str:
    name = file_name if file_name is not None else opened.name
    if name is None:
        raise InvalidInputError(
            f"a {type(source).__name__} has no name of its own: pass file_name= (or name=)"
        )
    if not isinstance(name, str) or not name or name != name.strip():
        raise InvalidInputError(
            f"file_name must be a non-empty str without surrounding spaces, got {name!r}"
        )
    return name


def check_declared_size(opened: OpenedSource, size: int | None) -> None:
    if size is None:
        return
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidInputError(f"size must be an int >= 0, got {size!r}")
    if size != opened.size:
        from .._errors import SizeMismatchError

        raise SizeMismatchError(
            f"the declared size {size} does not match the source's {opened.size} bytes",
            expected=size,
            actual=opened.size,
        )


@define(frozen=True, slots=True)
class _Plan:
    algorithm: ChecksumAlgorithm | None
    mode: ChecksumMode | None  # None: the caller's digest
    caller_digest: str | None


def effective_mode(mode: ChecksumMode, opened: OpenedSource) -> ChecksumMode:
    """``mode`` with ``AUTO`` resolved for this source."""
    if mode is ChecksumMode.AUTO:
        return ChecksumMode.STREAM if opened.declared_size else ChecksumMode.PRE_PASS
    return mode


def _plan(checksum: ChecksumMode | str, opened: OpenedSource, algorithm_name: str | None) -> _Plan:
    if isinstance(checksum, ChecksumMode):
        mode = effective_mode(checksum, opened)
        if mode is ChecksumMode.OFF:
            return _Plan(None, mode, None)
        if mode is ChecksumMode.PRE_PASS and not opened.replayable:
            raise InvalidInputError(
                "ChecksumMode.PRE_PASS reads the content twice, and a one-shot async iterable"
                " cannot be; use ChecksumMode.STREAM, pass the digest, or a StreamSource factory"
            )
        return _Plan(resolve_algorithm(algorithm_name), mode, None)
    if isinstance(checksum, str):
        algorithm = resolve_algorithm(algorithm_name)
        return _Plan(algorithm, None, normalize_digest(algorithm, checksum))
    raise InvalidInputError(
        f"checksum must be a ChecksumMode or a hex digest str, got {type(checksum).__name__}"
    )


async def upload(
    session: TransferSession,
    source: Source | AsyncIterable[bytes],
    *,
    file_name: str | None = None,
    size: int | None = None,
    checksum: ChecksumMode | str = ChecksumMode.AUTO,
    progress: ProgressCallback | None = None,
    hash_progress: ProgressCallback | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    facts: SessionFacts | None = None,
    name_reserved: bool = False,
) -> UploadedFile:
    """Register ``source`` in ``session`` and stream its content (see ``TransferSession.upload``).

    ``facts`` (one ``GET`` of the session) and ``name_reserved`` let ``upload_many``
    share one request for a whole batch.
    """
    upload_source = as_upload_source(source, size=size)
    _check_chunk_size(chunk_size)
    opened = await upload_source.aopen()
    name: str | None = None
    try:
        name = choose_name(upload_source, opened, file_name)
        if not isinstance(upload_source, StreamSource):
            check_declared_size(opened, size)
        if facts is None:
            facts = await session_facts(session)
        plan = _plan(checksum, opened, facts.algorithm_name)
        if not name_reserved:
            reserve_names(session, [name], facts.file_names)
        try:
            return await _register_and_send(
                session, opened, name, plan, chunk_size, progress, hash_progress
            )
        except BaseException:
            release_name(session, name)
            raise
    finally:
        opened.close()


async def _register_and_send(
    session: TransferSession,
    opened: OpenedSource,
    name: str,
    plan: _Plan,
    chunk_size: int,
    progress: ProgressCallback | None,
    hash_progress: ProgressCallback | None,
) -> UploadedFile:
    pre_pass: PrePass | None = None
    if plan.mode is ChecksumMode.PRE_PASS:
        assert plan.algorithm is not None
        hashing = None if hash_progress is None else ProgressReporter(hash_progress, opened.size)
        pre_pass = await opened.prehash(plan.algorithm, hashing)
    registered = pre_pass.digest if pre_pass is not None else plan.caller_digest
    file_id = await run_to_end(
        lambda: session.register_file(name, opened.size, registered),
        session.sender.client.cleanups,
        "file",
        undo=session.remove_file,
        tracking_id=session.tracking_id,
    )
    try:
        body = UploadBody(
            opened,
            algorithm=plan.algorithm,
            caller_digest=plan.caller_digest,
            pre_pass=pre_pass,
            progress=ProgressReporter(progress, opened.size) if progress is not None else None,
            chunk_size=chunk_size,
        )
        await _put(session, file_id, body)
    except BaseException as exc:
        await _cleanup(session, file_id, name, exc)
        raise
    return UploadedFile(
        file_id=file_id,
        file_name=name,
        size=opened.size,
        checksum=body.digest,
        algorithm=plan.algorithm.name if plan.algorithm is not None else None,
        checksum_registered=registered is not None,
    )


async def _put(session: TransferSession, file_id: str, body: UploadBody) -> None:
    request = protocol.put_content_request(session.sender.email, session.tracking_id, file_id)
    response = await session.request(request, body=body)
    protocol.raise_for_status(request, response)
    if not body.completed:
        raise UploadError(
            f"the server answered HTTP {response.status} before the whole content of file"
            f" {file_id} was sent; the upload cannot be trusted"
        )


async def upload_content(
    session: TransferSession,
    file_id: str,
    source: Source | AsyncIterable[bytes],
    *,
    size: int | None = None,
    checksum: str | None = None,
    algorithm: str | None = None,
    progress: ProgressCallback | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> str:
    """Send the content of an already registered file; returns the digest of the bytes sent.

    The file is not removed on failure: whoever registered it owns it.
    """
    upload_source = as_upload_source(source, size=size)
    _check_chunk_size(chunk_size)
    opened = await upload_source.aopen()
    try:
        if not isinstance(upload_source, StreamSource):
            check_declared_size(opened, size)
        if algorithm is None:
            algorithm = (await session_facts(session)).algorithm_name
        resolved = resolve_algorithm(algorithm)
        body = UploadBody(
            opened,
            algorithm=resolved,
            caller_digest=None if checksum is None else normalize_digest(resolved, checksum),
            progress=ProgressReporter(progress, opened.size) if progress is not None else None,
            chunk_size=chunk_size,
        )
        await _put(session, file_id, body)
        assert body.digest is not None
        return body.digest
    finally:
        opened.close()


def _check_chunk_size(chunk_size: int) -> None:
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 4096:
        raise InvalidInputError(f"chunk_size must be an int >= 4096, got {chunk_size!r}")


# ---------------------------------------------------------------- cleanup


async def _cleanup(session: TransferSession, file_id: str, name: str, exc: BaseException) -> None:
    """Remove the registered file, waiting for it at most the client's clean-up grace
    period, also if cancelled meanwhile (then the cancellation propagates after it); a
    removal still running then goes on in the background. Until the removal succeeds
    the session is marked broken: ``finalize()`` refuses, naming the file."""
    cleanups = session.sender.client.cleanups
    session._mark_broken(file_id, name)
    task = cleanups.remove_file(session.tracking_id, file_id, session.remove_file)
    cancelled = await cleanups.wait(task)
    note_outcome(exc, task, f"the registered file {file_id}")
    if cancelled and not isinstance(exc, asyncio.CancelledError):
        raise asyncio.CancelledError

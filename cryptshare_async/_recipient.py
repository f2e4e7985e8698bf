"""The recipient side: a transfer's files, downloaded safely to a directory.

A recipient knows their own 10-character transfer id (from the notification mail or the
download link) and, unless the transfer was sent without one, the transfer password.

Downloads stream to disk in bounded chunks (memory stays constant whatever the size),
are hashed on the way with the transfer's checksum algorithm and checked against the
server's checksum and size, and land under a temporary name that is renamed only once
everything matched, so a half-written or corrupt file never carries the real name. An
existing file is never replaced unless ``overwrite=True``.

Server file names are untrusted: only the last path component is kept, control
characters and characters Windows forbids become ``_``, names Windows reserves
(``CON``, ``NUL``, ``COM1``...) get a ``_`` prefix, and overlong names are shortened,
keeping the extension. The result always lies directly inside the target directory.

Example::

    incoming = client.recipient_transfer("x7Hk2pQr9a", password="s3cret!")
    for file in await incoming.files():
        print(file.file_name, file.size)
    paths = await incoming.download_all("downloads/")
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import os
import secrets
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypedDict

from attrs import evolve

from . import _endpoints as api
from . import _public
from ._checksums import parse_checksums
from ._errors import (
    DownloadError,
    DownloadIntegrityError,
    DownloadTargetExistsError,
    InvalidInputError,
)
from ._models import ChecksumRow, TransferFile, TransferInfo
from ._protocol import ApiRequest
from ._scrub import redact, spellings
from ._threads import Advance, Lane, run_in_thread
from ._upload._hashing import resolve_algorithm
from ._upload._progress import ProgressCallback, ProgressReporter
from ._validation import path_segment

if TYPE_CHECKING:
    from ._requester import Requester

__all__ = [
    "RecipientTransfer",
    "hash_algorithm",
    "safe_file_name",
]

#: Bytes handed to the writer thread at once: large enough that the thread hop is cheap.
WRITE_CHUNK: Final = 1024 * 1024
MAX_NAME_BYTES: Final = 255

_WINDOWS_FORBIDDEN: Final = frozenset('<>:"|?*')
_WINDOWS_RESERVED: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in "123456789¹²³"}
    | {f"LPT{i}" for i in "123456789¹²³"}
)


def hash_algorithm(name: str, *, secrets: Iterable[str] = ()) -> str:
    """The :mod:`hashlib` name for a server's checksum algorithm name.

    Spellings vary (``SHA-256``, ``SHA256``, ``sha_256``); case, ``-``, ``_`` and spaces
    are ignored. Raises :class:`DownloadError` for an algorithm hashlib cannot compute
    (its text quotes ``name`` without ``secrets``).

    Example::

        >>> hash_algorithm("SHA-256")
        'sha256'
    """
    try:
        return resolve_algorithm(name).hashlib_name
    except InvalidInputError:
        pass
    # Raised outside the handler: the refusal quotes ``name`` as the server sent it.
    raise DownloadError(
        f"the server's checksum algorithm {redact(name, secrets)!r} is not one this library"
        " can compute; pass verify=False to download without checking"
    )


def safe_file_name(name: str | None, *, fallback: str = "download") -> str:
    """A file name safe to create in a directory, made from an untrusted server name.

    ``fallback`` (e.g. the file id, sanitised the same way) is used when nothing usable
    is left of ``name``.

    Example::

        >>> safe_file_name("../../etc/passwd", fallback="f1")
        'passwd'
        >>> safe_file_name("C:\\\\x\\\\con.txt", fallback="f1")
        '_con.txt'
        >>> safe_file_name("..", fallback="f1")
        'f1'
    """
    return _clean(name) or _clean(fallback) or "download"


def _clean(name: str | None) -> str | None:
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    text = "".join(
        "_" if ord(c) < 32 or ord(c) == 127 or c in _WINDOWS_FORBIDDEN else c for c in text
    )
    text = text.lstrip().rstrip(". ")
    if not text or set(text) <= {"."}:
        return None
    stem = text.split(".", 1)[0].rstrip().upper()
    if stem in _WINDOWS_RESERVED:
        text = "_" + text
    return _shorten(text)


def _shorten(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension.encode("utf-8")) > 32:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    shortened = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" .")
    return shortened + suffix


def _digests_match(expected: str, actual: bytes) -> bool:
    """Compare the server's checksum (hex, or base64) with a digest, ignoring case in hex."""
    text = expected.strip()
    if text.lower() == actual.hex():
        return True
    try:
        return base64.b64decode(text, validate=True) == actual
    except (binascii.Error, ValueError):
        return False


class _FileSink:
    """Hashes and writes chunks in order in a worker thread (the thread-worker kit's
    :class:`~cryptshare_async._threads.Lane`), into a file opened exclusively.

    Two chunks may be outstanding, so the next chunk is read from the network while the
    last one is written. A lock orders writes against :meth:`discard`, so a write still
    running in the thread when the download is cancelled can neither write to a closed
    (or reused) descriptor nor outlive the removal of the file.
    """

    def __init__(self, path: Path, algorithm: str | None) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        self.path = path
        self._fd: int | None = os.open(path, flags, 0o600)
        self._hasher = hashlib.new(algorithm) if algorithm is not None else None
        self._lock = threading.Lock()
        self.size = 0
        self._lane: Lane[bytes] = Lane(self._write, depth=2, name="cryptshare-download-writer")

    def _write(self, data: bytes) -> None:
        with self._lock:
            if self._fd is None:
                raise DownloadError("the download was abandoned")
            if self._hasher is not None:
                self._hasher.update(data)
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            self.size += len(data)

    async def write(self, data: bytes) -> None:
        """Hand ``data`` to the writer thread (waits while two chunks are outstanding)."""
        await self._lane.aput(data)

    def _finish(self, _stop: threading.Event, _advance: Advance) -> None:
        with self._lock:
            if self._fd is None:
                raise DownloadError("the download was abandoned")
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    async def finish(self) -> None:
        """Wait for every chunk, flush to disk and close (the file is complete)."""
        await self._lane.adrain()
        await self._lane.aclose(discard=False)
        await run_in_thread(self._finish, name="cryptshare-download-sync")

    def digest(self) -> bytes | None:
        return None if self._hasher is None else self._hasher.digest()

    def discard(self) -> None:
        """Stop the writer, close and remove the file; waits for at most one chunk still
        being written."""
        self._lane.close(discard=True)
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is not None:
                os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _place(temporary: Path, target: Path, *, overwrite: bool) -> None:
    """Give the complete temporary file its real name."""
    if overwrite:
        os.replace(temporary, target)
        return
    try:
        # A hard link fails if the target exists: no window in which it could be replaced.
        os.link(temporary, target)
    except FileExistsError:
        raise _exists(target) from None
    except OSError:
        # File systems without hard links: check, then rename (a tiny race remains).
        if os.path.lexists(target):
            raise _exists(target) from None
        os.rename(temporary, target)
        return
    temporary.unlink()


def _exists(target: Path) -> DownloadTargetExistsError:
    return DownloadTargetExistsError(
        f"{target} exists; pass overwrite=True to replace it", path=target
    )


class RecipientTransfer:
    """A transfer as one recipient sees it, by that recipient's transfer id.

    Made by :meth:`CryptshareClient.recipient_transfer`; no request is made until a
    method is awaited. The password is kept out of ``repr``.
    """

    def __init__(self, client: Requester, transfer_id: str, *, password: str | None = None) -> None:
        path_segment(transfer_id, what="recipient transfer id")
        if password is not None and not isinstance(password, str):
            raise InvalidInputError("password must be a str or None")
        self._client = client
        self._transfer_id = transfer_id
        self._password = password
        self._info: TransferInfo | None = None
        # What the server may echo: the password, and the secrets of every request sent.
        self._secrets = spellings(password) if password else frozenset[str]()

    def __repr__(self) -> str:
        shown = "None" if self._password is None else "'***'"
        return f"RecipientTransfer({self._transfer_id!r}, password={shown})"

    @property
    def transfer_id(self) -> str:
        return self._transfer_id

    async def info(self) -> TransferInfo:
        """The transfer's checksum algorithm and total size.

        Raises :class:`~cryptshare_async.WrongPasswordError` (3003) for a wrong password
        and :class:`~cryptshare_async.TransferDeletedError` (2006) once it is deleted.
        """
        request = api.RECIPIENT_INFO.request(**self._where())
        response = await self._client.request(request)
        self._secrets |= response.secrets
        self._info = api.RECIPIENT_INFO.parse(request, response)
        return self._info

    async def files(self) -> tuple[TransferFile, ...]:
        """The files available for download (names as the server sent them)."""
        request = api.RECIPIENT_FILES.request(**self._where())
        response = await self._client.request(request)
        self._secrets |= response.secrets
        return api.RECIPIENT_FILES.parse(request, response)

    def _where(self) -> _RecipientPath:
        # The password goes in the X-CS-Password header, never in the URL.
        return {"transfer_id": self._transfer_id, "password": self._password}

    async def checksums(self) -> tuple[ChecksumRow, ...]:
        """The server's list of file names and checksums (its CSV, parsed).

        Example::

            for row in await incoming.checksums():
                print(row.file_name, row.algorithm, row.checksum)
        """
        request = api.RECIPIENT_CHECKSUMS.request(**self._where())
        response = await self._client.request(request)
        self._secrets |= response.secrets
        return parse_checksums(api.RECIPIENT_CHECKSUMS.parse(request, response))

    async def download_zip(
        self,
        dest: str | os.PathLike[str],
        *,
        include_checksum_file: bool = False,
        files: Iterable[TransferFile | str] | None = None,
        overwrite: bool = False,
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Download the files as one ZIP archive; returns the path written.

        ``dest`` is the archive's path, or an existing directory (the archive is then
        ``<transfer id>.zip`` in it). ``include_checksum_file`` adds the server's list of
        names and checksums to the archive. ``files`` (file ids or :class:`TransferFile`)
        asks for only those files (``customized-files-ids``: servers that do not know
        the parameter send every file). Streamed, bounded and atomic like
        :meth:`download`: the archive is bounded by ``Content-Length`` when the server
        sends one, else by :data:`bundle_limit` of the transfer's total size.

        Example::

            path = await incoming.download_zip("downloads/", include_checksum_file=True)
        """
        if not isinstance(include_checksum_file, bool):
            raise InvalidInputError("include_checksum_file must be True or False")
        query: dict[str, str | int | bool | None] = {"include-checksum-file": include_checksum_file}
        if files is not None:
            ids = _file_ids(files)
            query["customized-files-ids"] = ",".join(ids)
            query["is-customized-files-ids-include"] = True
        request = api.RECIPIENT_ZIP.request(**self._where(), query=query)
        return await self._download_bundle(request, dest, ".zip", overwrite, progress)

    async def download_eml(
        self,
        dest: str | os.PathLike[str],
        *,
        threshold_mb: int | None = None,
        overwrite: bool = False,
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Download the transfer as one email (``.eml``): the confidential message with
        the files attached; returns the path written.

        Only for a transfer with a confidential message (else :class:`NotFoundError`).
        ``threshold_mb`` limits the message's size: files that would exceed it are left
        out. ``dest`` is as in :meth:`download_zip` (``<transfer id>.eml``). Streamed,
        bounded and atomic like :meth:`download`.

        Example::

            path = await incoming.download_eml("downloads/", threshold_mb=20)
        """
        if threshold_mb is not None and (
            not isinstance(threshold_mb, int) or isinstance(threshold_mb, bool) or threshold_mb < 0
        ):
            raise InvalidInputError(f"threshold_mb must be an int >= 0, got {threshold_mb!r}")
        request = api.RECIPIENT_EML.request(**self._where(), query={"threshold": threshold_mb})
        return await self._download_bundle(request, dest, ".eml", overwrite, progress)

    async def _download_bundle(
        self,
        request: ApiRequest,
        dest: str | os.PathLike[str],
        extension: str,
        overwrite: bool,
        progress: ProgressCallback | None,
    ) -> Path:
        target = Path(dest)
        if await asyncio.to_thread(target.is_dir):
            target = target / safe_file_name(self._transfer_id + extension)
        elif not await asyncio.to_thread(target.parent.is_dir):
            raise InvalidInputError(f"{target.parent} is not an existing directory")
        if not overwrite and await asyncio.to_thread(os.path.lexists, target):
            raise _exists(target)
        info = self._info if self._info is not None else await self.info()
        ceiling = bundle_limit(info.total_size or 0)
        entry = TransferFile(file_name=target.name)
        reporter = ProgressReporter(progress, 0) if progress is not None else None
        return await self._stream_to(
            request,
            entry,
            target,
            overwrite=overwrite,
            algorithm=None,
            progress=reporter,
            offset=0,
            ceiling=ceiling,
        )

    async def download(
        self,
        file: TransferFile | str,
        directory: str | os.PathLike[str],
        *,
        name: str | None = None,
        overwrite: bool = False,
        verify: bool = True,
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Download one file (a :class:`TransferFile` or a file id) into ``directory``.

        The file is named after the server's (sanitised) file name, or ``name`` (also
        sanitised). It is created readable by its owner only. With ``verify`` (the
        default) the content must match the server's checksum when it gives one; the
        size must always match. ``progress(received, total)`` (sync or async; ``total``
        is the announced size, 0 if unknown) is called as bytes arrive; an exception it
        raises aborts the download.

        Returns the path written. Raises :class:`DownloadTargetExistsError` if the
        target exists (unless ``overwrite``), :class:`DownloadIntegrityError` on a
        mismatch; in every failure the temporary file is removed. The download stops
        as soon as the server sends more than the announced size (or a
        ``Content-Length`` other than it): no more than the announced size is ever
        written. A file listed without a size is bounded by ``Content-Length`` when
        the server sends one; without either, it is written as it comes, unbounded.

        Example::

            path = await incoming.download(file, "downloads/", overwrite=True)
        """
        entry = await self._resolve(file)
        folder = _directory(directory)
        chosen = name if name is not None else entry.file_name
        target = folder / safe_file_name(chosen, fallback=entry.id or "download")
        reporter = ProgressReporter(progress, entry.size or 0) if progress is not None else None
        return await self._download_to(
            entry, target, overwrite=overwrite, verify=verify, progress=reporter
        )

    async def download_all(
        self,
        directory: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        verify: bool = True,
        progress: ProgressCallback | None = None,
    ) -> list[Path]:
        """Download every file, one after the other; returns the paths written.

        Two server names that sanitise to the same name (``a/x.txt`` and ``x.txt``) get
        `` (2)``, `` (3)``... before the extension. If one download fails, the files
        already written stay and the error propagates. ``progress(received, total)``
        counts the bytes of all files together (``total``: the sum of the announced
        sizes).
        """
        folder = _directory(directory)
        entries = await self.files()
        total = sum(entry.size or 0 for entry in entries)
        reporter = ProgressReporter(progress, total) if progress is not None else None
        used: set[str] = set()
        paths: list[Path] = []
        offset = 0
        for entry in entries:
            base = safe_file_name(entry.file_name, fallback=entry.id or "download")
            chosen = _unique(base, used)
            path = await self._download_to(
                entry,
                folder / chosen,
                overwrite=overwrite,
                verify=verify,
                progress=reporter,
                offset=offset,
            )
            paths.append(path)
            offset += entry.size or 0
        return paths

    async def _resolve(self, file: TransferFile | str) -> TransferFile:
        if isinstance(file, TransferFile):
            return file
        if not isinstance(file, str):
            raise InvalidInputError("file must be a TransferFile or a file id (str)")
        for entry in await self.files():
            if entry.id == file:
                return entry
        raise DownloadError(f"transfer {self._transfer_id!r} has no file with id {file!r}")

    async def _algorithm(self, entry: TransferFile, verify: bool) -> str | None:
        if not verify or not entry.checksum:
            return None
        info = self._info if self._info is not None else await self.info()
        if not info.checksum_algorithm:
            raise DownloadError(
                "the server gave a checksum but no checksum algorithm;"
                " pass verify=False to download without checking"
            )
        return hash_algorithm(info.checksum_algorithm, secrets=self._secrets)

    async def _download_to(
        self,
        entry: TransferFile,
        target: Path,
        *,
        overwrite: bool,
        verify: bool,
        progress: ProgressReporter | None = None,
        offset: int = 0,
    ) -> Path:
        if entry.id is None:
            raise DownloadError("the server listed a file without an id")
        if not overwrite and await asyncio.to_thread(os.path.lexists, target):
            raise _exists(target)
        algorithm = await self._algorithm(entry, verify)
        request = api.RECIPIENT_DOWNLOAD.request(**self._where(), file_id=entry.id)
        return await self._stream_to(
            request,
            entry,
            target,
            overwrite=overwrite,
            algorithm=algorithm,
            progress=progress,
            offset=offset,
        )

    async def _stream_to(
        self,
        request: ApiRequest,
        entry: TransferFile,
        target: Path,
        *,
        overwrite: bool,
        algorithm: str | None,
        progress: ProgressReporter | None,
        offset: int,
        ceiling: int | None = None,
    ) -> Path:
        """Stream ``request``'s answer to a temporary file, check it, give it its name."""
        shown = _shown(entry, self._secrets)
        temporary = target.parent / f".cryptshare-{secrets.token_hex(6)}.part"
        sink = _FileSink(temporary, algorithm)
        try:
            async with self._client.stream(request) as response:
                limit = _size_limit(shown, response.headers)
                if limit is None or (ceiling is not None and limit > ceiling):
                    limit = ceiling
                pending: list[bytes] = []
                pending_size = received = 0
                if progress is not None:
                    await progress.report(offset)
                async for chunk in response.iter_chunks(WRITE_CHUNK):
                    if limit is not None and received + len(chunk) > limit:
                        # Checked before the chunk is kept: never more than announced on disk.
                        raise _too_long(shown, limit)
                    pending.append(chunk)
                    pending_size += len(chunk)
                    received += len(chunk)
                    if progress is not None:
                        await progress.report(offset + received)
                    if pending_size >= WRITE_CHUNK:
                        await sink.write(b"".join(pending))
                        pending, pending_size = [], 0
                if pending:
                    await sink.write(b"".join(pending))
            await sink.finish()
            _check(shown, sink, algorithm)
            _place(temporary, target, overwrite=overwrite)
        except BaseException:
            sink.discard()
            raise
        return target


def _shown(entry: TransferFile, secrets: frozenset[str]) -> TransferFile:
    """``entry`` as errors may quote it: the server's id, name and checksum without
    ``secrets`` (a hostile server may echo the password or client id into them)."""
    texts = (entry.id or "", entry.file_name or "", entry.checksum or "")
    if not any(secret in text for secret in secrets for text in texts):
        return entry
    return evolve(
        entry,
        id=None if entry.id is None else redact(entry.id, secrets),
        file_name=None if entry.file_name is None else redact(entry.file_name, secrets),
        checksum=None if entry.checksum is None else redact(entry.checksum, secrets),
    )


def bundle_limit(total_size: int) -> int:
    """The most bytes a ZIP or EML of files totalling ``total_size`` may have when the
    server sends no ``Content-Length``: base64 in an EML grows the files by a third; the
    rest is generous room for headers, the message and the checksum list."""
    return total_size * 3 // 2 + 16 * 1024 * 1024


def _file_ids(files: Iterable[TransferFile | str]) -> list[str]:
    if isinstance(files, str | TransferFile):
        raise InvalidInputError("files must be a list of file ids or TransferFile objects")
    ids: list[str] = []
    for item in files:
        file_id = item.id if isinstance(item, TransferFile) else item
        if not isinstance(file_id, str) or not file_id or "," in file_id:
            raise InvalidInputError(f"not a usable file id: {file_id!r}")
        path_segment(file_id, what="file id")
        ids.append(file_id)
    if not ids:
        raise InvalidInputError("files must name at least one file (None: all files)")
    return ids


def _size_limit(entry: TransferFile, headers: Mapping[str, str]) -> int | None:
    """The most bytes the download may have: the announced size, else Content-Length.

    A ``Content-Length`` of the (undecoded) body that disagrees with the announced size
    is refused before anything is read. ``None``: neither is known, nothing bounds it.
    """
    length = _content_length(entry, headers)
    if entry.size is not None:
        if length is not None and length != entry.size:
            raise DownloadIntegrityError(
                f"{_label(entry)}: the server sends {length} bytes (Content-Length) but"
                f" announced {entry.size}",
                what="size",
                expected=str(entry.size),
                actual=str(length),
            )
        return entry.size
    return length


def _content_length(entry: TransferFile, headers: Mapping[str, str]) -> int | None:
    """The Content-Length, when it counts the bytes written (no content coding)."""
    values = [v for k, v in headers.items() if k.lower() == "content-length"]
    coding = next((v for k, v in headers.items() if k.lower() == "content-encoding"), "")
    if not values or coding.strip().lower() not in {"", "identity"}:
        return None
    text = values[0].strip()
    if len(set(values)) > 1 or not text.isascii() or not text.isdigit():
        raise DownloadIntegrityError(
            f"{_label(entry)}: the server sent an invalid Content-Length",
            what="size",
            expected=str(entry.size),
            actual="invalid",
        )
    return int(text)


def _too_long(entry: TransferFile, limit: int) -> DownloadIntegrityError:
    return DownloadIntegrityError(
        f"{_label(entry)}: the server sent more than the {limit} bytes it announced (or"
        " this download allows); the download was stopped and nothing was kept",
        what="size",
        expected=str(limit),
        actual=f"more than {limit}",
    )


def _label(entry: TransferFile) -> str:
    return repr(entry.file_name or entry.id)


def _check(entry: TransferFile, sink: _FileSink, algorithm: str | None) -> None:
    label = entry.file_name or entry.id
    if entry.size is not None and sink.size != entry.size:
        raise DownloadIntegrityError(
            f"{label!r}: received {sink.size} bytes, the server announced {entry.size}",
            what="size",
            expected=str(entry.size),
            actual=str(sink.size),
        )
    digest = sink.digest()
    if (
        algorithm is not None
        and entry.checksum
        and digest is not None
        and not _digests_match(entry.checksum, digest)
    ):
        raise DownloadIntegrityError(
            f"{label!r}: the {algorithm} checksum of the received bytes does not match"
            " the server's",
            what="checksum",
            expected=entry.checksum,
            actual=digest.hex(),
        )


def _directory(directory: str | os.PathLike[str]) -> Path:
    folder = Path(directory)
    if not folder.is_dir():
        raise InvalidInputError(f"{folder} is not an existing directory")
    return folder


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name (2).ext``... if it (compared case-insensitively) is taken."""
    candidate, counter = name, 1
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    while candidate.casefold() in used:
        counter += 1
        candidate = _shorten(f"{stem} ({counter})" + (f".{extension}" if extension else ""))
    used.add(candidate.casefold())
    return candidate


class _RecipientPath(TypedDict):
    transfer_id: str
    password: str | None


_public.claim(globals())

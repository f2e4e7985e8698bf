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
from typing import TYPE_CHECKING, Final

from attrs import evolve

from . import _protocol as protocol
from ._converter import structure, structure_list
from ._errors import (
    DownloadError,
    DownloadIntegrityError,
    DownloadTargetExistsError,
    InvalidInputError,
)
from ._models import TransferFile, TransferInfo
from ._scrub import redact, spellings
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
    """Writes and hashes chunks in a worker thread, into a file opened exclusively.

    A lock orders writes against :meth:`discard`, so a write still running in its thread
    when the download is cancelled can neither write to a closed (or reused) descriptor
    nor outlive the removal of the file.
    """

    def __init__(self, path: Path, algorithm: str | None) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        self.path = path
        self._fd: int | None = os.open(path, flags, 0o600)
        self._hasher = hashlib.new(algorithm) if algorithm is not None else None
        self._lock = threading.Lock()
        self.size = 0

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
        await asyncio.to_thread(self._write, data)

    def _finish(self) -> None:
        with self._lock:
            if self._fd is None:
                raise DownloadError("the download was abandoned")
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    async def finish(self) -> None:
        """Flush to disk and close (the file is complete)."""
        await asyncio.to_thread(self._finish)

    def digest(self) -> bytes | None:
        return None if self._hasher is None else self._hasher.digest()

    def discard(self) -> None:
        """Close and remove the file; waits for at most one chunk still being written."""
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
        request = protocol.recipient_info_request(self._transfer_id, password=self._password)
        response = await self._client.request(request)
        self._secrets |= response.secrets
        data = protocol.json_data(request, response)
        self._info = structure(data, TransferInfo, secrets=response.secrets)
        return self._info

    async def files(self) -> tuple[TransferFile, ...]:
        """The files available for download (names as the server sent them)."""
        request = protocol.recipient_files_request(self._transfer_id, password=self._password)
        response = await self._client.request(request)
        self._secrets |= response.secrets
        data = protocol.json_data(request, response)
        return structure_list(data, TransferFile, secrets=response.secrets)

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
        shown = _shown(entry, self._secrets)
        request = protocol.recipient_download_request(
            self._transfer_id, entry.id, password=self._password
        )
        temporary = target.parent / f".cryptshare-{secrets.token_hex(6)}.part"
        sink = _FileSink(temporary, algorithm)
        try:
            async with self._client.stream(request) as response:
                limit = _size_limit(shown, response.headers)
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
        f"{_label(entry)}: the server sent more than the {limit} bytes it announced;"
        " the download was stopped and nothing was kept",
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

"""`TransferSession`: a transfer being put together (settings, files), until finalized.

Example::

    session = await alice.create_session(to=["bob@example.org"], name="Alice", phone="1")
    await session.update(password_mode=PasswordMode.GENERATED, expiration_date=in_7_days)
    await session.upload("report.pdf")
    transfer = await session.finalize()
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import _ambiguity, _upload
from . import _protocol as protocol
from ._converter import structure, unstructure
from ._enums import PasswordMode, SecurityModeName
from ._errors import BrokenSessionError, InvalidInputError
from ._models import (
    NotificationMessage,
    OneTimePasswordConfig,
    SecurityMode,
    SenderContact,
    SessionState,
    TransferSessionSettings,
)
from ._scrub import redact_json
from ._transfer import Transfer
from ._unset import UNSET, Unset
from ._upload import ChecksumMode, ProgressCallback, Source, UploadedFile
from ._upload._reader import DEFAULT_CHUNK_SIZE
from ._validation import path_segment

if TYPE_CHECKING:
    from ._protocol import ApiRequest, ApiResponse
    from ._sender import Sender
    from ._tokens import StoredToken
    from ._transport import StreamBody

__all__ = ["TransferSession"]

logger = logging.getLogger("cryptshare_async")


class TransferSession:
    """A handle on one transfer session, identified by its tracking id.

    Methods map one to one onto the API; none keeps hidden state besides whether the
    session was finalized or deleted through this handle (then further calls raise
    at once instead of failing on the server) and, for a session made by
    :meth:`Sender.create_session`, the token it was created with: the server accepts no
    other for this session, so every request of the session carries it (never shown in
    the repr). If the server stops accepting that token, the session's calls raise
    :class:`SessionTokenRejectedError`: create a new session. A handle from
    :meth:`Sender.resume_session` uses the sender's current token.
    """

    def __init__(
        self, sender: Sender, tracking_id: str, *, token: StoredToken | None = None
    ) -> None:
        path_segment(tracking_id, what="tracking id")
        self._sender = sender
        self._tracking_id = tracking_id
        self._token = token
        self._ended: str | None = None
        #: The transfer this session became, once known (see :meth:`finalize`).
        self.transfer: Transfer | None = None
        self._broken: dict[str, str] = {}  # file id -> name: removals that did not succeed

    def __repr__(self) -> str:
        return f"TransferSession({self._tracking_id!r}, sender={self._sender.email!r})"

    @property
    def tracking_id(self) -> str:
        return self._tracking_id

    @property
    def sender(self) -> Sender:
        return self._sender

    def _check_open(self) -> None:
        if self._ended is not None:
            raise InvalidInputError(
                f"transfer session {self._tracking_id} was already {self._ended}"
                " through this handle"
            )

    def _check_whole(self) -> None:
        if self._broken:
            files = ", ".join(f"{name!r} ({file_id})" for file_id, name in self._broken.items())
            raise BrokenSessionError(
                f"transfer session {self._tracking_id} holds file(s) whose upload failed and"
                f" whose removal has not succeeded: {files}; finalizing would send them"
                " incomplete. Remove them with session.remove_file(file_id), or delete the"
                " session",
                file_ids=tuple(self._broken),
            )

    def _finished(self, how: str) -> None:
        self._ended = how

    def _made(self, transfer: Transfer) -> Transfer:
        self._ended = "finalized"
        self.transfer = transfer
        return transfer

    def _mark_broken(self, file_id: str, file_name: str) -> None:
        """A failed file's removal did not succeed: finalize() refuses until it is removed."""
        self._broken[file_id] = file_name

    async def request(self, request: ApiRequest, *, body: StreamBody | None = None) -> ApiResponse:
        """Send a request of this session with the session's token (low level).

        Example::

            request = put_content_request(alice.email, session.tracking_id, file_id)
            response = await session.request(request, body=my_stream_body)
        """
        return (await self._sender._exchange(request, body=body, token=self._token)).response

    async def state(self) -> SessionState:
        """The session's current settings, recipients and files.

        An echo of the request's secrets (client id, token) in the answer is replaced
        by ``***``: uploads quote the state's algorithm and file names in errors.
        """
        request = protocol.get_session_request(self._sender.email, self._tracking_id)
        response = await self.request(request)
        data = redact_json(protocol.json_data(request, response), response.secrets)
        return structure(data, SessionState, secrets=response.secrets)

    async def update(
        self,
        *,
        name: str | Unset = UNSET,
        phone: str | Unset = UNSET,
        expiration_date: datetime | Unset = UNSET,
        password_mode: PasswordMode | Unset = UNSET,
        password: str | Unset = UNSET,
        security_mode: SecurityMode | Unset = UNSET,
        notification_subject: str | Unset = UNSET,
        notification_body: str | Unset = UNSET,
        sender_language: str | Unset = UNSET,
        recipient_language: str | Unset = UNSET,
        show_file_names: bool | Unset = UNSET,
        show_zip_file_content: bool | Unset = UNSET,
        send_recipient_notification: bool | Unset = UNSET,
        send_upload_summary: bool | Unset = UNSET,
        send_download_notifications: bool | Unset = UNSET,
        send_download_summary: bool | Unset = UNSET,
        classification_id: str | Unset | None = UNSET,
        file_checksum_algorithm: str | Unset = UNSET,
        confidential_message_file_id: str | Unset | None = UNSET,
    ) -> SessionState:
        """Change settings; only the arguments given are sent (``PATCH``).

        ``password_mode`` (with ``password`` for ``MANUAL``) is shorthand for a one-time
        password ``security_mode``. ``name`` and ``phone`` go together as the sender's
        contact (both are needed). Returns the session as the server now has it.
        Recipients cannot be changed after creation (the API does not allow it).
        """
        self._check_open()
        settings = TransferSessionSettings(
            sender=_contact(name, phone),
            expiration_date=expiration_date,
            security_mode=_security_mode(security_mode, password_mode, password),
            notification_message=_notification(notification_subject, notification_body),
            sender_language=sender_language,
            recipient_language=recipient_language,
            show_file_names=show_file_names,
            show_zip_file_content=show_zip_file_content,
            send_recipient_notification=send_recipient_notification,
            send_upload_summary=send_upload_summary,
            send_download_notifications=send_download_notifications,
            send_download_summary=send_download_summary,
            classification_id=classification_id,
            file_checksum_algorithm=file_checksum_algorithm,
            confidential_message_file_id=confidential_message_file_id,
        )
        body = unstructure(settings)
        if not body:
            raise InvalidInputError("update() needs at least one setting to change")
        request = protocol.patch_session_request(self._sender.email, self._tracking_id, body)
        response = await self.request(request)
        data = protocol.json_data(request, response)
        return structure(data, SessionState, secrets=response.secrets)

    async def delete(self) -> None:
        """Abandon the session and every file in it."""
        self._check_open()
        request = protocol.delete_session_request(self._sender.email, self._tracking_id)
        protocol.raise_for_status(request, await self.request(request))
        self._ended = "deleted"

    async def finalize(self) -> Transfer:
        """Finish the session: the server starts processing and the transfer is made.

        Returns a :class:`Transfer` to read its status and wait until it is active; it
        is kept as :attr:`transfer`. Finalize is never repeated blindly: when its answer
        does not tell whether the server acted (connection lost, read timeout, 5xx, a
        garbled body, "not found", or a cancellation after the request went out), the
        status under the tracking id decides. A transfer found is returned (after a
        cancellation it is recorded in :attr:`transfer` and in the exception's
        ``transfer`` attribute); otherwise the error is raised with a note saying that
        no transfer was made and whether the session can be finalized again. If the
        answer does not name the transfer usably (see
        :func:`~cryptshare_async._protocol.read_created_id`), raises
        :class:`ResponseParseError`: the transfer exists anyway, and nothing is undone.
        A session with a file whose clean-up failed raises :class:`BrokenSessionError`
        naming the file, before anything is sent.
        """
        self._check_open()
        self._check_whole()
        return await _ambiguity.finalize(self)

    def _url(self, request: protocol.ApiRequest) -> str:
        return str(self._sender.client.url_for(request))

    # ------------------------------------------------------------ files, step by step

    async def register_file(self, file_name: str, size: int, checksum: str | None = None) -> str:
        """Register a file (name unique in the session, size in bytes, optional checksum
        in the session's algorithm); returns its file id. Content follows separately.

        An answer that does not name the new file usably raises
        :class:`ResponseParseError`, after removing the file if the answer's body names
        it (otherwise the message says an orphan registration may be left). A lost
        answer is resolved by reading the session: the file registered under that name
        and size is adopted, or removed and registered again (once)."""
        self._check_open()
        if not isinstance(file_name, str) or not file_name or file_name != file_name.strip():
            raise InvalidInputError(
                f"file_name must be a non-empty str without surrounding spaces, got {file_name!r}"
            )
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidInputError(f"size must be an int >= 0, got {size!r}")
        return await _ambiguity.register(self, file_name, size, checksum)

    async def remove_file(self, file_id: str) -> None:
        """Remove a registered file (and its content) from the session."""
        self._check_open()
        request = protocol.delete_file_request(self._sender.email, self._tracking_id, file_id)
        protocol.raise_for_status(request, await self.request(request))
        self._broken.pop(file_id, None)

    async def set_confidential_message(self, file: Any) -> SessionState:
        """Mark a file of the session as the confidential message.

        ``file`` is a file id, or anything with a ``file_id`` attribute (such as the
        result of an upload).
        """
        file_id = file if isinstance(file, str) else getattr(file, "file_id", None)
        if not isinstance(file_id, str) or not file_id:
            raise InvalidInputError(
                "set_confidential_message() needs a file id or an uploaded file"
            )
        return await self.update(confidential_message_file_id=file_id)

    # ------------------------------------------------------------ streaming uploads

    async def upload(
        self,
        source: Source | AsyncIterable[bytes],
        *,
        file_name: str | None = None,
        size: int | None = None,
        checksum: ChecksumMode | str = ChecksumMode.AUTO,
        progress: ProgressCallback | None = None,
        hash_progress: ProgressCallback | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> UploadedFile:
        """Register a file and stream its content; see :mod:`cryptshare_async._upload`.

        ``source`` is a path, a buffer, a binary file object (``open(path, "rb")``,
        ``io.BytesIO``, an aiofiles handle, a ``StreamReader``, an ``UploadFile``: one
        that cannot seek needs ``size=`` and is not resent on a retry; see
        :class:`FileObjectSource`), an async iterable of bytes (with ``size=``; or
        :func:`spool` it), or an :class:`UploadSource`. ``checksum`` is a
        :class:`ChecksumMode` (default ``AUTO``: pre-pass for files and buffers, stream
        for async iterables) or the hex digest you already have. ``progress(sent, total)``
        may be sync or async; ``hash_progress(hashed, total)`` likewise reports the
        pre-pass (which reads the whole source before anything is registered), and is
        not called in the other modes. A callback that raises aborts the upload with its
        exception. On failure or cancellation after registration the file is
        removed from the session. Makes one ``GET`` of the session (its checksum
        algorithm and file names) before registering. Example::

            uploaded = await session.upload("report.pdf", progress=print)
        """
        self._check_open()
        return await _upload.upload(
            self,
            source,
            file_name=file_name,
            size=size,
            checksum=checksum,
            progress=progress,
            hash_progress=hash_progress,
            chunk_size=chunk_size,
        )

    async def upload_content(
        self,
        file_id: str,
        source: Source | AsyncIterable[bytes],
        *,
        size: int | None = None,
        checksum: str | None = None,
        algorithm: str | None = None,
        progress: ProgressCallback | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> str:
        """Stream the content of a file registered with :meth:`register_file`; returns the
        digest of the bytes sent (in ``algorithm``, default: the session's). A given
        ``checksum`` is verified before the last byte is sent. The file is not removed
        on failure. Example::

            file_id = await session.register_file("a.bin", size=len(data))
            digest = await session.upload_content(file_id, data)
        """
        self._check_open()
        return await _upload.upload_content(
            self,
            file_id,
            source,
            size=size,
            checksum=checksum,
            algorithm=algorithm,
            progress=progress,
            chunk_size=chunk_size,
        )

    async def upload_many(
        self,
        sources: Iterable[Source],
        *,
        concurrency: int = 2,
        checksum: ChecksumMode = ChecksumMode.AUTO,
        progress: ProgressCallback | None = None,
        hash_progress: ProgressCallback | None = None,
        return_exceptions: bool = False,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> list[UploadedFile] | list[UploadedFile | BaseException]:
        """Upload several sources, ``concurrency`` at a time, results in input order.

        Names are checked before anything is registered; the first failure cancels the
        rest (their files are removed) unless ``return_exceptions``. ``progress`` and
        ``hash_progress`` receive counts over the whole batch (the latter's total is
        the size of the sources that get a pre-pass). Example::

            files = await session.upload_many(["a.pdf", "b.pdf"], progress=print)
        """
        self._check_open()
        return await _upload.upload_many(
            self,
            sources,
            concurrency=concurrency,
            checksum=checksum,
            progress=progress,
            hash_progress=hash_progress,
            return_exceptions=return_exceptions,
            chunk_size=chunk_size,
        )


def _contact(name: str | Unset, phone: str | Unset) -> SenderContact | Unset:
    if isinstance(name, Unset) and isinstance(phone, Unset):
        return UNSET
    if isinstance(name, Unset) or isinstance(phone, Unset):
        raise InvalidInputError("the sender's name and phone are sent together: give both")
    return SenderContact(name=name, phone=phone)


def _notification(subject: str | Unset, body: str | Unset) -> NotificationMessage | Unset:
    if isinstance(subject, Unset) and isinstance(body, Unset):
        return UNSET
    if isinstance(subject, Unset) or isinstance(body, Unset):
        raise InvalidInputError(
            "the recipient notification's subject and body are sent together: give both"
        )
    return NotificationMessage(subject=subject, body=body)


def _security_mode(
    security_mode: SecurityMode | Unset, mode: PasswordMode | Unset, password: str | Unset
) -> SecurityMode | Unset:
    if not isinstance(security_mode, Unset):
        if not isinstance(mode, Unset) or not isinstance(password, Unset):
            raise InvalidInputError("give either security_mode or password_mode/password, not both")
        return security_mode
    if isinstance(mode, Unset):
        if not isinstance(password, Unset):
            raise InvalidInputError("a password needs password_mode=PasswordMode.MANUAL")
        return UNSET
    mode = PasswordMode(mode)
    if mode is PasswordMode.MANUAL:
        if isinstance(password, Unset) or not password:
            raise InvalidInputError("password_mode MANUAL needs a non-empty password")
        config = OneTimePasswordConfig(password_mode=mode, password=password)
    else:
        if not isinstance(password, Unset):
            raise InvalidInputError(f"password_mode {mode.value} takes no password")
        config = OneTimePasswordConfig(password_mode=mode, password=None)
    return SecurityMode(name=SecurityModeName.ONE_TIME_PASSWORD, config=config)

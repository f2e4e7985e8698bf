"""From files to a finalized transfer in one awaited call: `send`.

create → update (one request, only if settings are given) → ``upload_many`` →
finalize → optionally ``wait_until_active``. Every argument is checked before the first
request. If anything fails (or the call is cancelled) before finalize, the session is
deleted with its files, so nothing is left on the server.

Example::

    result = await alice.send(
        ["report.pdf", "data.csv"], to=["bob@example.org"], name="Alice", phone="+49 1",
        password_mode=PasswordMode.GENERATED, wait=True, timeout=300,
    )
    print(result.transfer.tracking_id, result.status.state)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from attrs import define

from ._enums import PasswordMode
from ._errors import (
    InvalidInputError,
)
from ._models import SecurityMode, TransferStatus
from ._send_plan import SendPlan, make_plan
from ._session_scope import DEFAULT_CLEANUP_TIMEOUT, SessionScope, check_timeout
from ._threads import wait_through_cancellation
from ._transfer import Transfer
from ._unset import UNSET, Unset
from ._upload import (
    ChecksumMode,
    FileProgressCallback,
    ProgressCallback,
    Source,
    UploadedFile,
    upload_many,
)

if TYPE_CHECKING:
    from ._sender import Sender

__all__ = ["SendResult", "run_plan", "send"]

logger = logging.getLogger("cryptshare_async")


@define(frozen=True, slots=True)
class SendResult:
    """What a send produced.

    ``transfer`` is the finalized transfer; ``files`` the uploaded files in the order
    given; ``status`` the final status when the send waited (``wait=True``), else
    ``None``. ``from_journal`` is true for a batch job found already sent in the
    journal (its ``files`` are empty if the outcome had not been recorded).
    """

    transfer: Transfer
    files: tuple[UploadedFile, ...]
    status: TransferStatus | None = None
    from_journal: bool = False

    @property
    def tracking_id(self) -> str:
        return self.transfer.tracking_id


#: Called with the tracking id once the session exists, before anything else is sent.
OnCreated = Callable[[str], Awaitable[None]]


async def send(
    sender: Sender,
    sources: Iterable[Source],
    *,
    to: Iterable[str] = (),
    cc: Iterable[str] = (),
    bcc: Iterable[str] = (),
    name: str,
    phone: str,
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
    checksum: ChecksumMode = ChecksumMode.AUTO,
    progress: ProgressCallback | None = None,
    file_progress: FileProgressCallback | None = None,
    concurrency: int = 2,
    wait: bool = False,
    timeout: float | None = None,  # noqa: ASYNC109 - the issue fixes this name
    cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT,
) -> SendResult:
    """Send ``sources`` (paths, buffers or ``UploadSource``s) to the recipients as one
    transfer; return its :class:`SendResult`.

    The settings are those of :meth:`TransferSession.update`, applied with one request.
    ``checksum``, ``concurrency`` and ``progress(sent, total)`` (bytes over all files)
    are those of :meth:`TransferSession.upload_many`; ``file_progress(file_name, sent,
    total)`` reports each file on its own (both may be sync or async). With
    ``wait=True`` the call also waits until the transfer is ``ACTIVE``, up to
    ``timeout`` seconds (``None``: no limit); an error of the wait (:class:`TransferFailedError`,
    :class:`WaitTimeoutError`) carries a note with the tracking id, since the transfer
    was sent. Before finalize, any failure or cancellation deletes the session (see
    :meth:`Sender.session` for ``cleanup_timeout``), also when a file's clean-up
    failed (:class:`BrokenSessionError`). A finalize whose answer is lost or unreadable
    (connection error, timeout, 5xx, garbled body) is never repeated: the status under
    the tracking id says whether the transfer was made (then it is returned) or not
    (then the error is raised and the session deleted). Cancelled after the finalize
    went out, the cancellation carries the transfer, if made, as ``exc.transfer``.

    Example::

        result = await alice.send(["a.pdf"], to=[BOB], name="Alice", phone="1")
    """
    settings = {
        "expiration_date": expiration_date,
        "password_mode": password_mode,
        "password": password,
        "security_mode": security_mode,
        "notification_subject": notification_subject,
        "notification_body": notification_body,
        "sender_language": sender_language,
        "recipient_language": recipient_language,
        "show_file_names": show_file_names,
        "show_zip_file_content": show_zip_file_content,
        "send_recipient_notification": send_recipient_notification,
        "send_upload_summary": send_upload_summary,
        "send_download_notifications": send_download_notifications,
        "send_download_summary": send_download_summary,
        "classification_id": classification_id,
        "file_checksum_algorithm": file_checksum_algorithm,
    }
    check_options(checksum=checksum, concurrency=concurrency, wait=wait, timeout=timeout)
    check_timeout(cleanup_timeout, "cleanup_timeout")
    plan = make_plan(sources, to=to, cc=cc, bcc=bcc, name=name, phone=phone, settings=settings)
    if file_progress is not None and not callable(file_progress):
        raise InvalidInputError("file_progress must be a callable (file_name, sent, total)")
    result = await run_plan(
        sender,
        plan,
        checksum=checksum,
        progress=progress,
        file_progress=file_progress,
        concurrency=concurrency,
        cleanup_timeout=cleanup_timeout,
    )
    if wait:
        return await wait_for(result, timeout)
    return result


def check_options(*, checksum: object, concurrency: object, wait: object, timeout: object) -> None:
    if not isinstance(checksum, ChecksumMode):
        raise InvalidInputError(f"checksum must be a ChecksumMode, got {checksum!r}")
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise InvalidInputError(f"concurrency must be an int >= 1, got {concurrency!r}")
    if not isinstance(wait, bool):
        raise InvalidInputError(f"wait must be a bool, got {wait!r}")
    if timeout is not None:
        if not wait:
            raise InvalidInputError("timeout bounds the wait for ACTIVE: give it with wait=True")
        check_timeout(timeout, "timeout")


async def run_plan(
    sender: Sender,
    plan: SendPlan,
    *,
    checksum: ChecksumMode,
    progress: ProgressCallback | None,
    concurrency: int,
    cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT,
    on_created: OnCreated | None = None,
    file_progress: FileProgressCallback | None = None,
) -> SendResult:
    """create → update → upload → finalize for a checked plan (no waiting).

    ``on_created(tracking_id)`` runs before anything is uploaded; if it raises, the
    session is deleted and nothing is sent. ``finalize()`` resolves an answer that does
    not tell; if it still fails, the session is deleted, and a delete that finds the
    session gone means the finalize went through after all: the status then decides.
    """
    scope = SessionScope(sender, plan, cleanup_timeout=cleanup_timeout)
    finalizing = False
    try:
        async with scope as session:
            if on_created is not None:
                await on_created(session.tracking_id)
            uploaded = await upload_many(
                session,
                plan.sources,
                concurrency=concurrency,
                checksum=checksum,
                progress=progress,
                file_progress=file_progress,
            )
            finalizing = True
            transfer = await session.finalize()
    except BaseException as exc:
        if finalizing and scope.cleanup == "gone" and scope.session is not None:
            made = await _made_after_all(sender, scope.session.tracking_id, exc)
            if made is not None and not isinstance(exc, asyncio.CancelledError):
                return SendResult(transfer=made, files=_files(uploaded))
        raise
    return SendResult(transfer=transfer, files=_files(uploaded))


def _files(uploaded: Sequence[UploadedFile | BaseException]) -> tuple[UploadedFile, ...]:
    return tuple(item for item in uploaded if isinstance(item, UploadedFile))


async def _made_after_all(sender: Sender, tracking_id: str, exc: BaseException) -> Transfer | None:
    """The transfer under ``tracking_id`` if its status reads (within the client's
    clean-up grace period, also through a cancellation); ``None`` otherwise. A
    cancellation ``exc`` gets it as ``exc.transfer``."""
    transfer = Transfer(sender, tracking_id)
    reading = asyncio.ensure_future(transfer.status())
    cancelled = await wait_through_cancellation(reading, bound=sender.client.cleanups.grace)
    if not reading.done():
        reading.cancel()
        await wait_through_cancellation(reading)
    if reading.cancelled() or reading.exception() is not None:
        return None
    logger.info("finalize of %s failed, but the transfer was made: adopted", tracking_id)
    if isinstance(exc, asyncio.CancelledError):
        exc.transfer = transfer  # type: ignore[attr-defined]
        exc.add_note(f"transfer {tracking_id} was made: it is in this exception's .transfer")
    elif cancelled:
        cancel = asyncio.CancelledError()
        cancel.transfer = transfer  # type: ignore[attr-defined]
        raise cancel
    return transfer


async def wait_for(result: SendResult, limit: float | None) -> SendResult:
    """``result`` with the status it reaches as ``ACTIVE``; a failed wait says the
    transfer was sent."""
    try:
        status = await result.transfer.wait_until_active(timeout=limit)
    except BaseException as exc:
        exc.add_note(
            f"transfer {result.tracking_id} was finalized (sent); only the wait for ACTIVE"
            " failed: do not send it again"
        )
        raise
    return SendResult(transfer=result.transfer, files=result.files, status=status)

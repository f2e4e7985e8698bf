"""Transfer status, transfer lists and revocation.

Example::

    >>> status = TransferStatus(status=StatusDetails(state=TransferState.FAILED, files=(
    ...     FileStatus(id="f1", removed=True, removal_cause="virus found"),
    ... )))
    >>> status.state, [f.id for f in status.removed_files]
    (<TransferState.FAILED: 'FAILED'>, ['f1'])
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import define, field

from . import _public
from ._enums import RetrievalMethod, TransferState
from ._errors import InvalidInputError
from ._models_base import EMPTY_RAW, NEST, WIRE, aware_datetime, mask_secret
from ._models_session import SessionState

__all__ = [
    "Download",
    "FileDownload",
    "FileStatus",
    "RecipientStatus",
    "RevocationOptions",
    "RevocationRequest",
    "SenderStatus",
    "StatusDetails",
    "TransferListItem",
    "TransferStatus",
    "TransferSummary",
]


@define(frozen=True, slots=True)
class Download:
    """One retrieval of a file by a recipient."""

    download_date: datetime | None = field(default=None, validator=aware_datetime)
    retrieval_method: RetrievalMethod | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class FileDownload:
    """Every retrieval of one file (``id``) by one recipient."""

    id: str | None = None
    downloads: tuple[Download, ...] | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, kw_only=True)
class RecipientStatus:
    """One recipient of a finalized transfer.

    ``download_url`` may carry the transfer password (password mode ``NONE``), so it is
    never shown in ``repr``.
    """

    id: str | None = None
    mail: str | None = None
    download_url: str | None = field(default=None, repr=mask_secret)
    notification_failed: bool | None = None
    file_downloads: tuple[FileDownload, ...] | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class SenderStatus:
    """The sender of a finalized transfer and whether mailing them failed."""

    email: str | None = None
    notification_failed: bool | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class FileStatus:
    """One file of a finalized transfer; ``removal_cause`` says why it was removed."""

    id: str | None = None
    removed: bool | None = None
    removal_cause: str | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, kw_only=True)
class StatusDetails:
    """The ``status`` part of a transfer status: state, warnings, per-party details."""

    state: TransferState | None = None
    warnings: bool | None = None
    eml_creation_failed: bool | None = None
    sender: SenderStatus | None = None
    files: tuple[FileStatus, ...] | None = None
    recipients: tuple[RecipientStatus, ...] | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)

    @property
    def removed_files(self) -> tuple[FileStatus, ...]:
        """The files whose ``removed`` flag is true (empty when none or not reported)."""
        return tuple(f for f in self.files or () if f.removed)


@define(frozen=True, slots=True, kw_only=True)
class TransferStatus:
    """Answer of ``GET /users/{email}/transfers/{tracking-id}``.

    ``state``, ``warnings`` and ``removed_files`` read through to ``status``.
    """

    transfer: SessionState | None = None
    status: StatusDetails | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)

    @property
    def state(self) -> TransferState | None:
        """The transfer's state, or ``None`` if the server did not report it."""
        return None if self.status is None else self.status.state

    @property
    def warnings(self) -> bool | None:
        """Whether the server reported a problem (a removed file, a failed mail...)."""
        return None if self.status is None else self.status.warnings

    @property
    def removed_files(self) -> tuple[FileStatus, ...]:
        """The files removed during processing, each with its ``removal_cause``."""
        return () if self.status is None else self.status.removed_files


@define(frozen=True, slots=True, kw_only=True)
class TransferSummary:
    """An item of the legacy list ``GET /users/{email}/transfers``."""

    tracking_id: str | None = None
    state: TransferState | None = None
    recipients: tuple[RecipientStatus, ...] | None = None
    href: str | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, kw_only=True)
class TransferListItem:
    """An item of ``.../transfers/sent-transfers`` or ``.../received-transfers``.

    What is present depends on the request's ``fields`` selection; anything not
    selected is ``None``.
    """

    tracking_id: str | None = None
    status: StatusDetails | None = None
    transfer: SessionState | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)

    @property
    def state(self) -> TransferState | None:
        """``status.state``, or ``None`` if it was not selected."""
        return None if self.status is None else self.status.state


@define(frozen=True, slots=True)
class RevocationOptions:
    """Options of a revocation; ``message`` (markdown) is left out of the JSON when ``None``."""

    notify_sender: bool = True
    notify_recipients: bool = True
    message: str | None = None


def _only_revocation(instance: RevocationRequest, attribute: Any, value: object) -> None:
    if value is not TransferState.DELETED_BY_REVOCATION:
        raise InvalidInputError("RevocationRequest.state must be DELETED_BY_REVOCATION")


@define(frozen=True, slots=True)
class RevocationRequest:
    """Body of the revoking ``PATCH /users/{email}/transfers/{tracking-id}``.

    ``state`` is the API's fixed marker and cannot be anything else.

    Example::

        >>> from cryptshare_async._converter import unstructure
        >>> unstructure(RevocationRequest(RevocationOptions(notify_recipients=False)))
        {'status': {'state': 'DELETED_BY_REVOCATION'}, 'revocationOptions': {'notifySender': True, 'notifyRecipients': False}}
    """  # noqa: E501

    # Declared first so that the JSON reads in the API's order; keyword-only.
    state: TransferState = field(
        default=TransferState.DELETED_BY_REVOCATION,
        kw_only=True,
        validator=_only_revocation,
        metadata={WIRE: "status", NEST: "state"},
    )
    options: RevocationOptions = field(
        factory=RevocationOptions, metadata={WIRE: "revocationOptions"}
    )


_public.claim(globals())

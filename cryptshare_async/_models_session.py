"""Transfer-session models: sender, recipients, settings, files.

Example::

    >>> create = TransferSessionCreate(
    ...     sender=SenderContact("Alice", "+49 1"),
    ...     recipients=Recipients(to=["bob@example.org"]),
    ... )
    >>> create.recipients.to
    (Recipient(mail='bob@example.org'),)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import define, field

from . import _public
from ._enums import FileState, PasswordMode, SecurityModeName
from ._errors import InvalidInputError
from ._models_base import ABSENT, EMPTY_RAW, aware_datetime, mask_secret
from ._unset import UNSET, Settable

__all__ = [
    "FileRegistration",
    "FileRegistrationResult",
    "NotificationMessage",
    "OneTimePasswordConfig",
    "Recipient",
    "Recipients",
    "SecurityMode",
    "SenderContact",
    "SessionFile",
    "SessionState",
    "TransferSessionCreate",
    "TransferSessionSettings",
]


@define(frozen=True, slots=True)
class Recipient:
    """One recipient address (wire: ``{"mail": "..."}``)."""

    mail: str
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


def _recipient_tuple(value: Sequence[Recipient | str] | None) -> tuple[Recipient, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise InvalidInputError("recipients must be a sequence of addresses, not a single str")
    return tuple(item if isinstance(item, Recipient) else Recipient(item) for item in value)


@define(frozen=True, slots=True)
class Recipients:
    """Recipients grouped by ``to``, ``cc`` and ``bcc``; plain strings are accepted.

    A group that is ``None`` is left out of the JSON (and is ``None`` when the server
    did not send it, e.g. under a ``fields`` selection).

    Example::

        >>> Recipients(to=["a@example.org"], cc=[Recipient("b@example.org")]).cc
        (Recipient(mail='b@example.org'),)
    """

    to: tuple[Recipient, ...] | None = field(default=None, converter=_recipient_tuple)
    cc: tuple[Recipient, ...] | None = field(default=None, converter=_recipient_tuple)
    bcc: tuple[Recipient, ...] | None = field(default=None, converter=_recipient_tuple)
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class SenderContact:
    """The sender's contact details (wire: the ``sender`` object, without email)."""

    name: str | None = None
    phone: str | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class NotificationMessage:
    """The recipient notification mail; ``body`` may contain HTML."""

    subject: str | None = None
    body: str | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class OneTimePasswordConfig:
    """Configuration of the one-time-password security mode.

    ``password`` is only meaningful with ``PasswordMode.MANUAL`` and is never shown in
    ``repr``. ``allowed_password_modes`` is only ever read (some servers report it).

    Example::

        >>> OneTimePasswordConfig(PasswordMode.MANUAL, "s3cret")
        OneTimePasswordConfig(password_mode=<PasswordMode.MANUAL: 'MANUAL'>, password='***', allowed_password_modes=None)
    """  # noqa: E501

    password_mode: PasswordMode | None = None
    password: str | None = field(default=None, repr=mask_secret)
    allowed_password_modes: tuple[PasswordMode, ...] | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class SecurityMode:
    """A transfer's security mode: ``{"name": "ONE_TIME_PASSWORD", "config": {...}}``.

    Example::

        >>> SecurityMode(config=OneTimePasswordConfig(PasswordMode.GENERATED)).name
        <SecurityModeName.ONE_TIME_PASSWORD: 'ONE_TIME_PASSWORD'>
    """

    name: SecurityModeName | None = field(
        default=SecurityModeName.ONE_TIME_PASSWORD, metadata={ABSENT: None}
    )
    config: OneTimePasswordConfig | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class TransferSessionCreate:
    """Body of ``POST /users/{email}/transfer-sessions``."""

    sender: SenderContact
    recipients: Recipients


@define(frozen=True, slots=True, kw_only=True)
class TransferSessionSettings:
    """Body of ``PATCH .../transfer-sessions/{tracking-id}``: only the fields you set are sent.

    Every field defaults to :data:`UNSET` (left out of the body); ``None`` is sent as
    JSON ``null``. Recipients and files cannot be changed this way.

    Example::

        >>> from cryptshare_async._converter import unstructure
        >>> unstructure(TransferSessionSettings(show_file_names=True, classification_id=None))
        {'showFileNames': True, 'classificationId': None}
    """

    sender: Settable[SenderContact | None] = UNSET
    expiration_date: Settable[datetime | None] = field(default=UNSET, validator=aware_datetime)
    file_checksum_algorithm: Settable[str | None] = UNSET
    notification_message: Settable[NotificationMessage | None] = UNSET
    sender_language: Settable[str | None] = UNSET
    recipient_language: Settable[str | None] = UNSET
    security_mode: Settable[SecurityMode | None] = UNSET
    send_download_notifications: Settable[bool | None] = UNSET
    send_download_summary: Settable[bool | None] = UNSET
    send_recipient_notification: Settable[bool | None] = UNSET
    send_upload_summary: Settable[bool | None] = UNSET
    show_file_names: Settable[bool | None] = UNSET
    show_zip_file_content: Settable[bool | None] = UNSET
    classification_id: Settable[str | None] = UNSET
    confidential_message_file_id: Settable[str | None] = UNSET


def _check_file_name(instance: FileRegistration, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidInputError("FileRegistration.file_name must be a non-empty str")


def _check_size(instance: FileRegistration, attribute: Any, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInputError("FileRegistration.size must be an int >= 0")


@define(frozen=True, slots=True)
class FileRegistration:
    """Body of ``POST .../files``: ``checksum`` is left out of the JSON when ``None``.

    Example::

        >>> FileRegistration("report.pdf", 13987)
        FileRegistration(file_name='report.pdf', size=13987, checksum=None)
    """

    file_name: str = field(validator=_check_file_name)
    size: int = field(validator=_check_size)
    checksum: str | None = None


@define(frozen=True, slots=True)
class FileRegistrationResult:
    """Answer to a file registration: the new file's id."""

    file_id: str
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, kw_only=True)
class SessionFile:
    """A file registered in a transfer session, as the session reports it."""

    id: str | None = None
    file_name: str | None = None
    size: int | None = None
    checksum: str | None = None
    href: str | None = None
    state: FileState | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, kw_only=True)
class SessionState:
    """A transfer session's (or a finalized transfer's) settings, recipients and files.

    Every field is ``None`` when the server did not send it.
    """

    sender: SenderContact | None = None
    recipients: Recipients | None = None
    expiration_date: datetime | None = field(default=None, validator=aware_datetime)
    file_checksum_algorithm: str | None = None
    notification_message: NotificationMessage | None = None
    sender_language: str | None = None
    recipient_language: str | None = None
    security_mode: SecurityMode | None = None
    send_download_notifications: bool | None = None
    send_download_summary: bool | None = None
    send_recipient_notification: bool | None = None
    send_upload_summary: bool | None = None
    show_file_names: bool | None = None
    show_zip_file_content: bool | None = None
    classification_id: str | None = None
    confidential_message_file_id: str | None = None
    files: tuple[SessionFile, ...] | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


_public.claim(globals())

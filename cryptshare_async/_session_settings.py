"""`SessionSettings`: the settings a send applies with one ``TransferSession.update()``,
as a ``TypedDict`` so type checkers know each key's type.

Example::

    >>> from cryptshare_async import PasswordMode, SessionSettings
    >>> settings: SessionSettings = {"password_mode": PasswordMode.GENERATED}
    >>> settings
    {'password_mode': <PasswordMode.GENERATED: 'GENERATED'>}
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from . import _public
from ._enums import PasswordMode
from ._models_session import SecurityMode

__all__ = ["SessionSettings"]


class SessionSettings(TypedDict, total=False):
    """The keywords of :meth:`TransferSession.update` that a send can apply up front
    (``Sender.open_session(**settings)``, ``SendJob(settings=...)``); every key optional.

    The sender's ``name``/``phone`` are given separately, and a confidential message
    needs a file id, which only exists after an upload
    (``session.set_confidential_message()``).

    Example::

        job = SendJob("q3", ["q3.pdf"], to=[BOB], name="Alice", phone="1",
                      settings={"password_mode": PasswordMode.GENERATED})
    """

    expiration_date: datetime
    password_mode: PasswordMode
    password: str
    security_mode: SecurityMode
    notification_subject: str
    notification_body: str
    sender_language: str
    recipient_language: str
    show_file_names: bool
    show_zip_file_content: bool
    send_recipient_notification: bool
    send_upload_summary: bool
    send_download_notifications: bool
    send_download_summary: bool
    classification_id: str | None
    file_checksum_algorithm: str


_public.claim(globals())

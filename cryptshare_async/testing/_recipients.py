"""The recipient's side: access by transfer id and password, downloads and views.

Example::

    transfer, entry = store.recipient_transfer(transfer_id, password)
"""

from __future__ import annotations

from ._checks import display_name, hash_name
from ._errors import ApiError
from ._i18n import language_of, text
from ._lifecycle import DELETED_STATES, TransferState
from ._state import (
    Download,
    RecipientEntry,
    StoredFile,
    Transfer,
    now,
)
from ._store_base import key
from ._transfers import Transfers

__all__ = ["Recipients"]


class Recipients(Transfers):
    """Recipient access to active transfers."""

    def recipient_transfer(
        self, transfer_id: str, password: str | None
    ) -> tuple[Transfer, RecipientEntry]:
        """Resolve a recipient's transfer id and check the password.

        Deleted, or past its expiry (cleaned up or not): 410/2006. Not (yet) available
        (PROCESSING, FAILED): 404/2003. Locked by an administrator: 403/2005. No
        password: 401/3003, not counted (a client asking before it knows the password is
        no attack). Wrong password: 401/3003, counted; the last allowed failure deletes
        the transfer (DELETED_BY_SECURITY). Password mode NONE needs no password.
        """
        found = self._by_transfer_id.get(transfer_id)
        if found is None:
            raise ApiError.not_found("transfer")
        transfer, entry = found
        if transfer.state in DELETED_STATES or transfer.expires_at <= now():
            raise ApiError.deleted()
        if transfer.state != TransferState.ACTIVE:
            raise ApiError.not_found("transfer (not available)")
        if transfer.locked:
            raise ApiError(403, 2005)
        if transfer.password_mode != "NONE" and password != transfer.password:
            if password is None:
                raise ApiError(401, 3003, "A password is required for this transfer.")
            transfer.wrong_passwords += 1
            if transfer.wrong_passwords >= self.config.max_wrong_passwords:
                self._delete(transfer, TransferState.DELETED_BY_SECURITY)
            raise ApiError(401, 3003)
        return transfer, entry

    def set_locked(self, tracking_id: str, locked: bool) -> Transfer:
        """Lock (or unlock) a transfer as an administrator would: recipients get 403/2005."""
        transfer = self._transfer(tracking_id)
        transfer.locked = locked
        return transfer

    def record_view(self, tracking_id: str, recipient: str, file_id: str) -> None:
        """A recipient viewed a file in the Web App's content viewer (``VIEWED``)."""
        transfer = self._transfer(tracking_id)
        entry = next((e for e in transfer.entries if key(e.mail) == key(recipient)), None)
        if entry is None or file_id not in transfer.files:
            raise KeyError(f"no recipient {recipient!r} or file {file_id!r} in {tracking_id}")
        entry.downloads.setdefault(file_id, []).append(Download(now(), "VIEWED"))

    def record_download(
        self, transfer: Transfer, entry: RecipientEntry, stored: StoredFile
    ) -> None:
        entry.downloads.setdefault(stored.id, []).append(Download(now()))
        if transfer.settings["sendDownloadNotifications"]:
            lang = transfer.settings["senderLanguage"]
            self.deliver(
                kind="download_notification",
                to=transfer.email,
                language=language_of(lang),
                subject=text("download_subject", lang, tracking_id=transfer.tracking_id),
                body=text("download_body", lang, recipient=entry.mail, name=stored.name),
                tracking_id=transfer.tracking_id,
                transfer_id=entry.transfer_id,
            )

    def eml_subject(self, transfer: Transfer, language: str) -> str:
        """The EML's subject: the notification's custom subject, else the standard one."""
        custom: str = transfer.settings["notificationMessage"].get("subject") or ""
        sender = transfer.settings["sender"].get("name") or transfer.email
        return custom or text("notification_subject", language, sender=sender)

    def checksum_algorithm(self, transfer: Transfer) -> str:
        algorithm: str = transfer.settings["fileChecksumAlgorithm"]
        return display_name(algorithm) if hash_name(algorithm) else algorithm

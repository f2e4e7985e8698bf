"""The mails the server sends when a transfer is provided, and its download URLs.

Example::

    store.download_url(transfer, entry, with_password=False)
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from urllib.parse import quote

from ._i18n import language_of, text
from ._lifecycle import FileState
from ._state import (
    RecipientEntry,
    Transfer,
)
from ._store_base import StoreBase

__all__ = ["Notices"]


class Notices(StoreBase):
    """Recipient notifications and the upload summary."""

    def download_url(
        self, transfer: Transfer, entry: RecipientEntry, *, with_password: bool
    ) -> str:
        url = f"{self.root_url}/download.php?id={entry.transfer_id}"
        if with_password and transfer.password is not None:
            url += f"&password={quote(transfer.password, safe='')}"
        return url

    def _notify_provided(self, transfer: Transfer) -> None:
        settings = transfer.settings
        mode = transfer.password_mode
        if settings["sendRecipientNotification"]:
            language = settings["recipientLanguage"]
            file_list = _file_list(transfer, language)
            custom = settings["notificationMessage"]
            sender_name = settings["sender"].get("name") or transfer.email
            for entry in transfer.entries:
                url = self.download_url(transfer, entry, with_password=mode == "NONE")
                delivered = self.deliver(
                    kind="recipient_notification",
                    to=entry.mail,
                    language=language_of(language),
                    subject=custom.get("subject")
                    or text("notification_subject", language, sender=sender_name),
                    body=(custom.get("body") or "")
                    + "\n"
                    + text("notification_body", language, url=url)
                    + file_list,
                    tracking_id=transfer.tracking_id,
                    transfer_id=entry.transfer_id,
                    download_url=url,
                    password=transfer.password if mode == "GENERATED" else None,
                )
                entry.notification_failed = not delivered
        if settings["sendUploadSummary"]:
            language = settings["senderLanguage"]
            delivered = self.deliver(
                kind="upload_summary",
                to=transfer.email,
                language=language_of(language),
                subject=text("upload_subject", language, tracking_id=transfer.tracking_id),
                body=text("upload_body", language, tracking_id=transfer.tracking_id),
                tracking_id=transfer.tracking_id,
            )
            transfer.sender_notification_failed = not delivered


def _file_list(transfer: Transfer, language: str) -> str:
    """The notification's list of files: names only if ``showFileNames``, and the entries
    of ZIP files only if ``showZipFileContent`` too; empty otherwise."""
    settings = transfer.settings
    if not settings["showFileNames"]:
        return ""
    lines = ["", text("files_heading", language)]
    for stored in transfer.files.values():
        if stored.state != FileState.ACTIVE:
            continue
        lines.append(f"- {stored.name}")
        if settings["showZipFileContent"] and stored.path is not None:
            lines.extend(f"  - {member}" for member in _zip_members(stored.path))
    return "\n".join(lines)


def _zip_members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return []  # not a ZIP archive (whatever its name)

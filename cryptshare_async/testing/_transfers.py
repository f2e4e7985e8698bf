"""Finalized transfers: their lifecycle (processing, revocation, deletion, expiry) and
the sender's and recipient's lists. Every state change goes through :func:`set_state`.

Example::

    store.complete_processing(transfer, results)  # PROCESSING -> ACTIVE or FAILED
    store.revoke(transfer, {}, "en")              # ACTIVE -> DELETED_BY_REVOCATION
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ._checks import ScanResult
from ._errors import ApiError
from ._i18n import language_of, text
from ._lifecycle import DELETED_STATES, FileState, TransferState, set_state
from ._notices import Notices
from ._rules import generate_password
from ._state import (
    RecipientEntry,
    StoredFile,
    Transfer,
    iso,
    new_id,
    new_tracking_id,
    now,
)
from ._store_base import key

__all__ = ["Transfers"]


class Transfers(Notices):
    """Transfers after finalization."""

    def _add_transfer(
        self,
        *,
        tracking_id: str,
        email: str,
        token: str,
        settings: dict[str, Any],
        recipients: dict[str, list[str]],
        files: dict[str, StoredFile],
        password: str | None,
        directory: Path | None,
        state: TransferState,
    ) -> Transfer:
        entries = []
        for kind in ("to", "cc", "bcc"):
            for mail in recipients.get(kind, []):
                transfer_id = new_id(10)
                while transfer_id in self._by_transfer_id:
                    transfer_id = new_id(10)
                entries.append(RecipientEntry(transfer_id, mail, kind))
        self._sequence += 1
        transfer = Transfer(
            tracking_id=tracking_id,
            email=email,
            email_key=key(email),
            token=token,
            settings=settings,
            recipients=recipients,
            files=files,
            entries=entries,
            password=password,
            expires_at=datetime.fromisoformat(settings["expirationDate"]),
            sequence=self._sequence,
            directory=directory,
            state=state,
        )
        self.transfers[tracking_id] = transfer
        self._by_sender[transfer.email_key].append(transfer)
        for mail_key in dict.fromkeys(key(e.mail) for e in entries):
            self._by_recipient[mail_key].append(transfer)
        for entry in entries:
            self._by_transfer_id[entry.transfer_id] = (transfer, entry)
        return transfer

    def scan_jobs(self, transfer: Transfer) -> list[tuple[StoredFile, Path]]:
        """The files processing must read (those with content)."""
        return [(f, f.path) for f in transfer.files.values() if f.path is not None]

    def complete_processing(self, transfer: Transfer, results: dict[str, ScanResult]) -> None:
        """Apply the checks' results; ACTIVE if a file survives, else FAILED; notify."""
        if transfer.state != TransferState.PROCESSING:
            transfer.processed.set()
            return
        for stored in transfer.files.values():
            result = results.get(stored.id)
            stored.removal = self._removal_for(stored, result)
            if stored.removal is None and result is not None:
                stored.state, stored.digest = FileState.ACTIVE, result.digest
            else:
                stored.state = FileState.REMOVED
                if stored.path is not None:
                    stored.path.unlink(missing_ok=True)
                    stored.path = None
        survivors = any(f.state == FileState.ACTIVE for f in transfer.files.values())
        set_state(transfer, TransferState.ACTIVE if survivors else TransferState.FAILED)
        if survivors:
            self._notify_provided(transfer)
        transfer.processed.set()

    def _removal_for(
        self, stored: StoredFile, result: ScanResult | None
    ) -> tuple[str, dict[str, object]] | None:
        params: dict[str, object] = {"name": stored.name}
        suffix = Path(stored.name).suffix.lower()
        if suffix in {e.lower() for e in self.config.blocked_extensions}:
            return "blocked_extension", params
        if result is None or result.size != stored.size:
            actual = result.size if result is not None else 0
            return "size_mismatch", {**params, "actual": actual, "expected": stored.size}
        if stored.checksum is not None and stored.checksum.lower() != result.digest:
            return "checksum_mismatch", params
        if result.infected:
            return "virus", params
        return None

    def transfer_for(self, email: str, tracking_id: str) -> Transfer:
        """A transfer of this sender; another sender's transfer is not found (404/2003)."""
        transfer = self.transfers.get(tracking_id)
        if transfer is None or transfer.email_key != key(email):
            raise ApiError.not_found("transfer")
        return transfer

    def revoke(self, transfer: Transfer, options: dict[str, Any], language: str | None) -> None:
        """Only ACTIVE transfers: deleted ones answer 410/2006, others 409/2001."""
        if transfer.state in DELETED_STATES or transfer.expires_at <= now():
            raise ApiError.deleted()  # past its expiry, the cleanup has only not run yet
        if transfer.state != TransferState.ACTIVE:
            raise ApiError.rule_violation(f"A {transfer.state} transfer cannot be revoked.")
        self._delete(transfer, TransferState.DELETED_BY_REVOCATION)
        tracking_id = transfer.tracking_id
        message = options.get("message")
        if options.get("notifySender", True):
            lang = language or transfer.settings["senderLanguage"]
            transfer.sender_notification_failed |= not self.deliver(
                kind="revocation_sender",
                to=transfer.email,
                language=language_of(lang),
                subject=text("revocation_subject", lang, tracking_id=tracking_id),
                body=message or text("revocation_sender_body", lang, tracking_id=tracking_id),
                tracking_id=tracking_id,
            )
        if options.get("notifyRecipients", True):
            lang = language or transfer.settings["recipientLanguage"]
            for entry in transfer.entries:
                entry.notification_failed |= not self.deliver(
                    kind="revocation_recipient",
                    to=entry.mail,
                    language=language_of(lang),
                    subject=text("revocation_subject", lang, tracking_id=tracking_id),
                    body=message or text("revocation_recipient_body", lang),
                    tracking_id=tracking_id,
                    transfer_id=entry.transfer_id,
                )

    def _delete(self, transfer: Transfer, state: TransferState) -> None:
        set_state(transfer, state)
        # Content of a transfer may be being downloaded or checked: deleted, never recycled.
        for stored in transfer.files.values():
            if stored.path is not None:
                stored.path.unlink(missing_ok=True)
                stored.path = None
        if transfer.directory is not None:
            shutil.rmtree(transfer.directory, ignore_errors=True)
        transfer.processed.set()

    def admin_delete(self, tracking_id: str) -> Transfer:
        transfer = self._transfer(tracking_id)
        if transfer.state not in DELETED_STATES:
            self._delete(transfer, TransferState.DELETED_BY_ADMIN)
        return transfer

    def expire(self, tracking_id: str) -> Transfer:
        """Move the expiration date into the past; the cleanup task deletes it later."""
        transfer = self._transfer(tracking_id)
        transfer.expires_at = now() - timedelta(seconds=1)
        transfer.settings["expirationDate"] = iso(transfer.expires_at)
        return transfer

    def cleanup(self) -> list[str]:
        """The cleanup task: expired ACTIVE transfers become DELETED_BY_EXPIRATION."""
        moment = now()
        expired = [
            t
            for t in self.transfers.values()
            if t.state == TransferState.ACTIVE and t.expires_at <= moment
        ]
        for transfer in expired:
            self._delete(transfer, TransferState.DELETED_BY_EXPIRATION)
            if transfer.settings["sendDownloadSummary"]:
                lang = transfer.settings["senderLanguage"]
                self.deliver(
                    kind="download_summary",
                    to=transfer.email,
                    language=language_of(lang),
                    subject=text("summary_subject", lang, tracking_id=transfer.tracking_id),
                    body=text("summary_body", lang, tracking_id=transfer.tracking_id),
                    tracking_id=transfer.tracking_id,
                )
        return [t.tracking_id for t in expired]

    def seed_transfers(
        self, sender: str, count: int, *, recipients: Iterable[str], state: TransferState
    ) -> list[str]:
        """Add ``count`` finished transfers without files, cheaply (for list benchmarks)."""
        mails = list(recipients)
        created = []
        for _ in range(count):
            tracking_id = new_tracking_id()
            while tracking_id in self.transfers or tracking_id in self.sessions:
                tracking_id = new_tracking_id()
            settings = self.default_settings(self.policy_for(sender), {}, "en")
            settings["sendRecipientNotification"] = settings["sendUploadSummary"] = False
            transfer = self._add_transfer(
                tracking_id=tracking_id,
                email=sender,
                token="",
                settings=settings,
                recipients={"to": mails, "cc": [], "bcc": []},
                files={},
                password=generate_password(),
                directory=None,
                state=state,
            )
            transfer.processed.set()
            created.append(tracking_id)
        return created

    def sent(self, email: str, active: bool | None) -> list[Transfer]:
        """This sender's transfers, newest first."""
        return _filtered(self._by_sender.get(key(email), []), active)

    def received(self, email: str, active: bool | None) -> list[Transfer]:
        """Transfers with this address among the recipients, newest first."""
        return _filtered(self._by_recipient.get(key(email), []), active)


def _filtered(transfers: list[Transfer], active: bool | None) -> list[Transfer]:
    if active is None:
        return transfers[::-1]
    return [t for t in reversed(transfers) if (t.state == TransferState.ACTIVE) is active]

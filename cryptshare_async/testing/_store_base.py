"""The state every part of the store shares, and the helpers they all use.

Example::

    >>> key("Alice@Example.COM")
    'alice@example.com'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from ._config import EmulatorConfig
from ._outbox import Outbox, OutboxMessage
from ._policy import EffectivePolicy
from ._recycle import ContentRecycler
from ._state import (
    RecipientEntry,
    Session,
    Token,
    Transfer,
    iso,
    new_id,
    now,
)

__all__ = ["StoreBase", "key"]


def key(email: str) -> str:
    """Addresses compare case-insensitively (local part included, as most servers do)."""
    return email.casefold()


class StoreBase:
    """Sessions, transfers, tokens and codes of one emulator; the parts add the rules."""

    def __init__(self, config: EmulatorConfig, storage: Path, whitelist: Iterable[str]) -> None:
        self.config = config
        self.storage = storage
        self.recycler = ContentRecycler(storage / ".recycle", config.recycle_content_bytes)
        self.whitelist = set(whitelist)
        self.outbox = Outbox()
        self.failing_addresses = {key(a) for a in config.failing_notification_addresses}
        self.policy = config.policy.with_blocked_recipients(config.blocked_recipient_domains)
        self.root_url = ""
        self.demo_client_id = ""
        self._tokens: dict[str, Token] = {}
        self._codes: dict[tuple[str, str], str] = {}
        self._code_requests: dict[str, list[float]] = defaultdict(list)
        self.sessions: dict[str, Session] = {}
        self.transfers: dict[str, Transfer] = {}
        self._by_sender: dict[str, list[Transfer]] = defaultdict(list)
        self._by_recipient: dict[str, list[Transfer]] = defaultdict(list)
        self._by_transfer_id: dict[str, tuple[Transfer, RecipientEntry]] = {}
        self._sequence = 0
        #: Log entries clients sent with ``POST /api/logs``, oldest first.
        self.client_logs: list[dict[str, Any]] = []

    def scratch_path(self, suffix: str) -> Path:
        """A fresh path for a file made for one answer (a ZIP, an EML)."""
        directory = self.storage / ".scratch"
        directory.mkdir(exist_ok=True)
        return directory / f"{new_id(16)}{suffix}"

    def policy_for(self, email: str) -> EffectivePolicy:
        """The transfer policy as it applies to this sender."""
        return self.policy.for_sender(
            email,
            max_total_size=self.config.max_total_size,
            max_retention_days=self.config.max_retention_days,
        )

    def deliver(self, *, kind: str, to: str, language: str, **fields: Any) -> bool:
        """Put a mail into the outbox; ``False`` when the address is set to fail."""
        if key(to) in self.failing_addresses:
            return False
        self.outbox.append(OutboxMessage(kind=kind, to=to, language=language, **fields))
        return True

    def _transfer(self, tracking_id: str) -> Transfer:
        transfer = self.transfers.get(tracking_id)
        if transfer is None:
            raise KeyError(f"no transfer {tracking_id}")
        return transfer

    def default_settings(
        self, policy: EffectivePolicy, sender: dict[str, str], language: str
    ) -> dict[str, Any]:
        """A new session's settings: the server's defaults within the policy."""
        days = min(self.config.default_expiration_days, policy.max_retention_days)
        return {
            "sender": sender,
            "expirationDate": iso(now() + timedelta(days=days)),
            "fileChecksumAlgorithm": self.config.checksum_algorithm,
            "notificationMessage": {"subject": "", "body": ""},
            "senderLanguage": language,
            "recipientLanguage": language,
            "securityMode": {
                "name": "ONE_TIME_PASSWORD",
                "config": {"passwordMode": policy.allowed_password_modes[0]},
            },
            "sendDownloadNotifications": policy.send_download_notifications_default,
            "sendDownloadSummary": False,
            "sendRecipientNotification": True,
            "sendUploadSummary": True,
            "showFileNames": policy.show_file_names_default,
            "showZipFileContent": policy.show_zip_file_content_default,
            "classificationId": None,
            "confidentialMessageFileId": None,
        }

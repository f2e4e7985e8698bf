"""The emulator's records: tokens, sessions, files, transfers and their recipients.

Plain mutable dataclasses; all rules live in :mod:`._store`.

Example::

    >>> len(new_tracking_id()), new_tracking_id()[8]
    (24, '-')
"""

from __future__ import annotations

import asyncio
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from ._lifecycle import DELETED_STATES, INACTIVE_STATES, FileState, TransferState

__all__ = [
    "DELETED_STATES",
    "INACTIVE_STATES",
    "Download",
    "RecipientEntry",
    "Session",
    "StoredFile",
    "Token",
    "Transfer",
    "iso",
    "new_id",
    "new_tracking_id",
    "now",
]

_ALNUM: Final = string.ascii_letters + string.digits


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 with ``T`` and a numeric offset, to the second: ``2024-05-22T06:57:11+00:00``."""
    return moment.isoformat(timespec="seconds")


def new_id(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_tracking_id() -> str:
    """An id shaped like the server's: ``20240522-065711-H8UoUSI6``."""
    return f"{now().strftime('%Y%m%d-%H%M%S')}-{new_id(8)}"


@dataclass(slots=True)
class Token:
    """A verification token bound to one (email, client id) pair."""

    value: str = field(repr=False)
    email_key: str
    client_id: str = field(repr=False)
    valid_until: datetime


@dataclass(slots=True)
class StoredFile:
    """A registered file; ``path`` is set once content was uploaded."""

    id: str
    name: str
    size: int
    checksum: str | None
    state: FileState = FileState.INITIALIZED
    path: Path | None = None
    received: int = 0
    digest: str | None = None
    removal: tuple[str, dict[str, object]] | None = None


@dataclass(slots=True)
class Session:
    """An open transfer session (before finalization)."""

    tracking_id: str
    email: str
    email_key: str
    token: str = field(repr=False)
    client_id: str = field(repr=False)
    settings: dict[str, Any]
    recipients: dict[str, list[str]]
    directory: Path
    password: str | None = field(default=None, repr=False)
    files: dict[str, StoredFile] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Download:
    date: datetime
    method: str = "DOWNLOADED"


@dataclass(slots=True)
class RecipientEntry:
    """One recipient of a transfer with its own 10-character transfer id."""

    transfer_id: str
    mail: str
    kind: str
    notification_failed: bool = False
    downloads: dict[str, list[Download]] = field(default_factory=dict)


@dataclass(slots=True)
class Transfer:
    """A finalized transfer. ``token`` is the token that finalized it."""

    tracking_id: str
    email: str
    email_key: str
    token: str = field(repr=False)
    settings: dict[str, Any]
    recipients: dict[str, list[str]]
    files: dict[str, StoredFile]
    entries: list[RecipientEntry]
    password: str | None = field(repr=False)
    expires_at: datetime
    sequence: int
    directory: Path | None
    state: TransferState = TransferState.PROCESSING
    sender_notification_failed: bool = False
    wrong_passwords: int = 0
    locked: bool = False
    processed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def password_mode(self) -> str:
        mode: str = self.settings["securityMode"]["config"]["passwordMode"]
        return mode

    @property
    def eml_creation_failed(self) -> bool:
        """The confidential message could not be made: its file was removed in processing."""
        message_id = self.settings.get("confidentialMessageFileId")
        message = self.files.get(message_id) if isinstance(message_id, str) else None
        return message is not None and message.removal is not None

    @property
    def warnings(self) -> bool:
        return (
            self.eml_creation_failed
            or self.sender_notification_failed
            or any(e.notification_failed for e in self.entries)
            or any(f.removal is not None for f in self.files.values())
        )

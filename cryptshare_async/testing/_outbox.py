"""The emulator's outbox: every mail the server would have sent, kept for tests to read.

Example::

    >>> box = Outbox()
    >>> box.append(OutboxMessage(kind="verification_code", to="a@x.org", subject="Code",
    ...                          body="Your code: 123", language="en", code="123"))
    >>> box.latest(kind="verification_code", to="A@x.org").code
    '123'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

from .. import _public

__all__ = ["Outbox", "OutboxMessage"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    """One mail. ``kind`` is one of ``verification_code``, ``recipient_notification``,
    ``upload_summary``, ``download_notification``, ``download_summary``,
    ``revocation_sender``, ``revocation_recipient``.

    ``body``, ``code`` (verification code), ``download_url`` and ``password`` (generated
    transfer password) may hold secrets: they are left out of ``repr``.
    """

    kind: str
    to: str
    subject: str
    body: str = field(repr=False)
    language: str
    code: str | None = field(default=None, repr=False)
    tracking_id: str | None = None
    transfer_id: str | None = None
    download_url: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, Any]:
        """The message as a JSON-ready dict (control endpoint ``GET /_emulator/outbox``)."""
        data = asdict(self)
        data["sent_at"] = self.sent_at.isoformat()
        return data


class Outbox(Sequence[OutboxMessage]):
    """A read-mostly list of :class:`OutboxMessage`, oldest first, with a few filters."""

    def __init__(self) -> None:
        self._messages: list[OutboxMessage] = []

    @overload
    def __getitem__(self, index: int) -> OutboxMessage: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[OutboxMessage]: ...
    def __getitem__(self, index: int | slice) -> OutboxMessage | Sequence[OutboxMessage]:
        return self._messages[index]

    def __len__(self) -> int:
        return len(self._messages)

    def __iter__(self) -> Iterator[OutboxMessage]:
        return iter(list(self._messages))

    def __repr__(self) -> str:
        return f"Outbox({len(self._messages)} messages)"

    def append(self, message: OutboxMessage) -> None:
        """Deliver one message."""
        self._messages.append(message)

    def clear(self) -> None:
        """Forget every message."""
        self._messages.clear()

    def filter(self, *, kind: str | None = None, to: str | None = None) -> list[OutboxMessage]:
        """Messages of that kind and/or to that address (case-insensitive), oldest first."""
        wanted = to.casefold() if to is not None else None
        return [
            m
            for m in self._messages
            if (kind is None or m.kind == kind) and (wanted is None or m.to.casefold() == wanted)
        ]

    def latest(self, *, kind: str | None = None, to: str | None = None) -> OutboxMessage:
        """The newest matching message; ``LookupError`` when there is none."""
        found = self.filter(kind=kind, to=to)
        if not found:
            raise LookupError(f"no {kind or 'message'} in the outbox for {to or 'anyone'}")
        return found[-1]


_public.claim(globals(), "cryptshare_async.testing")

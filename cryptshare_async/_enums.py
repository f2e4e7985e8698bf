"""The API's enumerations, read leniently.

Every enum is a :class:`enum.StrEnum` with an ``UNKNOWN`` member. Reading a value from
JSON (:meth:`WireEnum.parse`) ignores case, ``_``, ``-`` and spaces, and maps a value
this version does not know to ``UNKNOWN``; the raw text stays in the owning model's
``raw`` mapping. Calling the class directly (``PasswordMode("manual")``) also ignores
case but raises ``ValueError`` for an unknown value, so a typo in caller code is loud.

Example::

    >>> TransferState.parse("deleted_by_revocation")
    <TransferState.DELETED_BY_REVOCATION: 'DELETED_BY_REVOCATION'>
    >>> TransferState.parse("ARCHIVED")
    <TransferState.UNKNOWN: 'UNKNOWN'>
    >>> VerificationMethod.parse("clientId")
    <VerificationMethod.CLIENT_ID: 'CLIENT_ID'>
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Self

from . import _public

__all__ = [
    "FailureReason",
    "FileState",
    "LogLevel",
    "PasswordMode",
    "RetrievalMethod",
    "SecurityModeName",
    "TransferState",
    "VerificationMethod",
    "WireEnum",
]

_IGNORED = str.maketrans("", "", "_- ")


def _normalise(text: str) -> str:
    return text.translate(_IGNORED).upper()


@cache
def _lookup(cls: type[WireEnum]) -> dict[str, WireEnum]:
    table: dict[str, WireEnum] = {}
    for member in cls:
        table[member.value] = member
        table[_normalise(member.value)] = member
    return table


class WireEnum(StrEnum):
    """Base of the API enums: case-insensitive, with an ``UNKNOWN`` fallback."""

    @classmethod
    def parse(cls, text: str) -> Self:
        """Return the member for ``text`` (case-insensitive), or ``UNKNOWN``."""
        table = _lookup(cls)
        member = table.get(text)
        if member is None:
            member = table.get(_normalise(text), cls.UNKNOWN)  # type: ignore[attr-defined]
        return member  # type: ignore[return-value]

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, str):
            member = _lookup(cls).get(_normalise(value))
            if member is not None:
                return member  # type: ignore[return-value]
        return None


class TransferState(WireEnum):
    """The life-cycle state of a finalized transfer."""

    PROCESSING = "PROCESSING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"
    DELETED_BY_REVOCATION = "DELETED_BY_REVOCATION"
    DELETED_BY_EXPIRATION = "DELETED_BY_EXPIRATION"
    DELETED_BY_ADMIN = "DELETED_BY_ADMIN"
    DELETED_BY_SECURITY = "DELETED_BY_SECURITY"
    PENDING = "PENDING"
    UNKNOWN = "UNKNOWN"

    @property
    def is_deleted(self) -> bool:
        """True for every ``DELETED_BY_*`` state."""
        return self.value.startswith("DELETED_BY_")

    @property
    def is_final(self) -> bool:
        """True unless the transfer may still change on its own (``PROCESSING``, ``PENDING``).

        ``ACTIVE`` counts as final: it only changes by revocation, expiry or deletion.
        ``UNKNOWN`` (transfers of old servers, or a state newer than this library) is
        final too, so that nothing waits forever on a state it cannot interpret.
        """
        return self not in (TransferState.PROCESSING, TransferState.PENDING)


class FileState(WireEnum):
    """The state of a file registered in a transfer session."""

    INITIALIZED = "INITIALIZED"
    UPLOADED = "UPLOADED"
    ACTIVE = "ACTIVE"
    REMOVED = "REMOVED"
    UNKNOWN = "UNKNOWN"


class PasswordMode(WireEnum):
    """How the one-time transfer password is chosen."""

    GENERATED = "GENERATED"
    MANUAL = "MANUAL"
    NONE = "NONE"
    UNKNOWN = "UNKNOWN"


class SecurityModeName(WireEnum):
    """The name of a security mode; only ``ONE_TIME_PASSWORD`` is usable over REST."""

    ONE_TIME_PASSWORD = "ONE_TIME_PASSWORD"
    QUICK = "QUICK"
    EID = "EID"
    UNKNOWN = "UNKNOWN"


class VerificationMethod(WireEnum):
    """How a sender can be verified; ``clientId`` and ``client_id`` read as ``CLIENT_ID``."""

    EMAIL = "EMAIL"
    CLIENT_ID = "CLIENT_ID"
    UNKNOWN = "UNKNOWN"


class RetrievalMethod(WireEnum):
    """How a recipient retrieved a file."""

    DOWNLOADED = "DOWNLOADED"
    VIEWED = "VIEWED"
    UNKNOWN = "UNKNOWN"


class FailureReason(WireEnum):
    """Why the transfer policy rejects a recipient."""

    POLICY_MISMATCH = "POLICY_MISMATCH"
    UNKNOWN = "UNKNOWN"


class LogLevel(WireEnum):
    """A client log level (RFC 5424 severity order); the API spells them in lower case."""

    TRACE = "trace"
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"
    UNKNOWN = "UNKNOWN"


_public.claim(globals())

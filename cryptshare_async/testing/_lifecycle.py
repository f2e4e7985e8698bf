"""Transfer states, their one transition table, and the one function that writes a state.

Example::

    >>> TransferState.ACTIVE == "ACTIVE", TransferState.ACTIVE in INACTIVE_STATES
    (True, False)
    >>> sorted(str(s) for s in TRANSITIONS[TransferState.PROCESSING])[:2]
    ['ACTIVE', 'DELETED_BY_ADMIN']
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ._state import Transfer

__all__ = [
    "DELETED_STATES",
    "INACTIVE_STATES",
    "TRANSITIONS",
    "FileState",
    "TransferState",
    "set_state",
]


class TransferState(StrEnum):
    """A finalized transfer's ``status.state`` (the wire value is the name)."""

    PROCESSING = "PROCESSING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"
    DELETED_BY_REVOCATION = "DELETED_BY_REVOCATION"
    DELETED_BY_EXPIRATION = "DELETED_BY_EXPIRATION"
    DELETED_BY_ADMIN = "DELETED_BY_ADMIN"
    DELETED_BY_SECURITY = "DELETED_BY_SECURITY"


class FileState(StrEnum):
    """A file's ``state`` in a session or transfer."""

    INITIALIZED = "INITIALIZED"
    UPLOADED = "UPLOADED"
    ACTIVE = "ACTIVE"
    REMOVED = "REMOVED"


DELETED_STATES: Final = frozenset(
    {
        TransferState.DELETED_BY_REVOCATION,
        TransferState.DELETED_BY_EXPIRATION,
        TransferState.DELETED_BY_ADMIN,
        TransferState.DELETED_BY_SECURITY,
    }
)
INACTIVE_STATES: Final = DELETED_STATES | {TransferState.PROCESSING, TransferState.FAILED}

#: From a state, the states a transfer may move to (deleted states are final).
TRANSITIONS: Final[dict[TransferState, frozenset[TransferState]]] = {
    TransferState.PROCESSING: frozenset(
        {TransferState.ACTIVE, TransferState.FAILED, TransferState.DELETED_BY_ADMIN}
    ),
    TransferState.ACTIVE: DELETED_STATES,
    TransferState.FAILED: frozenset({TransferState.DELETED_BY_ADMIN}),
    **{state: frozenset() for state in DELETED_STATES},
}


def set_state(transfer: Transfer, state: TransferState) -> None:
    """Move ``transfer`` to ``state``; ``ValueError`` for a move the table forbids (a bug
    in the emulator, never a client's error)."""
    if state not in TRANSITIONS[transfer.state]:
        raise ValueError(f"transfer state {transfer.state} cannot become {state}")
    transfer.state = state

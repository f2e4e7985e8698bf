"""`Transfer`: a finalized transfer, read and revoked by its sender.

Example::

    transfer = await session.finalize()
    status = await transfer.status()
    print(status.state)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _protocol as protocol
from ._converter import structure
from ._models import TransferStatus
from ._validation import path_segment

if TYPE_CHECKING:
    from ._sender import Sender

__all__ = ["Transfer"]


class Transfer:
    """A handle on one transfer, identified by its tracking id (no request on creation)."""

    def __init__(self, sender: Sender, tracking_id: str) -> None:
        path_segment(tracking_id, what="tracking id")
        self._sender = sender
        self._tracking_id = tracking_id

    def __repr__(self) -> str:
        return f"Transfer({self._tracking_id!r}, sender={self._sender.email!r})"

    @property
    def tracking_id(self) -> str:
        return self._tracking_id

    @property
    def sender(self) -> Sender:
        return self._sender

    async def status(self, *, language: str | None = None) -> TransferStatus:
        """The transfer's settings and status (state, files, recipients, downloads).

        ``language`` (``Accept-Language``) localises each file's ``removal_cause``.
        """
        request = protocol.transfer_status_request(
            self._sender.email, self._tracking_id, language=language
        )
        data = protocol.json_data(request, await self._sender.send(request))
        return structure(data, TransferStatus)

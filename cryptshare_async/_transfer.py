"""`Transfer`: a finalized transfer, read, awaited and revoked by its sender.

Example::

    transfer = await session.finalize()
    status = await transfer.wait_until_active(timeout=300)
    print(status.state)
    await transfer.revoke(message="Sent to the wrong person")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _protocol as protocol
from ._converter import structure, unstructure
from ._errors import (
    ApiVersionUnsupportedError,
    InvalidInputError,
    NotFoundError,
    RuleViolationError,
    TransferDeletedError,
)
from ._models import RevocationOptions, RevocationRequest, TransferStatus
from ._scrub import redact_json
from ._validation import path_segment
from ._waiting import (
    DEFAULT_INTERVAL,
    DEFAULT_MAX_INTERVAL,
    DEFAULT_TIMEOUT,
    OnUpdate,
    poll_until_active,
)

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
        An echo of the request's secrets (client id, token) in the answer is replaced
        by ``***``: a status ends up in errors (``TransferFailedError.status``) and logs.
        """
        request = protocol.transfer_status_request(
            self._sender.email, self._tracking_id, language=language
        )
        response = await self._sender.request(request)
        data = redact_json(protocol.json_data(request, response), response.secrets)
        return structure(data, TransferStatus, secrets=response.secrets)

    async def wait_until_active(
        self,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the issue fixes this name
        interval: float = DEFAULT_INTERVAL,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        on_update: OnUpdate | None = None,
        language: str | None = None,
    ) -> TransferStatus:
        """Poll the status until the transfer is ``ACTIVE``; return that status.

        The first read is immediate; the pause then starts at ``interval`` and grows by
        half each time up to ``max_interval``. ``on_update`` (sync or async) is called
        with each status whose state is new. No background task: cancelling the
        awaiting task stops the wait and leaves nothing running.

        Raises:
            TransferFailedError: ``FAILED`` (``removed_files`` says why) or ``DELETED_*``.
            WaitTimeoutError: ``timeout`` seconds passed (``last_status`` is the last read).

        Example::

            status = await transfer.wait_until_active(timeout=120, on_update=print)
        """
        return await poll_until_active(
            lambda: self.status(language=language),
            what=f"transfer {self._tracking_id}",
            timeout=timeout,
            interval=interval,
            max_interval=max_interval,
            on_update=on_update,
        )

    async def revoke(
        self,
        *,
        notify_sender: bool = True,
        notify_recipients: bool = True,
        message: str | None = None,
        language: str | None = None,
    ) -> None:
        """Make the transfer unavailable to its recipients (API 1.10).

        The files are deleted on the server; the status still reads afterwards, as
        ``DELETED_BY_REVOCATION``. ``message`` (markdown) replaces the default notice;
        ``language`` (``Accept-Language``) picks the language of the default notices.

        Only an ``ACTIVE`` transfer of this sender can be revoked: otherwise the server's
        typed error is raised (:class:`RuleViolationError` for a transfer not active,
        :class:`TransferDeletedError` for one already deleted, :class:`NotFoundError` for
        another sender's or an unknown one), with a note saying so.

        Example::

            await transfer.revoke(notify_recipients=False, message="Superseded by v2")
        """
        for name, flag in (
            ("notify_sender", notify_sender),
            ("notify_recipients", notify_recipients),
        ):
            if not isinstance(flag, bool):
                raise InvalidInputError(f"{name} must be a bool, got {flag!r}")
        if message is not None and not isinstance(message, str):
            raise InvalidInputError("message must be a str (markdown) or None")
        body = RevocationRequest(
            RevocationOptions(
                notify_sender=notify_sender, notify_recipients=notify_recipients, message=message
            )
        )
        request = protocol.revoke_request(
            self._sender.email, self._tracking_id, unstructure(body), language=language
        )
        try:
            protocol.raise_for_status(request, await self._sender.request(request))
        except ApiVersionUnsupportedError:
            raise
        except RuleViolationError as exc:
            exc.add_note(f"transfer {self._tracking_id} cannot be revoked: only ACTIVE ones can")
            raise
        except TransferDeletedError as exc:
            exc.add_note(f"transfer {self._tracking_id} is already deleted")
            raise
        except NotFoundError as exc:
            exc.add_note(
                f"transfer {self._tracking_id} is not a transfer of {self._sender.email}"
                " (only the sender can revoke a transfer)"
            )
            raise

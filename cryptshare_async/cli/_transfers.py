"""``status``, ``wait`` and ``revoke``: one finalized transfer, by its tracking id.

Example::

    $ cryptshare-async status 20240522-065711-H8UoUSI6
    $ cryptshare-async wait 20240522-065711-H8UoUSI6 --wait-timeout 300
    $ cryptshare-async revoke 20240522-065711-H8UoUSI6 --message "Wrong file, sorry"
"""

from __future__ import annotations

import asyncio

from .. import RuleViolationError, Transfer, TransferState, TransferStatus
from .._waiting import DEFAULT_MAX_INTERVAL
from ._console import Console
from ._context import Context
from ._settings import CliError
from ._views import status_lines, transfer_json

__all__ = ["run_revoke", "run_status", "run_wait", "show_status", "wait_active"]


async def wait_active(
    transfer: Transfer,
    console: Console,
    *,
    timeout: float | None,  # noqa: ASYNC109 - passed on to wait_until_active()
    interval: float,
) -> TransferStatus:
    """Wait until ``transfer`` is active, noting each new state on stderr."""

    def on_update(status: TransferStatus) -> None:
        state = status.state.value if status.state is not None else "not reported"
        console.info(f"state: {state}")

    return await transfer.wait_until_active(
        timeout=timeout,
        interval=interval,
        max_interval=max(interval, DEFAULT_MAX_INTERVAL),
        on_update=on_update,
    )


def show_status(ctx: Context, tracking_id: str, status: TransferStatus) -> None:
    """A transfer status on stdout: aligned lines, or one JSON document."""
    ctx.console.emit(transfer_json(tracking_id, status.status, status.transfer))
    for line in status_lines(tracking_id, status):
        ctx.console.out(line)


def run_status(ctx: Context) -> int:
    """The ``status`` command.

    Example::

        exit_code = run_status(ctx)
    """
    tracking_id = ctx.args.tracking_id
    email = ctx.sender_email()
    connection = ctx.connection()

    async def read() -> TransferStatus:
        async with connection.client() as client:
            return await client.sender(email).transfer(tracking_id).status()

    show_status(ctx, tracking_id, asyncio.run(read()))
    return 0


def run_wait(ctx: Context) -> int:
    """The ``wait`` command: exit 0 once the transfer is active, 1 if it failed, was
    deleted or the timeout passed.

    Example::

        exit_code = run_wait(ctx)
    """
    args = ctx.args
    email = ctx.sender_email()
    connection = ctx.connection()

    async def wait() -> TransferStatus:
        async with connection.client() as client:
            transfer = client.sender(email).transfer(args.tracking_id)
            return await wait_active(
                transfer, ctx.console, timeout=args.wait_timeout, interval=args.poll_interval
            )

    show_status(ctx, args.tracking_id, asyncio.run(wait()))
    return 0


def _check_revocable(tracking_id: str, status: TransferStatus) -> None:
    """Refuse to revoke a transfer that is failed or deleted, saying so: the server would
    answer with a generic transfer-rule error."""
    state = status.state
    if state is None or state is TransferState.ACTIVE or not state.is_final:
        return
    raise CliError(
        f"transfer {tracking_id} is {state.value}: only an ACTIVE transfer can be revoked",
        hint=f"see why: cryptshare-async status {tracking_id}"
        if state is TransferState.FAILED
        else "it is already deleted: there is nothing to revoke",
    )


def run_revoke(ctx: Context) -> int:
    """The ``revoke`` command; shows the status afterwards (``DELETED_BY_REVOCATION``).

    Example::

        exit_code = run_revoke(ctx)
    """
    args = ctx.args
    email = ctx.sender_email()
    connection = ctx.connection()

    async def revoke() -> TransferStatus:
        async with connection.client() as client:
            transfer = client.sender(email).transfer(args.tracking_id)
            _check_revocable(args.tracking_id, await transfer.status())
            try:
                await transfer.revoke(
                    notify_sender=not args.no_notify_sender,
                    notify_recipients=not args.no_notify_recipients,
                    message=args.message,
                )
            except RuleViolationError:
                # The state changed in between (the server says only "rule violated").
                _check_revocable(args.tracking_id, await transfer.status())
                raise
            ctx.console.info(f"revoked transfer {args.tracking_id}")
            return await transfer.status()

    show_status(ctx, args.tracking_id, asyncio.run(revoke()))
    return 0
